package components

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestSplitKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ key, head, tail string }{
		{"", "", ""},
		{"short", "short", ""},
		{"abcdefghijkl", "abcdefghijkl", ""}, // 12 runes: nothing worth cutting
		{"abcdefghijklm", "abcdefg", "hijklm"},
		{"9f2c1e7a4b6d8e0f1a2b3c4d5e6f7a8b", "9f2c1e7a4b6d8e0f1a2b3c4d5e", "6f7a8b"},
		{"ключ-ключ-ключ-ключ", "ключ-ключ-клю", "ч-ключ"},
	} {
		h, tl := SplitKey(c.key)
		if h != c.head || tl != c.tail || h+tl != c.key {
			t.Errorf("SplitKey(%q) = %q, %q; want %q, %q", c.key, h, tl, c.head, c.tail)
		}
	}
}

func TestKeyCellKeepsTheWholeKey(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	key := "9f2c1e7a4b6d8e0f1a2b3c4d5e6f7a8b"
	if err := KeyCell(key, "/luarmor/keys/7", "key-link").Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{
		`title="` + key + `"`,          // the full value on hover
		`data-copy-text="` + key + `"`, // the copy button takes it whole
		`<span class="key-head">9f2c1e7a4b6d8e0f1a2b3c4d5e</span><span class="key-tail">6f7a8b</span>`, // whole in the DOM
		`href="/luarmor/keys/7"`, `data-testid="key-link"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("KeyCell lacks %s:\n%s", want, html)
		}
	}
}

func TestClipAndCopyButton(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	v := `accounts.payable@very-long-domain.example <x>`
	if err := Clip(v, "max-w-[12rem]").Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if err := CopyButton(v, "e-mail").Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	esc := `accounts.payable@very-long-domain.example &lt;x&gt;`
	for _, want := range []string{`class="cell-clip max-w-[12rem]"`, `title="` + esc + `"`, `>` + esc + `</span>`,
		`data-copy-text="` + esc + `"`, `aria-label="Copy e-mail"`, `type="button"`} {
		if !strings.Contains(html, want) {
			t.Errorf("lacks %s:\n%s", want, html)
		}
	}
}

// An empty state's `command` is set as code, its text escaped.
func TestEmptyStateSetsCommandsAsCode(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := EmptyState("No apps yet", "Create one with `lumdesk app create <x>`, then a key.").Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	if !strings.Contains(html, `>lumdesk app create &lt;x&gt;</code>, then a key.`) || strings.Contains(html, "`") {
		t.Errorf("EmptyState:\n%s", html)
	}
}
