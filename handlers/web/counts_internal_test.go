package web

import (
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// CountsChanged joins whatever events the response already carries.
func TestCountsChangedKeepsOtherEvents(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ before, want string }{
		{"", "counts-changed"},
		{toastTrigger("success", "Saved."), `{"toast":{"kind":"success","message":"Saved."},"counts-changed":true}`},
		{"{}", `{"counts-changed":true}`},
		{"closeDialog", "closeDialog, counts-changed"},
		{"counts-changed", "counts-changed"},
	} {
		app := fiber.New()
		app.Get("/", func(c *fiber.Ctx) error {
			if tc.before != "" {
				c.Set("HX-Trigger", tc.before)
			}
			CountsChanged(c)
			return nil
		})
		resp, err := app.Test(httptest.NewRequest("GET", "/", nil))
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("HX-Trigger"); got != tc.want {
			t.Errorf("after %q: %q, want %q", tc.before, got, tc.want)
		}
	}
}
