package components

import (
	"regexp"

	"lumdesk/static"
)

// The icons live once, as symbols in static/img/icons.svg (Heroicons v2,
// MIT), and a page refers to them by name. Drawn inline, their paths were a
// third of a list page's HTML (a copy button's icon on each of 50 rows was
// 35 KB of the keys page's 171 KB), rendered and compressed again for every
// page; the sprite is one hashed asset the browser keeps for a year.
var (
	iconSprite = static.URL("img/icons.svg")
	iconNames  = func() map[string]bool {
		raw, err := static.FS.ReadFile("img/icons.svg")
		if err != nil {
			panic("components: static/img/icons.svg: " + err.Error())
		}
		names := map[string]bool{}
		for _, m := range regexp.MustCompile(`<symbol id="([^"]+)"`).FindAllSubmatch(raw, -1) {
			names[string(m[1])] = true
		}
		return names
	}()
)

// IconSprite is the sprite's address, for the icons app.js draws (toasts).
func IconSprite() string { return iconSprite }

// HasIcon says whether the sprite has a symbol called name.
func HasIcon(name string) bool { return iconNames[name] }

// iconHref is the sprite's address of the icon called name; a name the
// sprite lacks draws its neutral square ("unknown").
func iconHref(name string) string {
	if !HasIcon(name) {
		name = "unknown"
	}
	return iconSprite + "#" + name
}
