package accounts_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
)

func acctCreate(t *testing.T, env *servertest.Env, name, email, discord string) accounts.Account {
	t.Helper()
	a, err := env.Accounts.Create(context.Background(), audit.CLI("test"), accounts.CreateInput{Name: name, Email: email, DiscordID: discord})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// acctRows are the names of the table rows.
func acctRows(r *servertest.Response) []string {
	var out []string
	r.Doc.Find(`[data-testid="account-row"] .cell-primary`).Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Text()))
	})
	return out
}

func acctPath(id int64, suffix string) string {
	return "/accounts/" + strconv.FormatInt(id, 10) + suffix
}

func TestAccountsListEmptyStates(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	support := env.As("support")
	r := support.Get("/accounts")
	if r.Status != http.StatusOK || !r.Has(`[data-testid="empty-none"]`) || !r.Has(`[data-testid="new-account"]`) {
		t.Fatalf("empty list: %d\n%s", r.Status, r.Text("main"))
	}
	if !strings.Contains(r.Text(`[data-testid="empty-none"]`), "No accounts yet") || !r.Has(`[data-testid="empty-none"] a[href="/accounts/new"]`) {
		t.Fatalf("empty state: %q", r.Text(`[data-testid="empty-none"]`))
	}
	viewer := env.As("viewer")
	r = viewer.Get("/accounts")
	if r.Status != http.StatusOK || r.Has(`[data-testid="new-account"]`) || r.Has(`[data-testid="empty-none"] a[href="/accounts/new"]`) {
		t.Fatalf("viewer sees the create action (status %d)", r.Status)
	}
	acctCreate(t, env, "Nightfall Studios", "ops@nightfall.gg", "")
	r = viewer.Get("/accounts?q=nomatch")
	if !r.Has(`[data-testid="empty-filtered"]`) || !strings.Contains(r.Text(`[data-testid="empty-filtered"]`), "No accounts match") {
		t.Fatalf("filtered empty state missing: %s", r.Text("main"))
	}
}

func TestAccountsListSearchFilterSort(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	night := acctCreate(t, env, "Nightfall Studios", "ops@nightfall.gg", "284019375561932801")
	acctCreate(t, env, "Bluebird Hosting", "billing@bluebird.host", "")
	quiet := acctCreate(t, env, "quietmail", "admin@quietmail.io", "")
	if _, err := env.Accounts.Suspend(context.Background(), audit.CLI("test"), quiet.ID, "bounces"); err != nil {
		t.Fatal(err)
	}
	c := env.As("viewer")
	r := c.Get("/accounts")
	if r.Status != 200 {
		t.Fatalf("status %d", r.Status)
	}
	if diff := cmp.Diff([]string{"quietmail", "Bluebird Hosting", "Nightfall Studios"}, acctRows(r)); diff != "" {
		t.Fatalf("default order (-want +got):\n%s", diff)
	}
	for _, sel := range []string{`[data-testid="account-filters"] input[name="q"][data-search-focus]`, `select[name="status"]`, `select[name="sort"]`,
		`[data-testid="account-stats"]`, `[data-testid="export-csv"]`, `[data-testid="pager"]`} {
		if !r.Has(sel) {
			t.Errorf("list page lacks %s", sel)
		}
	}
	if href, _ := r.Doc.Find(`[data-testid="account-row"]`).Last().Attr("data-href"); href != acctPath(night.ID, "") {
		t.Errorf("row link = %q", href)
	}
	if got := r.Text(`[data-testid="account-row"] [data-status]`); !strings.Contains(got, "Suspended") {
		t.Errorf("status badges: %q", got)
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"q=fall", []string{"Nightfall Studios"}},
		{"q=BLUEBIRD.host", []string{"Bluebird Hosting"}},
		{"q=284019375561932801", []string{"Nightfall Studios"}},
		{"status=suspended", []string{"quietmail"}},
		{"status=active&sort=name", []string{"Bluebird Hosting", "Nightfall Studios"}},
		{"sort=-name", []string{"quietmail", "Nightfall Studios", "Bluebird Hosting"}},
		{"sort=created", []string{"Nightfall Studios", "Bluebird Hosting", "quietmail"}},
		{"from=2000-01-01&to=2000-01-31", nil},
	}
	for _, tc := range cases {
		r := c.Get("/accounts?" + tc.query)
		if r.Status != 200 {
			t.Fatalf("%s: status %d", tc.query, r.Status)
		}
		if diff := cmp.Diff(tc.want, acctRows(r)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.query, diff)
		}
	}
	// The filter bar's htmx request gets only the results fragment.
	r = c.Do("GET", "/accounts?q=quiet", nil, http.Header{"Hx-Request": {"true"}, "Hx-Target": {"accounts-results"}})
	if r.Status != 200 || r.Has("html > head title") || r.Doc.Find(`#accounts-results`).Length() != 1 || r.Has(`[data-testid="account-stats"]`) {
		t.Fatalf("htmx fragment: %d %.200s", r.Status, r.Body)
	}
	if diff := cmp.Diff([]string{"quietmail"}, acctRows(r)); diff != "" {
		t.Errorf("htmx rows (-want +got):\n%s", diff)
	}
	if href, _ := r.Doc.Find(`#export-link[hx-swap-oob]`).Attr("href"); href != "/accounts/export.csv?q=quiet" {
		t.Errorf("out-of-band export link = %q", href)
	}
	if f := c.Get("/accounts"); !f.Has(`form[hx-get="/accounts"][hx-target="#accounts-results"][hx-push-url="true"]`) {
		t.Error("filter form is not wired for htmx")
	}
	// Malformed filters: a message and the list without them, never a 500.
	if r := c.Get("/accounts?from=2026-12-01&to=2026-11-01"); len(acctRows(r)) != 3 || !strings.Contains(r.Text(`[data-testid="filter-errors"]`), "showing every date") {
		t.Errorf("reversed dates: rows=%v %q", acctRows(r), r.Text(`[data-testid="filter-errors"]`))
	}
	r = c.Get("/accounts?status=banned&sort=price&from=yesterday&q=" + strings.Repeat("x", 300))
	if r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="filter-errors"]`) || len(acctRows(r)) != 3 {
		t.Fatalf("bad filters: %d rows=%v %s", r.Status, acctRows(r), r.Text(`[data-testid="filter-errors"]`))
	}
	// A bad cursor falls back to the first page.
	if r := c.Get("/accounts?cursor=bogus"); r.Status != 200 || len(acctRows(r)) != 3 {
		t.Fatalf("bad cursor: %d", r.Status)
	}
}

func TestAccountsListPages(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	for i := range 31 {
		acctCreate(t, env, fmt.Sprintf("Customer %02d", i), fmt.Sprintf("c%02d@example.com", i), "")
	}
	c := env.As("viewer")
	r := c.Get("/accounts?sort=name")
	first := acctRows(r)
	if len(first) != 25 || first[0] != "Customer 00" || r.Has(`[data-testid="pager"] a[rel="prev"]`) {
		t.Fatalf("first page: %v", first)
	}
	next, ok := r.Doc.Find(`[data-testid="pager"] a[rel="next"]`).Attr("href")
	if !ok || !strings.Contains(next, "sort=name") {
		t.Fatalf("next link %q", next)
	}
	r = c.Get(next)
	second := acctRows(r)
	if diff := cmp.Diff([]string{"Customer 25", "Customer 26", "Customer 27", "Customer 28", "Customer 29", "Customer 30"}, second); diff != "" {
		t.Fatalf("second page (-want +got):\n%s", diff)
	}
	if r.Has(`[data-testid="pager"] a[rel="next"]`) || !r.Has(`[data-testid="first-page"]`) {
		t.Fatal("second page: has Next or lacks the first-page link")
	}
	prev, _ := r.Doc.Find(`[data-testid="pager"] a[rel="prev"]`).Attr("href")
	if diff := cmp.Diff(first, acctRows(c.Get(prev))); diff != "" {
		t.Fatalf("previous page (-want +got):\n%s", diff)
	}
	// Page size from the URL, kept in the pager links; out of range is refused with a message.
	r = c.Get("/accounts?sort=name&limit=10")
	next, _ = r.Doc.Find(`[data-testid="pager"] a[rel="next"]`).Attr("href")
	if len(acctRows(r)) != 10 || !strings.Contains(next, "limit=10") || len(acctRows(c.Get(next))) != 10 {
		t.Fatalf("limit=10: %d rows, next %q", len(acctRows(r)), next)
	}
	if r := c.Get("/accounts?limit=1000"); r.Status != http.StatusUnprocessableEntity || len(acctRows(r)) != 25 {
		t.Fatalf("limit=1000: %d, %d rows", r.Status, len(acctRows(r)))
	}
}

func TestAccountsExportCSV(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := acctCreate(t, env, "=HYPERLINK(\"x\")", "formula@example.com", "284019375561932801")
	b := acctCreate(t, env, "Plain, with comma", "plain@example.com", "")
	s := acctCreate(t, env, "Suspended one", "sus@example.com", "")
	if _, err := env.Accounts.Suspend(context.Background(), audit.CLI("test"), s.ID, "test"); err != nil {
		t.Fatal(err)
	}
	c := env.As("viewer")
	r := c.Get("/accounts/export.csv?status=active&sort=created")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v", r.Status, r.Header)
	}
	recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	id := func(a accounts.Account) string { return strconv.FormatInt(a.ID, 10) }
	ts := func(a accounts.Account) string { return a.CreatedAt.Format("2006-01-02T15:04:05Z07:00") }
	want := [][]string{
		{"id", "name", "email", "discord_id", "status", "suspended_reason", "note", "created_at"},
		{id(a), "'=HYPERLINK(\"x\")", "formula@example.com", "284019375561932801", "active", "", "", ts(a)},
		{id(b), "Plain, with comma", "plain@example.com", "", "active", "", "", ts(b)},
	}
	if diff := cmp.Diff(want, recs); diff != "" {
		t.Fatalf("csv (-want +got):\n%s", diff)
	}
	if r := c.Get("/accounts/export.csv?status=banned"); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad filter export: %d", r.Status)
	}
}

func TestAccountsCreateForm(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	viewer := env.As("viewer")
	if r := viewer.Get("/accounts/new"); r.Status != http.StatusForbidden {
		t.Fatalf("viewer GET /accounts/new: %d", r.Status)
	}
	viewer.Get("/accounts")
	if r := viewer.PostForm("/accounts", url.Values{"name": {"X"}, "email": {"x@example.com"}}); r.Status != http.StatusForbidden {
		t.Fatalf("viewer POST /accounts: %d", r.Status)
	}
	c := env.As("support")
	r := c.Get("/accounts/new")
	if r.Status != 200 || !r.Has(`form[data-testid="account-form"][action="/accounts"] input[name="csrf"]`) {
		t.Fatalf("new form: %d", r.Status)
	}
	r = c.PostForm("/accounts", url.Values{"name": {""}, "email": {"nope"}, "discord_id": {"12ab"}, "note": {strings.Repeat("n", 2001)}})
	if r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="form-error"]`) {
		t.Fatalf("bad input: %d", r.Status)
	}
	errs := map[string]string{}
	r.Doc.Find(".field-error").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		errs[id] = strings.TrimSpace(s.Text())
	})
	want := map[string]string{
		"f-name-msg":       "Enter a name.",
		"f-email-msg":      "Enter a valid email address, like name@example.com.",
		"f-discord_id-msg": "A Discord ID is 17 to 20 digits (leave it empty if unknown).",
		"f-note-msg":       "Note must be at most 2000 characters (it has 2001).",
	}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Fatalf("field errors (-want +got):\n%s", diff)
	}
	if v, _ := r.Doc.Find(`input[name="discord_id"]`).Attr("value"); v != "12ab" {
		t.Errorf("form lost the typed value: %q", v)
	}
	r = c.PostForm("/accounts", url.Values{"name": {"Kestrel Labs"}, "email": {"Team@Kestrel.dev"}, "discord_id": {"319204857731096577"}, "note": {"hi"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/accounts/") {
		t.Fatalf("create: %d %q", r.Status, r.Header.Get("Location"))
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(r.Header.Get("Location"), "/accounts/"), 10, 64)
	if env.AuditCount("account.create", strconv.FormatInt(id, 10)) != 1 {
		t.Fatal("creation not audited")
	}
	r = c.Get(r.Header.Get("Location"))
	if r.Status != 200 || r.Text(".page-title") != "Kestrel Labs" || !strings.Contains(r.Text("#toasts"), "created") {
		t.Fatalf("after create: %d %q toast %q", r.Status, r.Text(".page-title"), r.Text("#toasts"))
	}
	r = c.PostForm("/accounts", url.Values{"name": {"Other"}, "email": {"TEAM@kestrel.DEV"}})
	if msg := r.Text("#f-email-msg"); r.Status != http.StatusUnprocessableEntity || msg != fmt.Sprintf("This email is already used by account #%d.", id) {
		t.Fatalf("duplicate: %d %q", r.Status, msg)
	}
}

func TestAccountsDetailAndEdit(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := acctCreate(t, env, "Orbit RP Group", "owner@orbitrp.net", "402771923650002945")
	viewer := env.As("viewer")
	r := viewer.Get(acctPath(a.ID, ""))
	if r.Status != 200 || r.Text(".page-title") != "Orbit RP Group" {
		t.Fatalf("detail: %d", r.Status)
	}
	facts := r.Text(`[data-testid="account-header"] .desc-list`)
	if r.Text(".page-subtitle") != "owner@orbitrp.net" {
		t.Errorf("subtitle = %q", r.Text(".page-subtitle"))
	}
	for _, want := range []string{"#" + strconv.FormatInt(a.ID, 10), "402771923650002945", "Active"} {
		if !strings.Contains(facts, want) {
			t.Errorf("header card lacks %q: %s", want, facts)
		}
	}
	if r.Has(`[data-testid="edit-account"]`) || r.Has(`[data-testid="suspend-account"]`) {
		t.Error("viewer sees Edit or Suspend")
	}
	var tabs []string
	r.Doc.Find(".tabs a").Each(func(_ int, s *goquery.Selection) { tabs = append(tabs, strings.TrimSpace(s.Text())) })
	if diff := cmp.Diff([]string{"Overview", "Luarmor", "Lumio", "Lumi", "Lumora", "Lumira", "API keys", "Portal", "History"}, tabs); diff != "" {
		t.Fatalf("tabs (-want +got):\n%s", diff)
	}
	if !r.Has(`[data-testid="tab-overview"] [data-testid="product-summary"]`) {
		t.Error("overview tab missing")
	}
	r = viewer.Get(acctPath(a.ID, "?tab=luarmor"))
	if !strings.Contains(r.Text(`[data-testid="tab-luarmor"]`), "No Luarmor projects yet") || r.Text(`.tabs a[aria-current="page"]`) != "Luarmor" {
		t.Errorf("luarmor tab: %q", r.Text(`[data-testid="tab-luarmor"]`))
	}
	r = viewer.Get(acctPath(a.ID, "?tab=apikeys"))
	if href, _ := r.Doc.Find(`[data-testid="apikeys-link"]`).Attr("href"); href != "/apikeys?account="+strconv.FormatInt(a.ID, 10) {
		t.Errorf("api keys link = %q", href)
	}
	if !strings.Contains(r.Text("main"), "No API keys") || r.Has(`[data-testid="apikeys-summary"]`) {
		t.Errorf("api keys tab without keys: %q", r.Text("main"))
	}
	// With keys: how many, and no empty state.
	ctx, cli := context.Background(), audit.CLI("test")
	for range 3 {
		if _, err := env.APIKeys.Create(ctx, cli, apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &a.ID, Scopes: []string{"keys:read"}}); err != nil {
			t.Fatal(err)
		}
	}
	k, err := env.APIKeys.Create(ctx, cli, apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &a.ID, Scopes: []string{"keys:read"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.APIKeys.Revoke(ctx, cli, k.Key.ID, "test"); err != nil {
		t.Fatal(err)
	}
	r = viewer.Get(acctPath(a.ID, "?tab=apikeys"))
	if got, sub := r.Text(`[data-testid="apikeys-count"]`), r.Text(`[data-testid="apikeys-breakdown"]`); got != "4 API keys" || !strings.HasPrefix(sub, "3 active · 1 revoked") ||
		strings.Contains(r.Text("main"), "No API keys") {
		t.Errorf("api keys tab with keys: %q / %q", got, sub)
	}
	if href, _ := r.Doc.Find(`[data-testid="apikeys-summary"] [data-testid="apikeys-link"]`).Attr("href"); href != "/apikeys?account="+strconv.FormatInt(a.ID, 10) {
		t.Errorf("api keys link = %q", href)
	}
	r = viewer.Get(acctPath(a.ID, "?tab=history"))
	id := strconv.FormatInt(a.ID, 10)
	if !r.Has(`[data-testid="history-fragment"][hx-get="/history/account/`+id+`"][hx-trigger="load"]`) ||
		!r.Has(`a[data-testid="audit-link"][href="/audit?entity_type=account&entity_id=`+id+`"]`) {
		t.Error("history tab does not load the history fragment or lacks the audit link")
	}
	if r := viewer.Get(acctPath(a.ID, "?tab=nonsense")); r.Status != 200 || !r.Has(`[data-testid="tab-overview"]`) {
		t.Error("unknown tab does not fall back to the overview")
	}
	for _, path := range []string{"/accounts/999999", "/accounts/abc", "/accounts/0", "/accounts/-1", "/accounts/99999999999999999999", "/accounts/999999/edit", "/accounts/999999/suspend"} {
		c := viewer
		if strings.HasSuffix(path, "/edit") || strings.HasSuffix(path, "/suspend") {
			c = env.As("support")
		}
		if r := c.Get(path); r.Status != http.StatusNotFound || !r.Has(`[data-testid="error-page"]`) {
			t.Errorf("GET %s: %d", path, r.Status)
		}
	}

	support := env.As("support")
	r = support.Get(acctPath(a.ID, "/edit"))
	if v, _ := r.Doc.Find(`input[name="email"]`).Attr("value"); r.Status != 200 || v != "owner@orbitrp.net" {
		t.Fatalf("edit form: %d %q", r.Status, v)
	}
	r = support.PostForm(acctPath(a.ID, ""), url.Values{"name": {"Orbit"}, "email": {"bad@"}, "discord_id": {""}})
	if r.Status != http.StatusUnprocessableEntity || r.Text("#f-email-msg") == "" || r.Text(".page-title") != "Edit Orbit RP Group" {
		t.Fatalf("bad edit: %d %q", r.Status, r.Text(".page-title"))
	}
	r = support.PostForm(acctPath(a.ID, ""), url.Values{"name": {"Orbit RP"}, "email": {"owner@orbitrp.net"}, "discord_id": {""}, "note": {"3 groups"}, "reason": {"rename"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != acctPath(a.ID, "") {
		t.Fatalf("edit: %d", r.Status)
	}
	got, _ := env.Accounts.Get(context.Background(), a.ID)
	if got.Name != "Orbit RP" || got.DiscordID != "" || got.Note != "3 groups" || env.AuditCount("account.update", id) != 1 {
		t.Fatalf("after edit: %+v", got)
	}
	if r := viewer.PostForm(acctPath(a.ID, ""), url.Values{"name": {"x"}, "email": {"x@x.io"}}); r.Status != http.StatusForbidden {
		t.Fatalf("viewer edit: %d", r.Status)
	}
}

func TestAccountsSuspendAndReactivate(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := acctCreate(t, env, "Spectre Scriptš", "owner@spectre.net", "")
	id := strconv.FormatInt(a.ID, 10)
	c := env.As("support")

	r := c.Get(acctPath(a.ID, ""))
	btn := r.Doc.Find(`[data-testid="suspend-account"]`)
	if href, _ := btn.Attr("hx-get"); href != acctPath(a.ID, "/suspend") || !btn.HasClass("btn-danger") {
		t.Fatalf("suspend button: %q", href)
	}
	// Without htmx the confirmation is a page; with htmx a dialog fragment.
	r = c.Get(acctPath(a.ID, "/suspend"))
	if r.Status != 200 || !r.Has(`[data-testid="confirm-page"] form[action="/accounts/`+id+`/suspend"] textarea[name="reason"]`) {
		t.Fatalf("confirm page: %d", r.Status)
	}
	r = c.HTMX("GET", acctPath(a.ID, "/suspend"), nil)
	if r.Status != 200 || r.Has("html > head title") || !r.Has(`dialog#account-status-dialog[data-autoopen] form[hx-post="/accounts/`+id+`/suspend"][hx-target="#account-header"]`) {
		t.Fatalf("confirm dialog: %d %.300s", r.Status, r.Body)
	}
	if !strings.Contains(r.Text(".dialog-title"), "Suspend Spectre Scriptš?") {
		t.Errorf("dialog title %q", r.Text(".dialog-title"))
	}

	// No reason: 422 with the message, nothing changed.
	r = c.PostForm(acctPath(a.ID, "/suspend"), url.Values{"reason": {"  "}})
	if r.Status != http.StatusUnprocessableEntity || r.Text("#f-reason-msg") != "Give a reason; it is kept in the audit history." {
		t.Fatalf("suspend without reason: %d %q", r.Status, r.Text("#f-reason-msg"))
	}
	r = c.HTMX("POST", acctPath(a.ID, "/suspend"), url.Values{"reason": {""}})
	if r.Status != 200 || r.Header.Get("Hx-Retarget") != "#dialog-host" || r.Text("#f-reason-msg") == "" {
		t.Fatalf("htmx suspend without reason: %d %v", r.Status, r.Header)
	}
	if env.AuditCount("account.suspend", id) != 0 {
		t.Fatal("refused suspension was audited")
	}
	if r := env.As("viewer").PostForm(acctPath(a.ID, "/suspend"), url.Values{"reason": {"x"}}); r.Status != http.StatusForbidden {
		t.Fatalf("viewer suspend: %d", r.Status)
	}

	r = c.PostForm(acctPath(a.ID, "/suspend"), url.Values{"reason": {"key sharing"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != acctPath(a.ID, "") {
		t.Fatalf("suspend: %d", r.Status)
	}
	if env.AuditCount("account.suspend", id) != 1 {
		t.Fatal("suspension not audited")
	}
	r = c.Get(acctPath(a.ID, ""))
	if !strings.Contains(r.Text(`[data-testid="suspended-notice"]`), "key sharing") || !r.Has(`[data-testid="reactivate-account"]`) {
		t.Fatalf("suspended detail: %q", r.Text(`[data-testid="suspended-notice"]`))
	}
	// A stale Suspend button (htmx) gets the current header instead of a dialog.
	r = c.HTMX("GET", acctPath(a.ID, "/suspend"), nil)
	if r.Status != 200 || r.Header.Get("Hx-Retarget") != "#account-header" || !r.Has(`[data-testid="reactivate-account"]`) ||
		r.Text(`#toasts [data-toast="info"]`) != "This account is already suspended." {
		t.Fatalf("stale suspend button: %d %v", r.Status, r.Header)
	}
	if r := c.PostForm(acctPath(a.ID, "/suspend"), url.Values{"reason": {"again"}}); r.Status != http.StatusConflict || r.Text(`[data-testid="form-error"]`) != "This account is already suspended." {
		t.Fatalf("second suspend: %d", r.Status)
	}

	// Reactivate through htmx: the new header comes back with a toast.
	r = c.HTMX("POST", acctPath(a.ID, "/reactivate"), url.Values{"reason": {"appeal accepted"}})
	if r.Status != 200 || !r.Has(`#account-header [data-testid="suspend-account"]`) || r.Has("html > head title") ||
		r.Text(`#toasts[hx-swap-oob] [data-toast="success"]`) != "Spectre Scriptš reactivated." {
		t.Fatalf("htmx reactivate: %d %v %.300s", r.Status, r.Header, r.Body)
	}
	if env.AuditCount("account.reactivate", id) != 1 {
		t.Fatal("reactivation not audited")
	}
	if r := c.PostForm("/accounts/424242/suspend", url.Values{"reason": {"x"}}); r.Status != http.StatusNotFound {
		t.Fatalf("suspend unknown: %d", r.Status)
	}
}

func TestAccountsListCountAndFilterChips(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	for i := range 3 {
		acctCreate(t, env, fmt.Sprintf("Nova %d", i), fmt.Sprintf("n%d@nova.test", i), "")
	}
	acctCreate(t, env, "Other", "o@other.test", "")
	viewer := env.As("viewer")

	r := viewer.Get("/accounts")
	if got := r.Text(`[data-testid="result-count"]`); got != "4 accounts" {
		t.Errorf("count = %q", got)
	}
	if r.Has(`[data-testid="filter-chip"]`) {
		t.Errorf("chips without filters: %q", r.Text(`[data-testid="filter-chips"]`))
	}
	// Page 2 of a filtered list: the count follows the page (the page asks
	// for it by its own URL) and covers the whole list; chips drop the cursor.
	count := func(path string) string { return viewer.Count(path).Text(`[data-testid="result-count"]`) }
	r = viewer.Get("/accounts?q=nova&status=active&sort=name&limit=2")
	next, _ := r.Doc.Find(`[data-testid="pager"] a[rel="next"]`).Attr("href")
	if next == "" {
		next, _ = r.Doc.Find(`[data-testid="pager"] a:contains("Next")`).Attr("href")
	}
	if next == "" {
		t.Fatal("no next page link")
	}
	if from := r.PendingCount(); from == "" || count(from) != "3 accounts" {
		t.Errorf("first page's deferred count from %q = %q", from, count(from))
	}
	r = viewer.Get(next)
	if from := r.PendingCount(); from != next || count(from) != "3 accounts" {
		t.Errorf("filtered count on page 2 from %q = %q", from, count(from))
	}
	// A refused filter shows every account: so does its count.
	if got := count("/accounts?status=bogus&limit=2"); got != "4 accounts" {
		t.Errorf("count with a refused status = %q", got)
	}
	chips := map[string]string{}
	r.Doc.Find(`[data-testid="filter-chip"]`).Each(func(_ int, s *goquery.Selection) {
		p, _ := s.Attr("data-param")
		chips[p], _ = s.Attr("href")
	})
	want := map[string]string{
		"q":      "/accounts?limit=2&sort=name&status=active",
		"status": "/accounts?limit=2&q=nova&sort=name",
	}
	if diff := cmp.Diff(want, chips); diff != "" {
		t.Errorf("chip links (-want +got):\n%s", diff)
	}
	if l, _ := r.Doc.Find(`[data-testid="chips-clear-all"]`).Attr("href"); l != "/accounts?limit=2&sort=name" {
		t.Errorf("clear all = %q", l)
	}
	if label := r.Text(`[data-testid="filter-chip"][data-param="status"]`); !strings.Contains(label, "Status:") || !strings.Contains(label, "Active") {
		t.Errorf("status chip reads %q", label)
	}
	// The htmx fragment carries the same header.
	if r := viewer.HTMX("GET", "/accounts?q=other", nil); r.Text(`[data-testid="result-count"]`) != "1 account" {
		t.Errorf("fragment count = %q", r.Text(`[data-testid="result-count"]`))
	}
}

// lumdesk's own mail account (made when it first sends) is listed and
// counted like any account, marked "Platform" so nobody takes it for a
// customer; a customer's row and page carry no such mark.
func TestPlatformMailAccountIsMarkedPlatform(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	customer := acctCreate(t, env, "Nightfall Studios", "ops@nightfall.gg", "")
	if _, err := env.Mail.PlatformAppID(ctx); err != nil {
		t.Fatal(err)
	}
	platform, err := env.Accounts.GetByEmail(ctx, accounts.PlatformMailEmail)
	if err != nil {
		t.Fatal(err)
	}
	viewer := env.As("viewer")
	r := viewer.Get("/accounts")
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d", r.Status)
	}
	marked := map[string]bool{}
	r.Doc.Find(`[data-testid="account-row"]`).Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-id")
		marked[id] = strings.TrimSpace(s.Find(`[data-testid="platform-badge"]`).Text()) == "Platform"
	})
	pid, cid := strconv.FormatInt(platform.ID, 10), strconv.FormatInt(customer.ID, 10)
	if len(marked) != 2 || !marked[pid] || marked[cid] {
		t.Errorf("rows marked Platform: %v (platform #%s, customer #%s)", marked, pid, cid)
	}
	if r := viewer.Get(acctPath(platform.ID, "")); r.Status != http.StatusOK || r.Text(`[data-testid="account-header"] [data-testid="platform-badge"]`) != "Platform" {
		t.Errorf("the platform account's page (status %d) has no Platform badge in its header", r.Status)
	}
	if r := viewer.Get(acctPath(customer.ID, "")); r.Status != http.StatusOK || r.Has(`[data-testid="platform-badge"]`) {
		t.Errorf("a customer's page (status %d) is marked Platform", r.Status)
	}
}
