package billing_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
)

// An action answered through htmx tells the page that counts changed, and
// each live count (the sidebar's Lumi badge, the Approvals pill) then reads
// its new value from /counts/<key>.
func TestLiveCountsRefreshAfterAnAction(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := billAccount(t, env, "Nightfall Studios", "ops@nightfall.gg")
	alice, bob := env.As("finance"), env.As("finance")

	r := bob.Get("/lumi")
	if r.Status != 200 || !r.Has(`[data-nav="lumi"] [data-testid="count-lumi-approvals"].hidden`) {
		t.Fatalf("no hidden zero badge on the sidebar's Lumi entry: %d", r.Status)
	}
	if got := bob.Get("/counts/lumi-approvals"); got.Status != 200 || !got.Has(`[data-testid="count-lumi-approvals"].hidden[data-count="0"]`) {
		t.Fatalf("count at zero: %d %q", got.Status, got.Body)
	}

	// A top-up above the limit through htmx: a request, and the trigger.
	r = alice.HTMX("POST", billPath(acc.ID, "/topup"), url.Values{"amount": {"600.00"}, "reason": {"Quarterly prepayment"}, "confirm_amount": {"600.00"}})
	if r.Status != 200 || !strings.Contains(r.Header.Get("HX-Trigger"), "counts-changed") {
		t.Fatalf("htmx request top-up: %d, HX-Trigger %q", r.Status, r.Header.Get("HX-Trigger"))
	}
	c := bob.Get("/counts/lumi-approvals")
	el := c.Doc.Find(`[data-testid="count-lumi-approvals"]`)
	if c.Status != 200 || strings.TrimSpace(el.Text()) != "1" || el.HasClass("hidden") {
		t.Fatalf("count after the request: %d %q", c.Status, c.Text("body"))
	}
	// The fragment keeps listening for the next change.
	if trig, _ := el.Attr("hx-trigger"); trig != "counts-changed from:body" {
		t.Fatalf("fragment hx-trigger = %q", trig)
	}
	if got := bob.Get("/lumi/approvals").Text(`.tabs [data-testid="count-lumi-approvals"]`); got != "1" {
		t.Fatalf("Approvals pill = %q", got)
	}

	// Bob approves through htmx: the trigger keeps the toast event too, and the count drops.
	pending, err := env.Billing.PendingRequests(t.Context(), 0, 10)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending: %v %v", pending, err)
	}
	r = bob.HTMX("POST", "/lumi/approvals/"+strconv.FormatInt(pending[0].ID, 10)+"/approve", url.Values{"reason": {"Checked"}})
	if r.Status != 200 || !strings.Contains(r.Header.Get("HX-Trigger"), "counts-changed") {
		t.Fatalf("htmx approve: %d, HX-Trigger %q", r.Status, r.Header.Get("HX-Trigger"))
	}
	if got := bob.Get("/counts/lumi-approvals"); !got.Has(`[data-testid="count-lumi-approvals"].hidden[data-count="0"]`) {
		t.Fatalf("count after approval: %s", got.Body)
	}

	// Unknown counts are not found, and a signed-out visitor reads none.
	if got := bob.Get("/counts/nonsense"); got.Status != http.StatusNotFound {
		t.Fatalf("unknown count: %d", got.Status)
	}
	if got := env.Anonymous().Get("/counts/lumi-approvals"); got.Status == http.StatusOK {
		t.Fatal("a signed-out visitor reads a count")
	}
}
