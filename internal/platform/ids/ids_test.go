package ids

import (
	"strings"
	"testing"
)

func TestTokenAlphabetAndLength(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		tok := Token(32)
		if len(tok) != 32 {
			t.Fatalf("len = %d", len(tok))
		}
		for _, r := range tok {
			if !strings.ContainsRune(alnum, r) {
				t.Fatalf("bad rune %q in %q", r, tok)
			}
		}
		if seen[tok] {
			t.Fatalf("duplicate token %q", tok)
		}
		seen[tok] = true
	}
	if h := Hex(64); len(strings.Trim(h, "0123456789abcdef")) != 0 || len(h) != 64 {
		t.Fatalf("Hex(64) = %q", h)
	}
}

func TestHashIsStable(t *testing.T) {
	if HashHex("abc") != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatal("sha256 mismatch")
	}
}
