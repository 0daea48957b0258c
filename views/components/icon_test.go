package components

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"lumdesk/internal/product"
	"lumdesk/static"
)

// An icon is a reference into the sprite, by its content-hashed address, and
// a name the sprite lacks draws its neutral square rather than nothing.
func TestIconRefersToTheSprite(t *testing.T) {
	t.Parallel()
	render := func(name string) string {
		var b strings.Builder
		if err := Icon(name, "h-4 w-4").Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	got := render("copy")
	if want := `<use href="` + static.URL("img/icons.svg") + `#copy"></use>`; !strings.Contains(got, want) {
		t.Errorf("Icon(copy) = %s, want it to hold %s", got, want)
	}
	if !strings.Contains(static.URL("img/icons.svg"), "?v=") {
		t.Errorf("the sprite's address %s carries no content hash", static.URL("img/icons.svg"))
	}
	if strings.Contains(got, "<path") || !strings.Contains(got, `stroke="currentColor"`) || !strings.Contains(got, `class="h-4 w-4"`) {
		t.Errorf("Icon(copy) = %s: want no inline path, the stroke and the class", got)
	}
	if got := render("no-such-icon"); !strings.Contains(got, `#unknown"`) {
		t.Errorf("Icon(no-such-icon) = %s, want the sprite's unknown symbol", got)
	}
}

// The sprite is well-formed SVG whose symbols each have a unique id and a
// path, and it holds every icon the product registry, the alerts and the
// toasts name (the pages' literal names are checked in the browser tests,
// which fail on any #unknown on a page).
func TestSpriteHoldsTheIconsNamedInCode(t *testing.T) {
	t.Parallel()
	raw, err := static.FS.ReadFile("img/icons.svg")
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(raw))
	ids, paths := map[string]int{}, map[string]int{}
	var in string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("icons.svg is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "symbol":
				for _, a := range se.Attr {
					if a.Name.Local == "id" {
						in = a.Value
						ids[in]++
					}
				}
			case "path":
				paths[in]++
			}
		}
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("symbol %q appears %d times", id, n)
		}
		if paths[id] == 0 {
			t.Errorf("symbol %q has no path", id)
		}
		if !iconNames[id] {
			t.Errorf("symbol %q is missing from iconNames", id)
		}
	}
	if len(ids) != len(iconNames) || len(ids) < 40 {
		t.Errorf("the sprite has %d symbols, iconNames %d", len(ids), len(iconNames))
	}
	named := []string{}
	for _, kind := range []string{"error", "warning", "success", "info"} {
		named = append(named, alertIcon(kind), toastIcon(kind))
	}
	for _, p := range product.All() {
		named = append(named, p.Icon)
		for _, n := range p.Nav {
			named = append(named, n.Icon)
		}
		for _, k := range p.SearchKinds {
			named = append(named, k.Icon)
		}
	}
	for _, name := range named {
		if !iconNames[name] {
			t.Errorf("icon %q is named in code but not in static/img/icons.svg", name)
		}
	}
}
