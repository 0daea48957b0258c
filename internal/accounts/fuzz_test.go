package accounts

import (
	"testing"
	"unicode/utf8"
)

// Cursors come back from the URL: anything must either be refused or
// decode to a position that encodes back to an equal cursor.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(cursor{Sort: SortNewest, Time: 1767225600000000, ID: 42}.encode(), "newest")
	f.Add(cursor{Sort: SortNameAsc, Back: true, Name: "nightfall studios", ID: 7}.encode(), "name")
	f.Add("", "newest")
	f.Add("eyJzIjoibmV3ZXN0IiwiaSI6MH0", "newest")
	f.Add("%%%", "-name")
	f.Fuzz(func(t *testing.T, s, sort string) {
		c, err := decodeCursor(s, Sort(sort))
		if err != nil {
			return
		}
		if c.ID <= 0 || c.Sort != Sort(sort) || !utf8.ValidString(c.Name) {
			t.Fatalf("accepted %q as %+v", s, c)
		}
		again, err := decodeCursor(c.encode(), Sort(sort))
		if err != nil || again != c {
			t.Fatalf("round trip of %+v: %+v, %v", c, again, err)
		}
	})
}

// Form input: validation never panics, and what it accepts is within the limits.
func FuzzValidate(f *testing.F) {
	f.Add("Nightfall Studios", "ops@nightfall.gg", "123456789012345678", "note")
	f.Add("", "", "", "")
	f.Add("\x00", "a@b", "12345678901234567890", "\xff")
	f.Add("Ops <ops@x.io>", "\"quoted\"@x.io", " 1 ", "line\r\nline")
	f.Fuzz(func(t *testing.T, name, email, discord, note string) {
		c, verr := validate(CreateInput{Name: name, Email: email, DiscordID: discord, Note: note})
		if len(verr) > 0 {
			return
		}
		if n := utf8.RuneCountInString(c.name); n == 0 || n > MaxName || hasControl(c.name, false) || !utf8.ValidString(c.name) {
			t.Fatalf("accepted name %q", c.name)
		}
		if _, ok := normalizeEmail(c.email); !ok || len(c.email) > MaxEmail {
			t.Fatalf("accepted email %q", c.email)
		}
		if c.discord != "" && !IsDiscordID(c.discord) {
			t.Fatalf("accepted discord id %q", c.discord)
		}
		if utf8.RuneCountInString(c.note) > MaxNote || !utf8.ValidString(c.note) {
			t.Fatalf("accepted note %q", c.note)
		}
	})
}
