package web

import "strings"

// DeviceName turns a User-Agent into a short "Chrome on Linux" (the
// sessions pages of the console and the portal).
func DeviceName(ua string) string {
	if strings.TrimSpace(ua) == "" {
		return "Unknown device"
	}
	has := func(s string) bool { return strings.Contains(ua, s) }
	browser := ""
	switch {
	case has("Edg/") || has("EdgA/") || has("EdgiOS/"):
		browser = "Edge"
	case has("OPR/") || has("Opera"):
		browser = "Opera"
	case has("Firefox/") || has("FxiOS/"):
		browser = "Firefox"
	case has("HeadlessChrome/"):
		browser = "Headless Chrome"
	case has("SamsungBrowser/"):
		browser = "Samsung Internet"
	case has("Chrome/") || has("CriOS/") || has("Chromium/"):
		browser = "Chrome"
	case has("Safari/") && has("Version/"):
		browser = "Safari"
	case strings.HasPrefix(ua, "curl/"):
		browser = "curl"
	case strings.HasPrefix(ua, "Go-http-client/"):
		browser = "Go HTTP client"
	}
	os := ""
	switch {
	case has("Windows"):
		os = "Windows"
	case has("iPhone") || has("iPod"):
		os = "iPhone"
	case has("iPad"):
		os = "iPad"
	case has("Android"):
		os = "Android"
	case has("CrOS"):
		os = "ChromeOS"
	case has("Macintosh") || has("Mac OS X"):
		os = "macOS"
	case has("Linux") || has("X11"):
		os = "Linux"
	}
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case browser != "":
		return browser
	case os != "":
		return "Browser on " + os
	}
	ua = strings.TrimSpace(ua)
	if len(ua) > 40 {
		ua = ua[:40] + "…"
	}
	return ua
}
