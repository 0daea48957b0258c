package components

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A field points screen readers at its message: the error (and marks the
// input invalid) or else the hint.
func TestFieldDescribedByItsMessage(t *testing.T) {
	t.Parallel()
	render := func(p FieldProps) string {
		var b strings.Builder
		if err := FieldWith(p).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		in := b.String()
		start := strings.Index(in, "<input")
		return in[start : start+strings.Index(in[start:], ">")+1]
	}
	for _, c := range []struct {
		name        string
		p           FieldProps
		invalid     bool
		describedBy bool
	}{
		{"plain", FieldProps{Name: "email"}, false, false},
		{"hint", FieldProps{Name: "email", Hint: "Your work address."}, false, true},
		{"error", FieldProps{Name: "email", Hint: "Your work address.", Error: "Give an email."}, true, true},
	} {
		in := render(c.p)
		if got := strings.Contains(in, `aria-invalid="true"`); got != c.invalid {
			t.Errorf("%s: aria-invalid %v, want %v: %s", c.name, got, c.invalid, in)
		}
		if got := strings.Contains(in, `aria-describedby="f-email-msg"`); got != c.describedBy {
			t.Errorf("%s: aria-describedby %v, want %v: %s", c.name, got, c.describedBy, in)
		}
		if strings.Contains(in, " else") {
			t.Errorf("%s: a templ keyword rendered as an attribute: %s", c.name, in)
		}
	}
}

// templ reads a bare "else" among an element's attributes as an attribute
// named else (the login form's inputs carried one). Catch it in every
// generated view.
func TestNoElseAttribute(t *testing.T) {
	t.Parallel()
	var files []string
	for _, pattern := range []string{"*_templ.go", "../*/*_templ.go", "../*/*/*_templ.go", "../*/*/*/*_templ.go"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("found only %d generated views", len(files))
	}
	bare := regexp.MustCompile(`templruntime\.WriteString\(\w+, \d+, " else"\)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if bare.MatchString(line) {
				t.Errorf("%s:%d writes an else attribute", f, i+1)
			}
		}
	}
}
