package textdiff

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLineDiff(t *testing.T) {
	a := "local a = 1\nlocal b = 2\nprint(a)\nprint(b)\nreturn\n"
	b := "local a = 1\nlocal b = 3\nprint(a)\nprint(b)\nprint(a + b)\nreturn\n"
	hunks, added, removed, ok := LineDiff(a, b, 1)
	if !ok || added != 2 || removed != 1 {
		t.Fatalf("ok=%v added=%d removed=%d", ok, added, removed)
	}
	// The two changes are 2 lines apart: within 2*context, so one hunk.
	want := []Hunk{
		{Header: "@@ -1,5 +1,6 @@", Lines: []DiffLine{
			{' ', 1, 1, "local a = 1"}, {'-', 2, 0, "local b = 2"}, {'+', 0, 2, "local b = 3"}, {' ', 3, 3, "print(a)"},
			{' ', 4, 4, "print(b)"}, {'+', 0, 5, "print(a + b)"}, {' ', 5, 6, "return"},
		}},
	}
	if d := cmp.Diff(want, hunks); d != "" {
		t.Errorf("hunks (-want +got):\n%s", d)
	}
	far := "1\n2\n3\n4\n5\n6\n7\n8\n"
	if h, _, _, _ := LineDiff(far, "1\nX\n3\n4\n5\n6\nY\n8\n", 1); len(h) != 2 || h[0].Header != "@@ -1,3 +1,3 @@" || h[1].Header != "@@ -6,3 +6,3 @@" {
		t.Errorf("distant changes: %+v", h)
	}
	if h, _, _, _ := LineDiff(a, a, 3); len(h) != 0 {
		t.Errorf("identical texts: %d hunks", len(h))
	}
	if h, add, _, _ := LineDiff("", "x\ny\n", 3); add != 2 || len(h) != 1 || h[0].Header != "@@ -0,0 +1,2 @@" {
		t.Errorf("from empty: %+v", h)
	}
}

// Every edit script must rebuild both texts, and be no longer than the
// naive delete-all/insert-all.
func TestLineDiffRebuilds(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "b", "c", "d", "end"}
	gen := func() []string {
		out := make([]string, r.IntN(30))
		for i := range out {
			out[i] = words[r.IntN(len(words))]
		}
		return out
	}
	for i := 0; i < 500; i++ {
		a, b := gen(), gen()
		ops, ok := diffOps(a, b)
		if !ok {
			t.Fatal("not ok")
		}
		var ga, gb []string
		for _, o := range ops {
			if o.Op != '+' {
				ga = append(ga, o.Text)
			}
			if o.Op != '-' {
				gb = append(gb, o.Text)
			}
		}
		if strings.Join(ga, "\n") != strings.Join(a, "\n") || strings.Join(gb, "\n") != strings.Join(b, "\n") {
			t.Fatalf("script does not rebuild:\na=%v\nb=%v\nops=%v", a, b, ops)
		}
	}
}

func TestLineDiffTooBig(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < MaxDiffEdits; i++ {
		a.WriteString("a\n")
		b.WriteString("b\n")
	}
	if _, _, _, ok := LineDiff(a.String(), b.String(), 3); ok {
		t.Error("a diff beyond MaxDiffEdits should report !ok")
	}
}
