package lumora_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/mail"
	"lumdesk/internal/mail/webhooks"
	"lumdesk/internal/platform/config"
)

// hookFixture is an endpoint of the fixture's app with deliveries: one
// delivered (after a failed attempt), one failed and one still pending.
type hookFixture struct {
	*fixture
	ep                         webhooks.CreatedEndpoint
	delivered, failed, pending int64
}

func newHookFixture(t *testing.T) *hookFixture {
	t.Helper()
	f := newFixture(t, func(c *config.Config) { c.WebhookAllowPrivate = true })
	ctx := context.Background()
	ep, err := f.env.Webhooks.CreateEndpoint(ctx, cli, accounts.AllAccounts, f.app.ID,
		webhooks.EndpointInput{URL: "https://127.0.0.1/hooks/lumora", Events: []string{webhooks.EventDelivered, webhooks.EventBounced}})
	if err != nil {
		t.Fatal(err)
	}
	h := &hookFixture{fixture: f, ep: ep}
	for _, typ := range []string{webhooks.EventDelivered, webhooks.EventBounced, webhooks.EventDelivered} {
		err := pgx.BeginFunc(ctx, f.env.DB.Pool, func(tx pgx.Tx) error {
			_, err := f.env.Webhooks.Enqueue(ctx, tx, f.app.ID, typ, map[string]any{"message_id": "msg_x", "type": typ})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ds, err := f.env.Webhooks.ListDeliveries(ctx, accounts.AllAccounts, ep.ID, 0, 10)
	if err != nil || len(ds) != 3 {
		t.Fatalf("deliveries %d, %v", len(ds), err)
	}
	// Newest first: ds[2] the first enqueued.
	h.delivered, h.failed, h.pending = ds[2].ID, ds[1].ID, ds[0].ID
	code := func(n int32) *int32 { return &n }
	now := time.Now().UTC()
	q := f.env.DB.Queries
	for _, a := range []store.RecordMailWebhookAttemptParams{
		{ID: h.delivered, ResponseCode: code(503), LatencyMs: 120, Error: "HTTP 503 from the endpoint", Status: webhooks.StatusPending, Now: now},
		{ID: h.delivered, ResponseCode: code(200), LatencyMs: 42, Status: webhooks.StatusDelivered, Now: now.Add(time.Second)},
		{ID: h.failed, LatencyMs: 10000, Error: "connection refused", Status: webhooks.StatusFailed, Now: now},
	} {
		if _, err := q.RecordMailWebhookAttempt(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func TestWebhookEndpointPage(t *testing.T) {
	t.Parallel()
	h := newHookFixture(t)
	v := h.env.As("viewer")
	// The app page links the endpoint.
	if r := v.Get("/lumora/apps/" + id(h.app.ID)); r.Doc.Find(`a[data-testid="app-webhook-link"]`).AttrOr("href", "") != "/lumora/webhooks/"+h.ep.ID {
		t.Errorf("app page link %q", r.Doc.Find(`a[data-testid="app-webhook-link"]`).AttrOr("href", ""))
	}
	r := v.Get("/lumora/webhooks/" + h.ep.ID)
	if r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
	if got := r.Text(`[data-testid="webhook-url"]`); !strings.Contains(got, "https://127.0.0.1/hooks/lumora") {
		t.Errorf("url %q", got)
	}
	if body := r.Text("main"); !strings.Contains(body, "Receipts") || !strings.Contains(body, "email.bounced") {
		t.Errorf("the endpoint's app and events are missing")
	}
	rows := r.Doc.Find(`[data-testid="delivery-row"]`)
	if rows.Length() != 3 {
		t.Fatalf("%d delivery rows", rows.Length())
	}
	// Newest first, with status, response code and attempts.
	if got := rows.Eq(0).AttrOr("data-id", ""); got != id(h.pending) {
		t.Errorf("first row %s, want the newest %d", got, h.pending)
	}
	d := r.Doc.Find(`[data-testid="delivery-row"][data-id="` + id(h.delivered) + `"]`)
	if d.AttrOr("data-status", "") != "delivered" || !strings.Contains(d.Text(), "200") || !strings.Contains(d.Text(), "42 ms") {
		t.Errorf("delivered row %q", d.Text())
	}
	if r.Has(`[data-testid="replay"]`) || r.Has(`[data-testid="webhook-delete"]`) {
		t.Error("a viewer sees replay or delete")
	}
	// The status filter keeps one status; a bad one says so and shows all.
	if r := v.Get("/lumora/webhooks/" + h.ep.ID + "?status=failed"); r.Doc.Find(`[data-testid="delivery-row"]`).Length() != 1 ||
		r.Doc.Find(`[data-testid="delivery-row"]`).AttrOr("data-id", "") != id(h.failed) {
		t.Errorf("status filter: %d rows", r.Doc.Find(`[data-testid="delivery-row"]`).Length())
	}
	if r := v.Get("/lumora/webhooks/" + h.ep.ID + "?status=nope&cursor=x"); r.Status != http.StatusOK || r.Text(`[data-testid="filter-error"]`) == "" ||
		r.Doc.Find(`[data-testid="delivery-row"]`).Length() != 3 {
		t.Errorf("bad filters: status %d", r.Status)
	}
	// Keyset paging: after the newest, the two older ones.
	if r := v.Get("/lumora/webhooks/" + h.ep.ID + "?cursor=" + id(h.pending)); r.Doc.Find(`[data-testid="delivery-row"]`).Length() != 2 {
		t.Errorf("older page: %d rows", r.Doc.Find(`[data-testid="delivery-row"]`).Length())
	}
	// A delivery's page lists its attempts.
	r = v.Get("/lumora/webhooks/deliveries/" + id(h.delivered))
	if r.Status != http.StatusOK {
		t.Fatalf("delivery: status %d", r.Status)
	}
	att := r.Doc.Find(`[data-testid="attempt-row"]`)
	if att.Length() != 2 || !strings.Contains(att.Eq(0).Text(), "503") || !strings.Contains(att.Eq(0).Text(), "HTTP 503 from the endpoint") ||
		!strings.Contains(att.Eq(1).Text(), "200") || !strings.Contains(att.Eq(1).Text(), "42 ms") {
		t.Errorf("attempts %d: %q", att.Length(), att.Text())
	}
	if !strings.Contains(r.Text(`[data-testid="delivery-payload"]`), `"message_id": "msg_x"`) {
		t.Errorf("payload %q", r.Text(`[data-testid="delivery-payload"]`))
	}
	if r := v.Get("/lumora/webhooks/deliveries/" + id(h.pending)); !r.Has(`[data-testid="attempts-empty"]`) {
		t.Error("the pending delivery shows attempts")
	}
}

func TestWebhookNotFound(t *testing.T) {
	t.Parallel()
	h := newHookFixture(t)
	ctx := context.Background()
	// An endpoint of another account's app: the staff console sees every
	// account, so it is found; an unknown or malformed id is not.
	other, err := h.env.Accounts.Create(ctx, cli, accounts.CreateInput{Name: "Other", Email: "other@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	app, err := h.env.Mail.CreateApp(ctx, cli, accounts.AllAccounts, mail.AppInput{AccountID: &other.ID, Name: "Other app"})
	if err != nil {
		t.Fatal(err)
	}
	oep, err := h.env.Webhooks.CreateEndpoint(ctx, cli, accounts.AllAccounts, app.ID,
		webhooks.EndpointInput{URL: "https://127.0.0.1/other", Events: []string{webhooks.EventBounced}})
	if err != nil {
		t.Fatal(err)
	}
	// Scoped to the first account, the other's endpoint is not found.
	if _, err := h.env.Webhooks.FindEndpoint(ctx, accounts.Only(h.acc), oep.ID); err == nil {
		t.Error("another account's endpoint found within an account's scope")
	}
	if _, err := h.env.Webhooks.ListDeliveriesWithStatus(ctx, accounts.Only(h.acc), oep.ID, "", 0, 10); err == nil {
		t.Error("another account's log listed within an account's scope")
	}
	v := h.env.As("viewer")
	if r := v.Get("/lumora/webhooks/" + oep.ID); r.Status != http.StatusOK || !strings.Contains(r.Text("main"), "Other app") {
		t.Errorf("staff see every account's endpoint: status %d", r.Status)
	}
	for _, p := range []string{"/lumora/webhooks/ep_unknown000000000000000000", "/lumora/webhooks/nope", "/lumora/webhooks/" + strings.Repeat("ep_x", 40),
		"/lumora/webhooks/deliveries/999999", "/lumora/webhooks/deliveries/0"} {
		if r := v.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("%s: status %d", p, r.Status)
		}
	}
	admin := h.env.As("admin")
	admin.Get("/lumora/webhooks/" + h.ep.ID)
	for _, p := range []string{"/lumora/webhooks/deliveries/999999/replay", "/lumora/webhooks/ep_unknown000000000000000000/delete"} {
		if r := admin.PostForm(p, url.Values{}); r.Status != http.StatusNotFound {
			t.Errorf("POST %s: status %d", p, r.Status)
		}
	}
}

func TestReplayDelivery(t *testing.T) {
	t.Parallel()
	h := newHookFixture(t)
	ctx := context.Background()
	v := h.env.As("viewer")
	v.Get("/lumora/webhooks/" + h.ep.ID)
	if r := v.PostForm("/lumora/webhooks/deliveries/"+id(h.failed)+"/replay", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("viewer replay: status %d", r.Status)
	}
	if d, _ := h.env.Webhooks.GetDelivery(ctx, accounts.AllAccounts, h.failed); d.Status != webhooks.StatusFailed {
		t.Errorf("a refused replay changed the delivery: %s", d.Status)
	}
	admin := h.env.As("admin")
	r := admin.Get("/lumora/webhooks/" + h.ep.ID)
	// Delivered and failed deliveries offer replay; the pending one does not.
	if n := r.Doc.Find(`[data-testid="replay"]`).Length(); n != 2 ||
		r.Has(`[data-testid="delivery-row"][data-id="`+id(h.pending)+`"] [data-testid="replay"]`) {
		t.Errorf("%d replay buttons", n)
	}
	r = admin.PostForm("/lumora/webhooks/deliveries/"+id(h.failed)+"/replay", url.Values{})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("replay: status %d", r.Status)
	}
	d, err := h.env.Webhooks.GetDelivery(ctx, accounts.AllAccounts, h.failed)
	if err != nil || d.Status != webhooks.StatusPending || d.NextAttemptAt == nil {
		t.Errorf("after replay: %+v, %v", d, err)
	}
	var jobs int
	if err := h.env.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND (args->>'delivery_id')::bigint = $2`,
		webhooks.KindDeliver, h.failed).Scan(&jobs); err != nil || jobs != 2 {
		t.Errorf("%d delivery jobs (the first and the replay), %v", jobs, err)
	}
	if n := h.env.AuditCount("mail_webhook.replay", id(h.failed)); n != 1 {
		t.Errorf("%d audit rows", n)
	}
	page := admin.Get("/lumora/webhooks/" + h.ep.ID)
	if !strings.Contains(page.Text(`[role="status"], .toast, [data-testid="toast"]`), "queued to be sent again") {
		t.Errorf("no success toast: %q", page.Text(".toast"))
	}
	// Replaying it again while it is pending is refused with a message, not an error page.
	r = admin.PostForm("/lumora/webhooks/deliveries/"+id(h.failed)+"/replay", url.Values{})
	if r.Status != http.StatusSeeOther {
		t.Errorf("replay of a pending delivery: status %d", r.Status)
	}
	if n := h.env.AuditCount("mail_webhook.replay", id(h.failed)); n != 1 {
		t.Errorf("a refused replay was audited: %d rows", n)
	}
}

func TestDeleteWebhookEndpoint(t *testing.T) {
	t.Parallel()
	h := newHookFixture(t)
	v := h.env.As("viewer")
	v.Get("/lumora/webhooks/" + h.ep.ID)
	if r := v.PostForm("/lumora/webhooks/"+h.ep.ID+"/delete", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("viewer delete: status %d", r.Status)
	}
	admin := h.env.As("admin")
	r := admin.Get("/lumora/webhooks/" + h.ep.ID)
	dlg := r.Doc.Find(`dialog#webhook-delete-dialog`)
	if !r.Has(`[data-testid="webhook-delete"]`) || dlg.Length() != 1 || dlg.Find(`button.btn-danger[type=submit]`).Length() != 1 ||
		dlg.Find("form").AttrOr("action", "") != "/lumora/webhooks/"+h.ep.ID+"/delete" {
		t.Fatal("no red delete confirmation")
	}
	r = admin.PostForm("/lumora/webhooks/"+h.ep.ID+"/delete", url.Values{})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("delete: status %d", r.Status)
	}
	if n := h.env.AuditCount("mail_webhook.delete", h.ep.ID); n != 1 {
		t.Errorf("%d audit rows", n)
	}
	if r := admin.Get("/lumora/apps/" + id(h.app.ID)); r.Has(`[data-testid="app-webhook"]`) {
		t.Error("the deleted endpoint is still listed on the app")
	}
	// Its log stays readable; nothing can be replayed or deleted again.
	r = admin.Get("/lumora/webhooks/" + h.ep.ID)
	if r.Status != http.StatusOK || !r.Has(`[data-testid="webhook-deleted"]`) || r.Doc.Find(`[data-testid="delivery-row"]`).Length() != 3 ||
		r.Has(`[data-testid="replay"]`) || r.Has(`[data-testid="webhook-delete"]`) {
		t.Errorf("deleted endpoint page: status %d", r.Status)
	}
	if r := admin.PostForm("/lumora/webhooks/deliveries/"+id(h.delivered)+"/replay", url.Values{}); r.Status != http.StatusSeeOther {
		t.Errorf("replay to a deleted endpoint: status %d", r.Status)
	}
	if n := h.env.AuditCount("mail_webhook.replay", ""); n != 0 {
		t.Errorf("a replay to a deleted endpoint was audited")
	}
}

func TestAddSuppression(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	list := "/lumora/suppressions?account=" + id(f.acc)
	if r := f.env.As("viewer").Get(list); r.Has(`[data-testid="add-suppression-form"]`) {
		t.Error("a viewer sees the add form")
	}
	if r := f.env.As("viewer").PostForm("/lumora/suppressions", url.Values{"account": {id(f.acc)}, "new_email": {"x@example.net"}, "new_reason": {"x"}}); r.Status != http.StatusForbidden {
		t.Errorf("viewer add: status %d", r.Status)
	}
	admin := f.env.As("admin")
	if r := admin.Get(list); !r.Has(`[data-testid="add-suppression-form"]`) {
		t.Fatal("no add form for an admin")
	}
	long := strings.Repeat("a", 300) + "@example.net"
	for name, form := range map[string]url.Values{
		"empty email":     {"account": {id(f.acc)}, "new_email": {""}, "new_reason": {"asked"}},
		"invalid email":   {"account": {id(f.acc)}, "new_email": {"not an address"}, "new_reason": {"asked"}},
		"display name":    {"account": {id(f.acc)}, "new_email": {"Jo <jo@example.net>"}, "new_reason": {"asked"}},
		"CR/LF":           {"account": {id(f.acc)}, "new_email": {"jo@example.net\r\nBcc: x@evil.test"}, "new_reason": {"asked"}},
		"oversized email": {"account": {id(f.acc)}, "new_email": {long}, "new_reason": {"asked"}},
		"huge email":      {"account": {id(f.acc)}, "new_email": {strings.Repeat("b", 5000) + "@example.net"}, "new_reason": {"asked"}},
		"no reason":       {"account": {id(f.acc)}, "new_email": {"jo@example.net"}},
		"blank reason":    {"account": {id(f.acc)}, "new_email": {"jo@example.net"}, "new_reason": {"   "}},
		"long reason":     {"account": {id(f.acc)}, "new_email": {"jo@example.net"}, "new_reason": {strings.Repeat("r", 550)}},
		"no account":      {"new_email": {"jo@example.net"}, "new_reason": {"asked"}},
		"unknown account": {"account": {"999999"}, "new_email": {"jo@example.net"}, "new_reason": {"asked"}},
	} {
		r := admin.PostForm("/lumora/suppressions", form)
		if r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="add-suppression-form"] .field-error, [data-testid="add-suppression-form"] [role="alert"], [data-testid="filter-error"]`) {
			t.Errorf("%s: status %d", name, r.Status)
		}
	}
	if n := f.env.AuditCount("mail_suppression.add", ""); n != 0 {
		t.Fatalf("refused adds were audited: %d", n)
	}
	r := admin.PostForm("/lumora/suppressions", url.Values{"account": {id(f.acc)}, "new_email": {" Jo@Example.NET "}, "new_reason": {"Asked by phone to get no more mail"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add: status %d", r.Status)
	}
	page := admin.Get(list)
	row := page.Text(`[data-testid="suppression-row"]`)
	if !strings.Contains(row, "Jo@example.net") || !strings.Contains(row, "Manual") {
		t.Errorf("row %q", row)
	}
	ss, err := f.env.Mail.ListSuppressions(context.Background(), accounts.AllAccounts, mail.SuppressionFilter{AccountID: f.acc, Limit: 10})
	if err != nil || len(ss) != 1 || ss[0].Reason != mail.ReasonManual || ss[0].Email != "Jo@example.net" {
		t.Fatalf("suppressions %+v, %v", ss, err)
	}
	// The audit row is on the account, with the reason and the address.
	var reason, after string
	if err := f.env.DB.Pool.QueryRow(context.Background(),
		`SELECT coalesce(reason, ''), coalesce(after::text, '') FROM audit_events WHERE action = 'mail_suppression.add' AND entity_type = 'account' AND entity_id = $1`,
		id(f.acc)).Scan(&reason, &after); err != nil {
		t.Fatal(err)
	}
	if reason != "Asked by phone to get no more mail" || !strings.Contains(after, "Jo@example.net") {
		t.Errorf("audit reason %q, after %s", reason, after)
	}
	// The same address again, in any case: a form message, nothing added.
	r = admin.PostForm("/lumora/suppressions", url.Values{"account": {id(f.acc)}, "new_email": {"jo@example.net"}, "new_reason": {"again"}})
	if msg := r.Text(`[data-testid="add-suppression-form"] .field-error`); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(msg, "already suppresses") || strings.Contains(msg, "..") {
		t.Errorf("duplicate: status %d, %q", r.Status, r.Text(`[data-testid="add-suppression-form"] .field-error`))
	}
	if n := f.env.AuditCount("mail_suppression.add", id(f.acc)); n != 1 {
		t.Errorf("%d audit rows", n)
	}
}
