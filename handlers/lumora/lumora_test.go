package lumora_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"lumdesk/db/store"
	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/mail"
	"lumdesk/internal/mail/webhooks"
	"lumdesk/internal/platform/config"
)

var cli = audit.CLI("lumora console test")

// publish puts a domain's expected records in the app's test DNS server.
func (f *fixture) publish(d mail.Domain) {
	for _, r := range d.Records {
		f.env.DNS.Publish(r.Type, r.Name, r.Value)
	}
}

type fixture struct {
	env *servertest.Env
	acc int64
	app mail.App
}

func newFixture(t *testing.T, opts ...servertest.Option) *fixture {
	t.Helper()
	env := servertest.New(t, opts...)
	a, err := env.Accounts.Create(context.Background(), cli, accounts.CreateInput{Name: "Mail Sender", Email: "sender@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	app, err := env.Mail.CreateApp(context.Background(), cli, accounts.AllAccounts, mail.AppInput{AccountID: &a.ID, Name: "Receipts"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{env: env, acc: a.ID, app: app}
}

// message stores a message with one recipient and its events, as a send
// and its delivery would have left them.
func (f *fixture) message(t *testing.T, publicID, from, to, status string, at time.Time, events ...string) {
	t.Helper()
	ctx := context.Background()
	q := f.env.DB.Queries
	m, err := q.InsertMailMessage(ctx, store.InsertMailMessageParams{PublicID: publicID, AccountID: f.acc, AppID: f.app.ID,
		FromEmail: from, Subject: "Receipt " + publicID, TextBody: "hi", Headers: json.RawMessage(`{"X-Order":"42"}`), Tags: json.RawMessage(`[]`),
		ReplyTo: []string{}, Now: at})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.SetMailMessageStatus(ctx, store.SetMailMessageStatusParams{ID: m.ID, Status: status, SmtpMessageID: "<" + publicID + "@test>", Now: at}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.InsertMailRecipient(ctx, store.InsertMailRecipientParams{MessageID: m.ID, Email: to, Kind: "to", Status: status, Now: at}); err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if err := q.InsertMailEvent(ctx, store.InsertMailEventParams{MessageID: m.ID, AppID: f.app.ID, AccountID: f.acc,
			Recipient: to, Type: e, Detail: "250 ok", At: at}); err != nil {
			t.Fatal(err)
		}
	}
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func TestOverviewCounters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	now := time.Now()
	f.message(t, "msg_aaaaaaaa1", "a@shop.example", "x@example.net", "delivered", now, "queued", "delivered")
	f.message(t, "msg_aaaaaaaa2", "a@shop.example", "y@example.net", "bounced", now, "queued", "bounced")
	f.message(t, "msg_aaaaaaaa3", "a@shop.example", "z@example.net", "delivered", now, "queued", "delivered")
	f.message(t, "msg_aaaaaaaa4", "a@shop.example", "w@example.net", "delivered", now, "queued", "delivered")
	f.message(t, "msg_aaaaaaaa5", "a@shop.example", "s@example.net", "suppressed", now, "suppressed")
	r := f.env.As("viewer").Get("/lumora")
	if r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
	for sel, want := range map[string]string{
		`[data-testid="counter-messages-today"] .stat-value`:  "5",
		`[data-testid="counter-bounce-rate"] .stat-value`:     "25.0%",
		`[data-testid="counter-failing-domains"] .stat-value`: "0",
	} {
		if got := r.Text(sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
}

func TestAddVerifyDomain(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.env.As("admin")

	// Bad input answers as form messages, never a 500.
	r := admin.PostForm("/lumora/domains", url.Values{"account": {"abc"}, "name": {""}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="domain-form"]`), "account's id") {
		t.Fatalf("bad form: status %d", r.Status)
	}
	r = admin.PostForm("/lumora/domains", url.Values{"account": {id(f.acc)}, "name": {"not a domain!"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad domain: status %d", r.Status)
	}
	r = admin.PostForm("/lumora/domains", url.Values{"account": {"999999"}, "name": {"mail.shop.example"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="domain-form"]`), "No account has that id") {
		t.Fatalf("unknown account: status %d", r.Status)
	}

	r = admin.PostForm("/lumora/domains", url.Values{"account": {id(f.acc)}, "name": {"mail.shop.example"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add: status %d", r.Status)
	}
	// Twice is a message that starts with its own words, not the name.
	r = admin.PostForm("/lumora/domains", url.Values{"account": {id(f.acc)}, "name": {"mail.shop.example"}})
	if got := r.Text(`[data-testid="domain-form"] .field-error`); r.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(got, "This account already has the sending domain mail.shop.example") {
		t.Errorf("the same domain twice: %d %q", r.Status, got)
	}
	// The list names each domain's account.
	if got := admin.Get("/lumora/domains").Text(`table tbody tr td a[href="/accounts/` + id(f.acc) + `"]`); got == "" || strings.HasPrefix(got, "#") {
		t.Errorf("the domain list's account column: %q", got)
	}
	doms, err := f.env.Mail.ListDomains(context.Background(), mail.DomainFilter{Scope: accounts.Only(f.acc)})
	if err != nil || len(doms) != 1 {
		t.Fatalf("domains %v %v", doms, err)
	}
	d, err := f.env.Mail.GetDomain(context.Background(), accounts.AllAccounts, doms[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	page := "/lumora/domains/" + id(d.ID)
	r = admin.Get(page)
	if n := r.Doc.Find(`[data-testid="record"][data-status="pending"]`).Length(); n != 4 {
		t.Fatalf("%d pending records, want 4", n)
	}
	if !r.Has(`a[href="/accounts/` + id(f.acc) + `"]:contains("Mail Sender")`) {
		t.Errorf("the domain page does not name its account")
	}
	if got := r.Doc.Find(`[data-testid="record"][data-kind="dkim"] [data-testid="record-value"]`).Text(); got != d.Records[1].Value {
		t.Errorf("dkim value %q, want %q", got, d.Records[1].Value)
	}

	// A viewer sees the page but not the button, and may not verify.
	viewer := f.env.As("viewer")
	if r := viewer.Get(page); r.Status != http.StatusOK || r.Has(`[data-testid="verify-now"]`) {
		t.Fatalf("viewer page: status %d", r.Status)
	}
	if r := viewer.PostForm(page+"/verify", nil); r.Status != http.StatusForbidden {
		t.Fatalf("viewer verify: status %d", r.Status)
	}

	f.publish(d)
	r = admin.PostForm(page+"/verify", nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != page {
		t.Fatalf("verify: status %d, location %q", r.Status, r.Header.Get("Location"))
	}
	r = admin.Get(page)
	if n := r.Doc.Find(`[data-testid="record"][data-status="verified"]`).Length(); n != 4 {
		t.Errorf("%d verified records after publishing, want 4: %s", n, r.Text(`[data-testid="records"]`))
	}
	if !strings.Contains(r.Body, "4 of 4 records verified") {
		t.Error("no toast saying what the check found")
	}
	if got := r.Text(`[data-testid="records"] [data-kind="spf"] [data-testid="record-found"]`); got == "" || got == "Not checked yet" {
		t.Errorf("spf found %q", got)
	}
	if n := f.env.AuditCount("mail_domain.verified", id(d.ID)); n == 0 {
		t.Errorf("no audit row for the verify")
	}

	// The list filters by status, account and name prefix.
	for q, want := range map[string]int{"": 1, "?status=verified": 1, "?status=pending": 0, "?q=mail.sh": 1, "?q=zzz": 0,
		"?account=" + id(f.acc): 1, "?account=999999": 0} {
		r := viewer.Get("/lumora/domains" + q)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: status %d", q, r.Status)
		}
		if n := r.Doc.Find(`[data-testid="domain-row"]`).Length(); n != want {
			t.Errorf("%s: %d rows, want %d", q, n, want)
		}
	}
	r = viewer.Get("/lumora/domains?status=bogus&account=x&cursor=-1")
	if r.Status != http.StatusOK || !strings.Contains(r.Text(`[data-testid="filter-error"]`), "Status must be") {
		t.Errorf("bad filters: status %d, %q", r.Status, r.Text(`[data-testid="filter-error"]`))
	}
	if r := viewer.Get("/lumora/domains/999999"); r.Status != http.StatusNotFound {
		t.Errorf("unknown domain: status %d", r.Status)
	}
}

func TestMessageLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	f.message(t, "msg_bbbbbbbb1", "a@shop.example", "one@example.net", "delivered", day, "queued", "delivered")
	f.message(t, "msg_bbbbbbbb2", "a@other.example", "two@example.net", "bounced", day.AddDate(0, 0, 1), "queued", "bounced")
	v := f.env.As("viewer")
	for q, want := range map[string]int{
		"": 2, "?status=bounced": 1, "?recipient=ONE@example.net": 1, "?domain=shop.example": 1,
		"?app=" + id(f.app.ID): 2, "?app=999999": 0, "?account=" + id(f.acc): 2,
		"?since=2026-03-11": 1, "?until=2026-03-10": 1, "?since=2026-03-12": 0,
		"?since=2026-03-11&until=2026-03-11": 1,
		// an end before the start is left out: from the start on
		"?since=2026-03-11&until=2026-03-09": 1,
	} {
		r := v.Get("/lumora/messages" + q)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: status %d", q, r.Status)
		}
		if n := r.Doc.Find(`[data-testid="message-row"]`).Length(); n != want {
			t.Errorf("%s: %d rows, want %d", q, n, want)
		}
	}
	// The log names each message's account (linked) and app, never "#26".
	r := v.Get("/lumora/messages")
	if link := r.Doc.Find(`[data-testid="message-row"] a[href="/accounts/` + id(f.acc) + `"]`).First(); strings.TrimSpace(link.Text()) != "Mail Sender" {
		t.Errorf("message log account %q", link.Text())
	}
	if !strings.Contains(r.Text(`[data-testid="message-row"]`), "Receipts") || strings.Contains(r.Text(`[data-testid="message-row"]`), "#"+id(f.acc)) {
		t.Errorf("message log rows %q", r.Text(`[data-testid="message-row"]`))
	}
	r = v.Get("/lumora/messages?since=2026-03-11&until=2026-03-09")
	if got := r.Text(`[data-testid="filter-error"]`); !strings.Contains(got, "The end date comes before the start; showing messages from the start on.") {
		t.Errorf("end before start: %q", got)
	}
	if got, ok := r.Doc.Find(`input[name="until"]`).Attr("value"); !ok || got != "" {
		t.Errorf("end before start: the form keeps until=%q", got)
	}
	r = v.Get("/lumora/messages?status=nope&since=yesterday&domain=%25%25")
	if r.Status != http.StatusOK || r.Text(`[data-testid="filter-error"]`) == "" {
		t.Errorf("bad filters: status %d", r.Status)
	}
	r = v.Get("/lumora/messages/msg_bbbbbbbb2")
	if r.Status != http.StatusOK || r.Doc.Find(`[data-testid="recipient-row"]`).Length() != 1 ||
		r.Doc.Find(`[data-testid="event"]`).Length() != 2 || !r.Has(`[data-testid="event"][data-type="bounced"]`) {
		t.Errorf("message page: status %d", r.Status)
	}
	if got := r.Text(`[data-testid="message-headers"]`); got != "X-Order42" {
		t.Errorf("headers %q", got)
	}
	// The account and the app by name, linked.
	if !r.Has(`a[href="/accounts/`+strconv.FormatInt(f.acc, 10)+`"]:contains("Mail Sender")`) || !r.Has(`a[href="/lumora/apps/`+strconv.FormatInt(f.app.ID, 10)+`"]:contains("Receipts")`) {
		t.Errorf("message page names neither its account nor its app: %q", r.Text("main dl"))
	}
	for _, p := range []string{"/lumora/messages/msg_unknown123", "/lumora/messages/nope"} {
		if r := v.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("%s: status %d", p, r.Status)
		}
	}
}

// The message log's CSV export: the filtered log, newest first, over
// more than one page of the service; a filter the list would ignore is
// refused; the list's link carries its filters.
func TestMessageExportCSV(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for i := range 203 {
		status := "delivered"
		if i%50 == 0 {
			status = "bounced"
		}
		f.message(t, fmt.Sprintf("msg_exp%06d", i), "a@shop.example", "one@example.net", status, day.Add(time.Duration(i)*time.Minute))
	}
	v := f.env.As("viewer")
	read := func(q string) [][]string {
		t.Helper()
		r := v.Get("/lumora/messages/export.csv" + q)
		r.Want(t, http.StatusOK, "export "+q)
		recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	all := read("")
	if len(all) != 1+203 || all[0][0] != "id" || all[1][0] != "msg_exp000202" || all[203][0] != "msg_exp000000" {
		t.Fatalf("every message: %d records, first %v", len(all), all[1])
	}
	if all[1][5] != "Mail Sender" || all[1][7] != "Receipts" || all[1][8] != "a@shop.example" || all[1][11] != "<msg_exp000202@test>" {
		t.Errorf("a row: %v", all[1])
	}
	if got := read("?status=bounced&since=2026-03-10"); len(got) != 1+5 {
		t.Errorf("bounced: %d records", len(got))
	}
	for _, bad := range []string{"?status=nope", "?app=x", "?since=yesterday"} {
		v.Get("/lumora/messages/export.csv"+bad).Want(t, http.StatusUnprocessableEntity, bad)
	}
	if href := v.Get("/lumora/messages?status=bounced").Doc.Find(`[data-testid="export-csv"]`).AttrOr("href", ""); href != "/lumora/messages/export.csv?status=bounced" {
		t.Errorf("export link %q", href)
	}
}

func TestAccountTabAndCard(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.message(t, "msg_cccccccc1", "a@shop.example", "one@example.net", "delivered", time.Now(), "queued", "delivered")
	r := f.env.As("viewer").Get("/accounts/" + id(f.acc) + "?tab=lumora")
	if r.Status != http.StatusOK || !r.Has(`[data-testid="lumora-tab"] [data-testid="lumora-app"]`) ||
		!r.Has(`[data-testid="lumora-tab"] [data-testid="message-row"]`) {
		t.Errorf("lumora tab: status %d", r.Status)
	}
	r = f.env.As("viewer").Get("/accounts/" + id(f.acc))
	if got := r.Text(`[data-testid="figure-lumora-messages"]`); !strings.Contains(got, "1") {
		t.Errorf("overview card messages figure %q", got)
	}
}

func TestPaletteFindsMessages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.message(t, "msg_dddddddd1", "a@shop.example", "Buyer@Example.net", "delivered", time.Now(), "queued")
	v := f.env.As("viewer")
	for _, q := range []string{"msg_dddddddd1", "buyer@example.net"} {
		r := v.HTMX("GET", "/search?q="+url.QueryEscape(q), nil)
		if r.Status != http.StatusOK || !r.Has(`a[role=option][href="/lumora/messages/msg_dddddddd1"]`) {
			t.Errorf("search %q: status %d, no message hit in %s", q, r.Status, r.Body)
		}
	}
	if r := v.HTMX("GET", "/search?q=msg_nothere99", nil); r.Has(`a[role=option][href^="/lumora/messages/"]`) {
		t.Error("an unknown id found a message")
	}
}

func TestAppsAndSuppressions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.env.Mail.Suppress(context.Background(), f.acc, "gone@example.net", mail.ReasonHardBounce, "550 5.1.1 no such user"); err != nil {
		t.Fatal(err)
	}
	v := f.env.As("viewer")
	for q, want := range map[string]int{"": 1, "?account=" + id(f.acc): 1, "?account=999999": 0} {
		r := v.Get("/lumora/apps" + q)
		if r.Status != http.StatusOK || r.Doc.Find(`[data-testid="app-row"]`).Length() != want {
			t.Errorf("apps%s: status %d, want %d rows", q, r.Status, want)
		}
	}
	if r := v.Get("/lumora/apps"); r.Doc.Find(`[data-testid="app-row"] a[href="/accounts/`+id(f.acc)+`"]`).Text() != "Mail Sender" {
		t.Errorf("the apps list does not name the account: %q", r.Text(`[data-testid="app-row"]`))
	}
	if r := v.Get("/lumora/apps?account=x&cursor=y"); r.Status != http.StatusOK || r.Text(`[data-testid="filter-error"]`) == "" {
		t.Errorf("bad apps filters: status %d", r.Status)
	}
	if r := v.Get("/lumora/suppressions"); r.Status != http.StatusOK || !r.Has(`[data-testid="suppressions-choose"]`) {
		t.Errorf("suppressions without an account: status %d", r.Status)
	}
	r := v.Get("/lumora/suppressions?account=" + id(f.acc))
	if r.Status != http.StatusOK || !strings.Contains(r.Text(`[data-testid="suppression-row"]`), "gone@example.net") {
		t.Errorf("suppressions: status %d", r.Status)
	}
	if r := v.Get("/lumora/suppressions?account=999999"); r.Status != http.StatusOK || !r.Has(`[data-testid="suppressions-empty"]`) {
		t.Errorf("suppressions of an unknown account: status %d", r.Status)
	}
	// Search and export, one account at a time.
	if r := v.Get("/lumora/suppressions?account=" + id(f.acc) + "&q=GONE@"); !strings.Contains(r.Text(`[data-testid="suppression-row"]`), "gone@example.net") ||
		r.Doc.Find(`[data-testid="export-csv"]`).AttrOr("href", "") != "/lumora/suppressions/export.csv?account="+id(f.acc)+"&q=GONE%40" {
		t.Errorf("search: rows %q, export link %q", r.Text(`[data-testid="suppression-row"]`), r.Doc.Find(`[data-testid="export-csv"]`).AttrOr("href", ""))
	}
	if r := v.Get("/lumora/suppressions?account=" + id(f.acc) + "&q=nobody"); !r.Has(`[data-testid="suppressions-empty"]`) || r.Has(`[data-testid="suppression-row"]`) {
		t.Error("a search matching nothing")
	}
	r = v.Get("/lumora/suppressions/export.csv?account=" + id(f.acc) + "&q=gone")
	r.Want(t, http.StatusOK, "export")
	if !strings.HasPrefix(r.Body, "email,reason,origin,created_at\n") || !strings.Contains(r.Body, "gone@example.net") {
		t.Errorf("export: %q", r.Body)
	}
	v.Get("/lumora/suppressions/export.csv").Want(t, http.StatusUnprocessableEntity, "an export without its account")
	v.Get("/lumora/suppressions/export.csv?account="+id(f.acc)+"&reason=spam").Want(t, http.StatusUnprocessableEntity, "a bad reason")
}

func TestOverviewCharts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	now := time.Now().UTC()
	f.message(t, "msg_eeeeeeee1", "a@shop.example", "x@example.net", "bounced", now, "queued", "bounced")
	f.message(t, "msg_eeeeeeee2", "a@shop.example", "y@example.net", "delivered", now.AddDate(0, 0, -3), "queued", "delivered")
	f.message(t, "msg_eeeeeeee3", "a@shop.example", "z@example.net", "delivered", now.AddDate(0, 0, -60), "queued", "delivered")
	c := f.env.As("viewer")
	bars := func(r *servertest.Response) int {
		return r.Doc.Find(`[data-testid="lumora-charts"] svg rect.chart-bar`).Length()
	}
	// Each bar's title reads "Mar 10: 3"; the sum is every event charted.
	total := func(r *servertest.Response) int64 {
		var n int64
		r.Doc.Find(`[data-testid="lumora-charts"] svg .chart-col title`).Each(func(_ int, s *goquery.Selection) {
			_, v, _ := strings.Cut(s.Text(), ": ")
			x, _ := strconv.ParseInt(v, 10, 64)
			n += x
		})
		return n
	}
	r := c.Get("/lumora")
	if r.Status != http.StatusOK || bars(r) != 90 || total(r) != 4 {
		t.Errorf("30 days: status %d, %d bars, total %d", r.Status, bars(r), total(r))
	}
	if r := c.Get("/lumora?range=90d"); r.Status != http.StatusOK || total(r) != 6 {
		t.Errorf("90 days: status %d, total %d", r.Status, total(r))
	}
	r = c.Get("/lumora?range=custom&from=2026-02-01&to=2025-01-01")
	if r.Status != http.StatusUnprocessableEntity || bars(r) != 90 {
		t.Errorf("reversed range: status %d, %d bars", r.Status, bars(r))
	}
	r = c.Do("GET", "/lumora?range=7d", nil, http.Header{"HX-Request": {"true"}, "HX-Target": {"lumora-charts"}})
	if r.Status != http.StatusOK || r.Has("main") || !r.Has(`section#lumora-charts[data-range="7d"]`) || bars(r) != 21 {
		t.Errorf("htmx charts: status %d, %d bars", r.Status, bars(r))
	}
}

func TestAppPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *config.Config) { c.WebhookAllowPrivate = true })
	ctx := context.Background()
	other, err := f.env.Mail.CreateApp(ctx, cli, accounts.AllAccounts, mail.AppInput{AccountID: &f.acc, Name: "Newsletters"})
	if err != nil {
		t.Fatal(err)
	}
	for _, app := range []int64{f.app.ID, other.ID} {
		if _, err := f.env.APIKeys.Create(ctx, cli, apikeys.CreateInput{Product: "lumora", AccountID: &f.acc, MailAppID: &app,
			Name: "key of app " + id(app), Scopes: []string{"email:send"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.env.Webhooks.CreateEndpoint(ctx, cli, accounts.AllAccounts, f.app.ID,
		webhooks.EndpointInput{URL: "https://127.0.0.1/hooks/lumora", Events: []string{webhooks.EventBounced}}); err != nil {
		t.Fatal(err)
	}
	v := f.env.As("viewer")
	r := v.Get("/lumora/apps/" + id(f.app.ID))
	if r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
	if !r.Has(`a[href="/accounts/` + id(f.acc) + `"]:contains("Mail Sender")`) {
		t.Errorf("the app page does not name its account")
	}
	keys := r.Doc.Find(`[data-testid="app-key"]`)
	if keys.Length() != 1 || !strings.Contains(keys.Text(), "key of app "+id(f.app.ID)) {
		t.Errorf("keys %d: %q", keys.Length(), keys.Text())
	}
	if got := r.Text(`[data-testid="app-webhook"]`); !strings.Contains(got, "https://127.0.0.1/hooks/lumora") || !strings.Contains(got, "bounced") {
		t.Errorf("webhooks %q", got)
	}
	if r := v.Get("/lumora/apps/" + id(other.ID)); !r.Has(`[data-testid="app-webhooks-empty"]`) {
		t.Errorf("the other app shows webhooks")
	}
	if r := v.Get("/lumora/apps/999999"); r.Status != http.StatusNotFound {
		t.Errorf("unknown app: status %d", r.Status)
	}
}

func TestLiftSuppression(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.env.Mail.Suppress(context.Background(), f.acc, "gone@example.net", mail.ReasonHardBounce, "550 5.1.1 no such user"); err != nil {
		t.Fatal(err)
	}
	list := "/lumora/suppressions?account=" + id(f.acc)
	if r := f.env.As("viewer").Get(list); r.Has(`[data-testid="lift-form"]`) {
		t.Error("a viewer sees the lift form")
	}
	if r := f.env.As("viewer").PostForm("/lumora/suppressions/lift", url.Values{"account": {id(f.acc)}, "email": {"gone@example.net"}, "reason": {"x"}}); r.Status != http.StatusForbidden {
		t.Errorf("viewer lift: status %d", r.Status)
	}
	admin := f.env.As("admin")
	admin.Get(list)
	for name, form := range map[string]url.Values{
		"no reason":       {"account": {id(f.acc)}, "email": {"gone@example.net"}},
		"unknown email":   {"account": {id(f.acc)}, "email": {"other@example.net"}, "reason": {"fixed"}},
		"no account":      {"email": {"gone@example.net"}, "reason": {"fixed"}},
		"foreign account": {"account": {"999999"}, "email": {"gone@example.net"}, "reason": {"fixed"}},
	} {
		if r := admin.PostForm("/lumora/suppressions/lift", form); r.Status != http.StatusUnprocessableEntity || !r.Has(`.form-error, [data-testid="filter-error"], .field-error`) {
			t.Errorf("%s: status %d", name, r.Status)
		}
	}
	r := admin.PostForm("/lumora/suppressions/lift", url.Values{"account": {id(f.acc)}, "email": {"Gone@Example.net"}, "reason": {"The customer fixed the mailbox"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("lift: status %d", r.Status)
	}
	if r := admin.Get(list); r.Has(`[data-testid="suppression-row"]`) {
		t.Error("the suppression is still listed")
	}
	if n := f.env.AuditCount("mail_suppression.lift", id(f.acc)); n != 1 {
		t.Errorf("%d audit rows", n)
	}
}

// A list of exactly one page has no next page; one more row makes one, and
// it holds that row. (A page read with as many rows as it shows linked to
// an empty page.)
func TestFullLastPageHasNoNextLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.env.As("viewer")
	list := "/lumora/suppressions?account=" + id(f.acc)
	suppress := func(i int) {
		if err := f.env.Mail.Suppress(context.Background(), f.acc, fmt.Sprintf("gone%02d@example.net", i), mail.ReasonHardBounce, "550"); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		suppress(i)
	}
	r := v.Get(list)
	if n := r.Doc.Find(`[data-testid="suppression-row"]`).Length(); n != 50 || r.Has(`a[rel=next]`) {
		t.Fatalf("exactly one page: %d rows, next link %v", n, r.Has(`a[rel=next]`))
	}
	suppress(50)
	r = v.Get(list)
	next := r.Doc.Find(`a[rel=next]`).AttrOr("href", "")
	if n := r.Doc.Find(`[data-testid="suppression-row"]`).Length(); n != 50 || next == "" {
		t.Fatalf("one row more: %d rows, next %q", n, next)
	}
	if r := v.Get(next); r.Doc.Find(`[data-testid="suppression-row"]`).Length() != 1 || r.Has(`a[rel=next]`) {
		t.Errorf("the second page: %d rows", r.Doc.Find(`[data-testid="suppression-row"]`).Length())
	}
}

// A log longer than its page shows the page; its count follows by the
// page's own URL, and counts the filter, not the page.
func TestMessageCountFollowsThePage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const page = 50 // the console's page of messages
	day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for i := range page + 1 {
		status := "delivered"
		if i%2 == 1 {
			status = "bounced"
		}
		f.message(t, fmt.Sprintf("msg_count%04d", i), "a@shop.example", "one@example.net", status, day.Add(time.Duration(i)*time.Minute))
	}
	v := f.env.As("viewer")
	r := v.Get("/lumora/messages")
	if r.Status != http.StatusOK || r.PendingCount() != "/lumora/messages" {
		t.Fatalf("messages: %d, deferred count from %q", r.Status, r.PendingCount())
	}
	if got := v.Count(r.PendingCount()).Text(`[data-testid="result-count"]`); got != fmt.Sprintf("%d messages", page+1) {
		t.Errorf("count = %q", got)
	}
	next := r.Doc.Find(`a[rel=next]`).AttrOr("href", "")
	if got := v.Count(next).Text(`[data-testid="result-count"]`); next == "" || got != fmt.Sprintf("%d messages", page+1) {
		t.Errorf("count from the next page %q = %q", next, got)
	}
	if r := v.Get("/lumora/messages?status=bounced"); r.Text(`[data-testid="result-count"]`) != fmt.Sprintf("%d messages", (page+1)/2) || r.Has(`[data-pending]`) {
		t.Errorf("one page's count = %q", r.Text(`[data-testid="result-count"]`))
	}
}
