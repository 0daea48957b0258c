package web

import (
	"errors"
	"fmt"
	"lumdesk/internal/platform/apperr"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// formResult runs fn over one POSTed urlencoded body and returns what it saw.
func formResult(t *testing.T, body url.Values, fn func(f *Form) any) (any, map[string]string) {
	t.Helper()
	var got any
	var errs map[string]string
	app := fiber.New()
	app.Post("/", func(c *fiber.Ctx) error {
		f := ReadForm(c)
		got = fn(f)
		errs = f.Errors
		return nil
	})
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := app.Test(req); err != nil {
		t.Fatal(err)
	}
	return got, errs
}

func TestFormTrimsAndCollectsFieldErrors(t *testing.T) {
	t.Parallel()
	got, errs := formResult(t, url.Values{"name": {"  Ada  "}, "days": {"0"}, "note": {"a\r\nb "}, "ids": {"1", " 2 "}, "ok": {"on"}},
		func(f *Form) any {
			return []any{f.String("name", 10), f.Int("days", 1, 30), f.Text("note", 0), f.Values("ids"), f.Bool("ok"), f.Required("missing", 10), f.Err() != nil}
		})
	want := []any{"Ada", 0, "a\nb ", []string{"1", "2"}, true, "", true}
	g := got.([]any)
	for i := range want {
		if s, ok := want[i].([]string); ok {
			if strings.Join(g[i].([]string), ",") != strings.Join(s, ",") {
				t.Errorf("value %d = %v, want %v", i, g[i], want[i])
			}
			continue
		}
		if g[i] != want[i] {
			t.Errorf("value %d = %#v, want %#v", i, g[i], want[i])
		}
	}
	if errs["days"] != "Give a whole number from 1 to 30." || errs["missing"] != "Required." || len(errs) != 2 {
		t.Errorf("errors %v", errs)
	}
}

func TestFormRefusesLongValues(t *testing.T) {
	t.Parallel()
	_, errs := formResult(t, url.Values{"c": {strings.Repeat("z", 11)}, "e": {strings.Repeat("z\r\n", 6)}, "d": {"fine"}},
		func(f *Form) any {
			return []string{f.String("c", 10), f.Text("e", 10), f.String("d", 10)}
		})
	for _, k := range []string{"c", "e"} {
		if errs[k] == "" {
			t.Errorf("%s accepted", k)
		}
	}
	if errs["d"] != "" {
		t.Errorf("d refused: %q", errs["d"])
	}
}

func TestFieldErrors(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("create: %w", apperr.FieldErrors{"expire": "must be in the future", "note": "too long"})
	got := FieldErrors(err, map[string]string{"expire": "ban_expire"})
	if len(got) != 2 || got["ban_expire"] != "Must be in the future." || got["note"] != "Too long." {
		t.Fatalf("FieldErrors = %v", got)
	}
	if FieldErrors(errors.New("boom"), nil) != nil || FieldErrors(nil, nil) != nil {
		t.Fatal("other errors have no field messages")
	}
}

func TestFilterDay(t *testing.T) {
	t.Parallel()
	errs := map[string]string{}
	if d := FilterDay(errs, "from", ""); d != nil || len(errs) != 0 {
		t.Fatalf("empty: %v %v", d, errs)
	}
	if d := FilterDay(errs, "from", "2026-01-31"); d == nil || !d.Equal(time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("date: %v", d)
	}
	for _, bad := range []string{"yesterday", "2026-13-01", "0001-01-01", "31/01/2026"} {
		if d := FilterDay(errs, "to", bad); d != nil || errs["to"] == "" {
			t.Errorf("%q accepted: %v", bad, d)
		}
	}
}

// NextPage shows size rows and a cursor only when the extra row came back:
// an exactly full last page has none.
func TestNextPage(t *testing.T) {
	id := func(n int64) int64 { return n }
	for _, c := range []struct {
		rows       []int64
		show       int
		wantCursor string
	}{
		{nil, 0, ""},
		{[]int64{9, 8}, 2, ""},
		{[]int64{9, 8, 7}, 3, ""},
		{[]int64{9, 8, 7, 6}, 3, "7"},
	} {
		got, cur := NextPage(c.rows, 3, id)
		if len(got) != c.show || cur != c.wantCursor {
			t.Errorf("%v: %v %q, want %d rows and %q", c.rows, got, cur, c.show, c.wantCursor)
		}
	}
}
