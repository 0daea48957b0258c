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

func TestPublicIDs(t *testing.T) {
	id := Public("ext_")
	if !ValidPublic("ext_", id) || len(id) != 20 {
		t.Fatalf("Public(ext_) = %q, not valid", id)
	}
	if Public("ext_") == id {
		t.Error("two ids are equal")
	}
	for _, bad := range []string{"", "ext_", "ver_" + id[4:], id + "a", id[:19], "ext_ABCDEFGHIJKLMNOP", "ext_aaaaaaaaaaaaaaa1", "ext_aaaaaaaaaaaaaaa8"} {
		if ValidPublic("ext_", bad) {
			t.Errorf("ValidPublic(ext_, %q) = true", bad)
		}
	}
}
