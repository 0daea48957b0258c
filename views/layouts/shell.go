// Package layouts holds the page chrome: Shell (signed-in console: sidebar,
// top bar, main) and Bare (centred card for sign-in, TOTP, signed-out errors).
package layouts

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"lumdesk/views/components"
)

// Crumb is one breadcrumb; the last one is the current page (Href optional).
type Crumb struct{ Label, Href string }

// Toast is a flash notification (kind: success|error|info). It is defined in
// components (which must not import layouts) and aliased here.
type Toast = components.Toast

// User is the signed-in staff member shown in the top bar.
type User struct {
	ID                int64
	Name, Email, Role string
	// ReadOnly: the role changes nothing anywhere; the top bar says so, so
	// that missing buttons do not look like a fault.
	ReadOnly bool
	// ReadOnlyIn names the product area of this page when the role can see
	// it but change nothing there (support on Lumi): the same quiet marker.
	ReadOnlyIn string
}

// Page is the layout view-model every full page passes to Shell or Bare.
type Page struct {
	Title  string
	Crumbs []Crumb
	Nav    string // active nav key: "overview", "accounts", "luarmor.keys", ...
	User   *User  // nil on the sign-in page
	CSRF   string
	Demo   bool // amber "Demo mode" banner
	Toasts []Toast
	Can    func(perm string) bool // nil = deny all
	// Products are the sidebar's product entries, built from the product
	// registry (each shown only to holders of its Permission).
	Products []NavItem
	// NavCounts are live badges on sidebar entries, by nav key.
	NavCounts map[string]components.Count
	// Portal is set on the customer portal's pages: the same shell with the
	// portal's sidebar, no staff search, and the account's name.
	Portal *Portal
}

// Portal is what the shell shows on a customer portal page.
type Portal struct {
	AccountName string
	Nav         []NavItem // the portal's sidebar (handlers/portal builds it per role)
	// ViewingAs is the staff member's email when staff view the portal as
	// the customer (read-only): a banner says so on every page.
	ViewingAs string
}

// Home is where the logo leads: the console overview or the portal home.
func (p Page) Home() string {
	if p.Portal != nil {
		return "/portal"
	}
	return "/"
}

// Prefix is where the face's own pages live ("" for the console, "/portal").
func (p Page) Prefix() string {
	if p.Portal != nil {
		return "/portal"
	}
	return ""
}

// Allowed reports whether the current user holds perm; nil Can denies all.
func (p Page) Allowed(perm string) bool {
	return p.Can != nil && p.Can(perm)
}

// Active reports whether key is the active nav entry: equal to Nav, or a
// prefix of it ("luarmor" is active for Nav "luarmor.keys").
func (p Page) Active(key string) bool {
	return p.Nav == key || strings.HasPrefix(p.Nav, key+".")
}

// DocTitle is the <title> text.
func (p Page) DocTitle() string {
	if p.Title == "" {
		return "lumdesk"
	}
	return p.Title + " · lumdesk"
}

// Initials returns up to two upper-case initials for the avatar.
func (u *User) Initials() string {
	if u == nil {
		return "?"
	}
	name := strings.TrimSpace(u.Name)
	if name == "" {
		name, _, _ = strings.Cut(u.Email, "@")
	}
	var out []rune
	for _, f := range strings.FieldsFunc(name, func(r rune) bool {
		return unicode.IsSpace(r) || r == '.' || r == '_' || r == '-'
	}) {
		r, _ := utf8.DecodeRuneInString(f)
		out = append(out, unicode.ToUpper(r))
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// DisplayName is Name, falling back to Email.
func (u *User) DisplayName() string {
	if u == nil {
		return ""
	}
	if strings.TrimSpace(u.Name) != "" {
		return u.Name
	}
	return u.Email
}

// NavItem is one sidebar link.
type NavItem struct {
	Key, Label, Href, Icon string
	IconClass              string // colour for product icons
	Permission             string // "" = every signed-in user
}

type navSection struct {
	Title string
	Items []NavItem
}

// navSections is the sidebar, filtered by permissions.
func navSections(p Page) []navSection {
	if p.Portal != nil {
		return []navSection{{Items: p.Portal.Nav}}
	}
	admin := []NavItem{{Key: "audit", Label: "Audit log", Href: "/audit", Icon: "clipboard-list"}}
	if p.Allowed("dashboard.view") {
		admin = append(admin, NavItem{Key: "discord", Label: "Discord bot", Href: "/discord", Icon: "chat"})
	}
	if p.Allowed("staff.manage") {
		admin = append(admin, NavItem{Key: "staff", Label: "Staff", Href: "/staff", Icon: "identification"})
	}
	admin = append(admin, NavItem{Key: "sessions", Label: "Your sessions", Href: "/account/sessions", Icon: "computer"})
	var products []NavItem
	for _, it := range p.Products {
		if it.Permission == "" || p.Allowed(it.Permission) {
			products = append(products, it)
		}
	}
	secs := []navSection{
		{Items: []NavItem{{Key: "overview", Label: "Overview", Href: "/", Icon: "home"}}},
		{Title: "Customers", Items: []NavItem{
			{Key: "accounts", Label: "Accounts", Href: "/accounts", Icon: "users"},
			{Key: "apikeys", Label: "API keys", Href: "/apikeys", Icon: "key"},
		}},
		{Title: "Products", Items: products},
		{Title: "Admin", Items: admin},
	}
	// A section the user may see nothing of is left out, title and all.
	return slices.DeleteFunc(secs, func(s navSection) bool { return len(s.Items) == 0 })
}

// QuickLinks is the palette's initial content (the nav, as search results);
// a /search handler can return it for an empty query.
func QuickLinks(p Page) []components.SearchGroup {
	g := components.SearchGroup{Title: "Go to"}
	for _, s := range navSections(p) {
		for _, it := range s.Items {
			g.Items = append(g.Items, components.SearchItem{Title: it.Label, Href: it.Href, Icon: it.Icon, Meta: s.Title})
		}
	}
	return []components.SearchGroup{g}
}

func roleTone(role string) string {
	switch strings.ToLower(role) {
	case "admin":
		return "indigo"
	case "support":
		return "blue"
	case "finance":
		return "green"
	default:
		return "grey"
	}
}

func orNavIcon(class string) string {
	if class == "" {
		return "nav-icon"
	}
	return class
}

// Shortcut is one line of the shortcuts dialog: what it does, the keys
// that do it (alternatives; a key starting with ⌘ reads "Ctrl" off macOS)
// and the mouse's way, if any.
type Shortcut struct {
	What  string
	Keys  []string
	Mouse string
}

// Shortcuts are the keys static/js/app.js answers, in the order the dialog
// lists them; the portal has no palette, so no ⌘K. A key added there is
// added here (docs/architecture.md, conventions).
func Shortcuts(portal bool) []Shortcut {
	var out []Shortcut
	if !portal {
		out = append(out, Shortcut{What: "Search everything", Keys: []string{"⌘K"}})
	}
	return append(out,
		Shortcut{What: "Search this list", Keys: []string{"/"}},
		Shortcut{What: "Next row of a list", Keys: []string{"j", "↓"}},
		Shortcut{What: "Previous row", Keys: []string{"k", "↑"}},
		Shortcut{What: "Select the row, for a bulk action", Keys: []string{"x"}},
		Shortcut{What: "Select every row from the last one selected", Keys: []string{"shift x"}, Mouse: "shift-click"},
		Shortcut{What: "Open the row", Keys: []string{"↵", "o"}},
		Shortcut{What: "Open the row in a new tab", Keys: []string{"⌘↵"}},
		Shortcut{What: "Close a dialog or menu", Keys: []string{"esc"}},
		Shortcut{What: "Show these shortcuts", Keys: []string{"?"}},
	)
}

// modKey is a key pressed with ⌘ (Ctrl off macOS: app.js rewrites its label).
func modKey(key string) bool { return strings.HasPrefix(key, "⌘") }
