package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// loadMailDelivery reads Lumora's delivery settings. The SMTP URL's shape is
// checked here so a typo stops start-up; internal/mail/outbound parses it in
// full when it builds the sender.
func loadMailDelivery(c *Config, get func(name, def string) string) error {
	c.SMTPURL = get("LUMORA_SMTP_URL", "")
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			// The URL may hold a password: the message names the variable, not the value.
			return fmt.Errorf("LUMORA_SMTP_URL: not a URL like smtp://user:pass@host:587 or smtps://user:pass@host:465")
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("LUMORA_SMTP_URL: port %q is not a number from 1 to 65535", p)
			}
		}
	}
	v := get("LUMORA_SMTP_CONCURRENCY", "4")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 64 {
		return fmt.Errorf("LUMORA_SMTP_CONCURRENCY: %q is not a number from 1 to 64", v)
	}
	c.SMTPConcurrency = n
	if c.RetryFor, err = parseDuration("LUMORA_RETRY_FOR", get("LUMORA_RETRY_FOR", "24h")); err != nil {
		return err
	}
	if c.RetryFor > 7*24*time.Hour {
		return fmt.Errorf("LUMORA_RETRY_FOR: %s is longer than 168h", c.RetryFor)
	}
	// Only the shape: the platform sender may use a host without a dot
	// (lumdesk@localhost), which customer senders may not.
	c.PlatformMailFrom = get("PLATFORM_MAIL_FROM", "lumdesk@localhost")
	local, domain, ok := strings.Cut(c.PlatformMailFrom, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(c.PlatformMailFrom, " \t\r\n<>\",;") || strings.Count(c.PlatformMailFrom, "@") != 1 {
		return fmt.Errorf("PLATFORM_MAIL_FROM: %q is not an address like lumdesk@example.com", c.PlatformMailFrom)
	}
	return nil
}
