package audit_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"lumdesk/db/store"
	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/audit"
)

// record appends events in one transaction and returns their ids.
func record(t *testing.T, env *servertest.Env, a audit.Actor, evs ...audit.Event) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	err := env.DB.Tx(ctx, func(q *store.Queries) error {
		for _, ev := range evs {
			if err := audit.Record(ctx, q, a, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := env.DB.Pool.Query(ctx, "SELECT id FROM audit_events ORDER BY id DESC LIMIT $1", len(evs))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	slices.Reverse(ids)
	return ids
}

// eventIDs are the ids of the matching elements' data-event-id, in page order.
func eventIDs(t *testing.T, sel *goquery.Selection) []int64 {
	t.Helper()
	out := []int64{}
	sel.Each(func(_ int, s *goquery.Selection) {
		id, err := strconv.ParseInt(s.AttrOr("data-event-id", ""), 10, 64)
		if err != nil {
			t.Fatalf("bad data-event-id %q", s.AttrOr("data-event-id", ""))
		}
		out = append(out, id)
	})
	return out
}

func rowIDs(t *testing.T, r *servertest.Response) []int64 {
	t.Helper()
	return eventIDs(t, r.Doc.Find(`[data-testid="audit-row"]`))
}

func desc(ids ...int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

func TestAuditListFilters(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.As("viewer")
	zed := audit.Staff(901, "zed@example.test")
	kim := audit.Actor{Kind: audit.KindAPIKey, ID: "77", Label: "kim's key"}
	z := record(t, env, zed,
		audit.Event{Action: "widget.create", EntityType: "widget", EntityID: "1", After: map[string]any{"name": "W"}},
		audit.Event{Action: "widget.rename", EntityType: "widget", EntityID: "1", Before: map[string]any{"name": "W"}, After: map[string]any{"name": "W2"}},
		audit.Event{Action: "gadget.create", EntityType: "gadget", EntityID: "9"},
	)
	k := record(t, env, kim,
		audit.Event{Action: "widget.delete", EntityType: "widget", EntityID: "2", Reason: "spam"},
	)
	today := time.Now().UTC().Format("2006-01-02")
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format("2006-01-02")
	yesterday := time.Now().UTC().Add(-24 * time.Hour).Format("2006-01-02")
	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"actor=ZED%40example", desc(z...)},
		{"actor=901", desc(z...)},
		{"actor=77", desc(k...)},
		{"action=widget.rename", desc(z[1])},
		{"action=widget.", desc(z[0], z[1], k[0])},
		{"entity_type=gadget", desc(z[2])},
		{"entity_type=widget&entity_id=1", desc(z[0], z[1])},
		{"entity_type=widget&actor=kim", desc(k[0])},
		{"entity_type=widget&from=" + today + "&to=" + today, desc(z[0], z[1], k[0])},
		{"entity_type=widget&from=" + tomorrow, []int64{}},
		{"entity_type=widget&to=" + yesterday, []int64{}},
		{"entity_type=widget&from=" + yesterday + "T00:00", desc(z[0], z[1], k[0])},
	} {
		r := c.Get("/audit?" + tc.query)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: status %d", tc.query, r.Status)
		}
		if d := cmp.Diff(tc.want, rowIDs(t, r)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.query, d)
		}
		if len(tc.want) == 0 && !r.Has(`[data-testid="audit-empty"]`) {
			t.Errorf("%s: no empty state", tc.query)
		}
	}

	r := c.Get("/audit?entity_type=widget&entity_id=1")
	// Filters stay in the form; the select lists recorded actions grouped by noun.
	if v, _ := r.Doc.Find(`select[name="entity_type"] option[selected]`).Attr("value"); v != "widget" {
		t.Errorf("entity_type select shows %q", v)
	}
	if r.Doc.Find(`select[name="action"] option[value="widget."]`).Length() != 1 ||
		r.Doc.Find(`select[name="action"] option[value="gadget.create"]`).Length() != 1 {
		t.Error("action select lacks recorded actions")
	}
	if got := r.Text(`[data-testid="audit-row"] [data-testid="entity-link"]`); got != "" {
		t.Errorf("widget is not linkable, got link %q", got)
	}
	if st := r.Doc.Find(`[data-testid="chain-status"]`); st.AttrOr("data-status", "") != "intact" ||
		!strings.Contains(st.Text(), "Chain intact") || !strings.Contains(st.Text(), "events verified") {
		t.Errorf("chain status %q %q", st.AttrOr("data-status", ""), st.Text())
	}
	// A viewer has no export button.
	if r.Has(`[data-testid="audit-export"]`) {
		t.Error("viewer sees the export button")
	}
	// Known entity types link to their page; rows link to the event.
	acc := record(t, env, zed, audit.Event{Action: "account.suspend", EntityType: "account", EntityID: "42", Reason: "chargeback"})
	r = c.Get("/audit?action=account.suspend")
	if href, _ := r.Doc.Find(`[data-testid="entity-link"]`).Attr("href"); href != "/accounts/42" {
		t.Errorf("entity link %q", href)
	}
	if href, _ := r.Doc.Find(`[data-testid="audit-row"]`).Attr("data-href"); href != "/audit/"+strconv.FormatInt(acc[0], 10) {
		t.Errorf("row link %q", href)
	}
}

func TestAuditPaginationHasNoDuplicates(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.As("support")
	evs := make([]audit.Event, 123)
	for i := range evs {
		evs[i] = audit.Event{Action: "widget.tick", EntityType: "widget", EntityID: strconv.Itoa(i % 7)}
	}
	want := desc(record(t, env, audit.System("test"), evs...)...)

	var got []int64
	path := "/audit?entity_type=widget"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		r := c.Get(path)
		if r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
		got = append(got, rowIDs(t, r)...)
		newest, hasNewest := r.Doc.Find(`[data-testid="pager-newest"]`).Attr("href")
		if pages > 0 && (!hasNewest || newest != "/audit?entity_type=widget") {
			t.Errorf("page %d: Newest link %q", pages, newest)
		}
		if pages == 0 && hasNewest {
			t.Error("first page has a Newest link")
		}
		path, _ = r.Doc.Find(`[data-testid="pager-next"]`).Attr("href")
		if path != "" && !strings.Contains(path, "entity_type=widget") {
			t.Fatalf("next link drops the filter: %s", path)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("pages (-want +got):\n%s", d)
	}
}

// A page that is not the whole log shows its rows and asks for the count by
// its own URL; one that is counts itself.
func TestAuditCountFollowsThePage(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.As("support")
	evs := make([]audit.Event, 53)
	for i := range evs {
		evs[i] = audit.Event{Action: "widget.tick", EntityType: "widget", EntityID: strconv.Itoa(i % 2)}
	}
	record(t, env, audit.System("test"), evs...)

	r := c.Get("/audit?entity_type=widget")
	from := r.PendingCount()
	if r.Status != http.StatusOK || from != "/audit?entity_type=widget" {
		t.Fatalf("first page: %d, deferred count from %q", r.Status, from)
	}
	if got := c.Count(from); got.Status != http.StatusOK || got.Text(`[data-testid="result-count"]`) != "53 events" || strings.Contains(got.Body, "<html") {
		t.Errorf("count: %d %q", got.Status, got.Body)
	}
	// The next page's count is the filter's, not the page's.
	next, _ := r.Doc.Find(`[data-testid="pager-next"]`).Attr("href")
	if got := c.Count(next).Text(`[data-testid="result-count"]`); got != "53 events" {
		t.Errorf("count from %s = %q", next, got)
	}
	// One page holds every match: no second request.
	if r := c.Get("/audit?entity_type=widget&entity_id=1"); r.Text(`[data-testid="result-count"]`) != "26 events" || r.Has(`[data-pending]`) {
		t.Errorf("whole list count = %q", r.Text(`[data-testid="result-count"]`))
	}
	// A refused filter has no count to give.
	if got := c.Count("/audit?from=nope"); got.Status != http.StatusOK || got.Has(`[data-testid="result-count"]`) {
		t.Errorf("count of a refused filter: %d %q", got.Status, got.Body)
	}
}

func TestAuditDetail(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.As("viewer")
	ids := record(t, env, audit.Staff(5, "ops@x.test"), audit.Event{
		Action: "api_key.update", EntityType: "api_key", EntityID: "12", Reason: "<b>rotate</b>",
		Before: map[string]any{"name": "old", "limits": map[string]any{"rpm": 60}, "gone": true},
		After:  map[string]any{"name": "new", "limits": map[string]any{"rpm": 120}, "scopes": []string{"read"}},
	})
	r := c.Get("/audit/" + strconv.FormatInt(ids[0], 10))
	if r.Status != 200 {
		t.Fatalf("detail: %d", r.Status)
	}
	type row struct{ Field, Kind, Old, New string }
	var rows []row
	r.Doc.Find(`[data-testid="diff-row"]`).Each(func(_ int, s *goquery.Selection) {
		rows = append(rows, row{s.AttrOr("data-field", ""), s.AttrOr("data-kind", ""),
			strings.TrimSpace(s.Find(`[data-testid="diff-old"]`).Text()), strings.TrimSpace(s.Find(`[data-testid="diff-new"]`).Text())})
	})
	want := []row{
		{"gone", "removed", "Yes", "—"},
		{"limits.rpm", "changed", "60", "120"},
		{"name", "changed", "old", "new"},
		{"scopes", "added", "—", "read"},
	}
	if d := cmp.Diff(want, rows); d != "" {
		t.Errorf("diff rows (-want +got):\n%s", d)
	}
	if !strings.Contains(r.Text(`[data-testid="raw-after"]`), `"rpm": 120`) || !strings.Contains(r.Body, "&lt;b&gt;rotate&lt;/b&gt;") {
		t.Error("raw JSON or escaped reason missing")
	}
	if len(r.Text(`[data-testid="hash"]`)) != 64 {
		t.Errorf("hash %q", r.Text(`[data-testid="hash"]`))
	}
	if href, _ := r.Doc.Find(`[data-testid="entity-history"]`).Attr("href"); href != "/history/api_key/12" {
		t.Errorf("history link %q", href)
	}
	for _, p := range []string{"/audit/99999999", "/audit/abc", "/audit/-1", "/audit/99999999999999999999"} {
		if r := c.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, r.Status)
		}
	}
}

// The log names what it shows: actors, entities and referenced accounts by
// name, linked to their pages; products by their brand; money as money.
func TestAuditNamesAndLinks(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.As("viewer")
	ctx := context.Background()
	amy, _ := env.CreateStaff("amy@x.test", "support")
	if _, err := env.DB.Pool.Exec(ctx, "UPDATE staff_users SET name = 'Amy Pond' WHERE id = $1", amy.ID); err != nil {
		t.Fatal(err)
	}
	var acct, key int64
	if err := env.DB.Pool.QueryRow(ctx, "INSERT INTO accounts (name, email) VALUES ('Acme Corp', 'acme@x.test') RETURNING id").Scan(&acct); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Pool.QueryRow(ctx, `INSERT INTO api_keys (product, account_id, name, prefix, secret_hash)
		VALUES ('lumi-domains', $1, 'Reseller bot', 'ld_abc', '\x01') RETURNING id`, acct).Scan(&key); err != nil {
		t.Fatal(err)
	}
	acctID, keyID := strconv.FormatInt(acct, 10), strconv.FormatInt(key, 10)
	ids := record(t, env, audit.Staff(amy.ID, "amy@x.test"), audit.Event{
		Action: "api_key.update", EntityType: "api_key", EntityID: keyID,
		Before: map[string]any{"product": "lumi-hosting", "daily_spend_cap": "10", "expires_at": "2026-03-01T10:00:00Z"},
		After:  map[string]any{"product": "lumi-domains", "daily_spend_cap": "1063.6", "expires_at": "2026-04-01T10:00:00Z", "account_id": acct},
	})
	record(t, env, audit.Actor{Kind: audit.KindAPIKey, ID: keyID, Label: "ld_abc"},
		audit.Event{Action: "account.update", EntityType: "account", EntityID: acctID})

	r := c.Get("/audit")
	rows := r.Doc.Find(`[data-testid="audit-row"]`)
	keyRow, acctRow := rows.Eq(1), rows.Eq(0)
	if a := keyRow.Find(`td.max-sm\:hidden [data-testid="actor-link"]`); strings.TrimSpace(a.Text()) != "Amy Pond" || a.AttrOr("href", "") != "/staff/"+strconv.FormatInt(amy.ID, 10) {
		t.Errorf("staff actor %q → %q", a.Text(), a.AttrOr("href", ""))
	}
	if a := keyRow.Find(`td.max-sm\:hidden [data-testid="entity-link"]`); strings.Join(strings.Fields(a.Text()), " ") != "API key Reseller bot" || a.AttrOr("href", "") != "/apikeys/"+keyID {
		t.Errorf("key entity %q → %q", a.Text(), a.AttrOr("href", ""))
	}
	if a := acctRow.Find(`td.max-sm\:hidden [data-testid="actor-link"]`); strings.TrimSpace(a.Text()) != "Reseller bot" || a.AttrOr("href", "") != "/apikeys/"+keyID {
		t.Errorf("API key actor %q → %q", a.Text(), a.AttrOr("href", ""))
	}
	if a := acctRow.Find(`td.max-sm\:hidden [data-testid="entity-link"]`); strings.Join(strings.Fields(a.Text()), " ") != "account Acme Corp" || a.AttrOr("href", "") != "/accounts/"+acctID {
		t.Errorf("account entity %q → %q", a.Text(), a.AttrOr("href", ""))
	}
	if strings.Contains(r.Text(`[data-testid="audit-rows"]`), "#"+acctID) {
		t.Error("the log shows an account by its number")
	}

	d := c.Get("/audit/" + strconv.FormatInt(ids[0], 10))
	got := map[string][2]string{}
	d.Doc.Find(`[data-testid="diff-row"]`).Each(func(_ int, s *goquery.Selection) {
		got[strings.TrimSpace(s.Find(`[data-testid="diff-label"]`).Text())] = [2]string{
			strings.TrimSpace(s.Find(`[data-testid="diff-old"]`).Text()), strings.TrimSpace(s.Find(`[data-testid="diff-new"]`).Text())}
	})
	want := map[string][2]string{
		"Daily spend cap": {"$10.00", "$1,063.60"},
		"Product":         {"Lumi Hosting", "Lumi Domains"},
		"Expires":         {"Mar 1, 2026", "Apr 1, 2026"},
		"Account added":   {"—", "Acme Corp"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readable changes (-want +got):\n%s", diff)
	}
	if href := d.Doc.Find(`[data-testid="value-link"]`).AttrOr("href", ""); href != "/accounts/"+acctID {
		t.Errorf("account value link %q", href)
	}
	if strings.Contains(d.Text(`[data-testid="diff"]`), "lumi-domains") || strings.Contains(d.Text(`[data-testid="diff"]`), "daily_spend_cap") {
		t.Error("the change list shows raw ids or column names")
	}
}

func TestAuditExportCSV(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := env.As("admin")
	viewer := env.As("viewer")
	evil := audit.Actor{Kind: audit.KindAPIKey, ID: "3", Label: "@SUM(A1)", IP: "10.0.0.1", UserAgent: "+cmd", RequestID: "-r"}
	ids := record(t, env, evil,
		audit.Event{Action: "widget.create", EntityType: "widget", EntityID: "=1+1", Reason: "=HYPERLINK(\"http://x\")", After: map[string]any{"a": "b,\"c\"\nd"}},
		audit.Event{Action: "widget.note", EntityType: "widget", EntityID: "7", Reason: "\tTAB", Before: map[string]any{"n": 1}},
	)
	// More rows than one export page, to cross the keyset boundary.
	bulk := make([]audit.Event, audit.MaxPage+5)
	for i := range bulk {
		bulk[i] = audit.Event{Action: "widget.tick", EntityType: "widget", EntityID: "t"}
	}
	bulkIDs := record(t, env, audit.System("bulk"), bulk...)
	record(t, env, audit.System("other"), audit.Event{Action: "gadget.create", EntityType: "gadget", EntityID: "1"})

	if r := viewer.Get("/audit/export.csv"); r.Status != http.StatusForbidden {
		t.Fatalf("viewer export: %d, want 403", r.Status)
	}
	if r := viewer.Get("/audit"); r.Status != http.StatusOK {
		t.Fatalf("viewer list: %d", r.Status)
	}
	if r := admin.Get("/audit?entity_type=widget"); r.Doc.Find(`[data-testid="audit-export"]`).AttrOr("href", "") != "/audit/export.csv?entity_type=widget" {
		t.Errorf("export button %q", r.Doc.Find(`[data-testid="audit-export"]`).AttrOr("href", ""))
	}

	r := admin.Get("/audit/export.csv?entity_type=widget&before=5")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	wantCD := `attachment; filename="lumdesk-audit-` + time.Now().UTC().Format("2006-01-02") + `.csv"`
	if got := r.Header.Get("Content-Disposition"); got != wantCD {
		t.Errorf("Content-Disposition %q, want %q", got, wantCD)
	}
	recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"id", "occurred_at", "actor_kind", "actor_id", "actor_label", "ip", "user_agent", "request_id",
		"action", "entity_type", "entity_id", "reason", "before", "after", "hash"}
	if d := cmp.Diff(header, recs[0]); d != "" {
		t.Fatalf("header: %s", d)
	}
	rows := recs[1:]
	if len(rows) != len(bulk)+2 {
		t.Fatalf("%d rows, want %d (the page cursor must be ignored, gadget filtered out)", len(rows), len(bulk)+2)
	}
	var got []int64
	for _, row := range rows {
		id, _ := strconv.ParseInt(row[0], 10, 64)
		got = append(got, id)
		if row[9] != "widget" {
			t.Fatalf("row %v is not a widget", row)
		}
	}
	if d := cmp.Diff(desc(append(slices.Clone(ids), bulkIDs...)...), got); d != "" {
		t.Errorf("ids (-want +got):\n%s", d)
	}
	last := rows[len(rows)-1] // the oldest: the formula-laden creation
	if _, err := time.Parse(time.RFC3339, last[1]); err != nil {
		t.Errorf("occurred_at %q: %v", last[1], err)
	}
	want := []string{"api_key", "3", "'@SUM(A1)", "10.0.0.1", "'+cmd", "'-r", "widget.create", "widget", "'=1+1", "'=HYPERLINK(\"http://x\")", "", `{"a": "b,\"c\"\nd"}`}
	if d := cmp.Diff(want, last[2:14]); d != "" {
		t.Errorf("guarded row (-want +got):\n%s", d)
	}
	if len(last[14]) != 64 {
		t.Errorf("hash %q", last[14])
	}
	if rows[len(rows)-2][11] != "'\tTAB" || rows[len(rows)-2][12] != `{"n": 1}` {
		t.Errorf("second row %q", rows[len(rows)-2])
	}
	if env.AuditCount(audit.ActionExport, "") != 1 {
		t.Error("export not audited")
	}
	if r := admin.Get("/audit/export.csv?from=nope"); r.Status != http.StatusBadRequest {
		t.Errorf("bad export filter: %d", r.Status)
	}
}

func TestHistoryFragment(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.As("support")
	ids := record(t, env, audit.Staff(3, "amy@x.test"),
		audit.Event{Action: "account.create", EntityType: "account", EntityID: "42", After: map[string]any{"name": "Acme", "status": "active"}},
		audit.Event{Action: "account.suspend", EntityType: "account", EntityID: "42", Reason: "chargeback",
			Before: map[string]any{"status": "active"}, After: map[string]any{"status": "suspended"}},
	)
	notes := make([]audit.Event, 23)
	for i := range notes {
		notes[i] = audit.Event{Action: "account.note", EntityType: "account", EntityID: "42", After: map[string]any{"i": i}}
	}
	ids = append(ids, record(t, env, audit.System("jobs"), notes...)...)
	record(t, env, audit.System("jobs"), audit.Event{Action: "account.note", EntityType: "account", EntityID: "43"})

	r := c.HTMX("GET", "/history/account/42", nil)
	if r.Status != 200 || strings.Contains(r.Body, "<html") {
		t.Fatalf("fragment: %d, full page=%v", r.Status, strings.Contains(r.Body, "<html"))
	}
	first := eventIDs(t, r.Doc.Find(`[data-testid="history-item"]`))
	more := r.Doc.Find(`[data-testid="history-more"] a`)
	hxGet, _ := more.Attr("hx-get")
	if len(first) != 20 || hxGet == "" || more.AttrOr("hx-swap", "") != "outerHTML" || more.AttrOr("href", "") != hxGet {
		t.Fatalf("first page: %d items, more=%q", len(first), hxGet)
	}
	r2 := c.HTMX("GET", hxGet, nil)
	if r2.Status != 200 || r2.Has(`[data-testid="history"]`) {
		t.Fatalf("load more: %d, wrapper present=%v", r2.Status, r2.Has(`[data-testid="history"]`))
	}
	rest := eventIDs(t, r2.Doc.Find(`[data-testid="history-item"]`))
	if r2.Has(`[data-testid="history-more"]`) {
		t.Error("last page still offers Load more")
	}
	if d := cmp.Diff(desc(ids...), append(first, rest...)); d != "" {
		t.Errorf("history ids (-want +got):\n%s", d)
	}
	// The suspension shows who, why and the readable diff.
	item := r2.Doc.Find(`[data-testid="history-item"][data-event-id="` + strconv.FormatInt(ids[1], 10) + `"]`)
	if item.Find(`[data-testid="history-action"]`).AttrOr("data-action", "") != "account.suspend" || item.Find(`[data-testid="history-action"]`).Text() != "Account suspended" || strings.TrimSpace(item.Find(`[data-testid="history-reason"]`).Text()) != "Reason chargeback" ||
		!strings.Contains(item.Text(), "amy@x.test") {
		t.Errorf("suspend item: %q", item.Text())
	}
	row := item.Find(`[data-testid="diff-row"]`)
	if row.Length() != 1 || row.AttrOr("data-field", "") != "status" || row.AttrOr("data-kind", "") != "changed" ||
		strings.TrimSpace(row.Find(`[data-testid="diff-old"]`).Text()) != "Active" || strings.TrimSpace(row.Find(`[data-testid="diff-new"]`).Text()) != "Suspended" {
		t.Errorf("suspend diff: %q", row.Text())
	}

	// Without htmx: the full page, inside the layout.
	full := c.Get("/history/account/42")
	if full.Status != 200 || full.Text("h1") != "History of account #42" || full.Doc.Find(`[data-testid="history-item"]`).Length() != 20 {
		t.Fatalf("full page: %d %q", full.Status, full.Text("h1"))
	}
	if href, _ := full.Doc.Find(`nav.breadcrumbs a`).First().Attr("href"); href != "/accounts/42" {
		t.Errorf("crumb %q", href)
	}
	if r := c.Get("/history/licence_key/abc-DEF.1"); r.Status != 200 || !strings.Contains(r.Text(`[data-testid="history"]`), "No history yet") {
		t.Errorf("unknown but valid entity: %d", r.Status)
	}
	if r := c.Get("/history/account/a%20b"); r.Status != 200 || r.Text("h1") != "History of account #a b" {
		t.Errorf("escaped id: %d %q", r.Status, r.Text("h1"))
	}

	for path, status := range map[string]int{
		"/history/Account/42":                             404,
		"/history/acc-ount/42":                            404,
		"/history/" + strings.Repeat("a", 41) + "/1":      404,
		"/history/account/" + strings.Repeat("9", 101):    404,
		"/history/account/%00":                            400, // the app's input guard
		"/history/account/%FF":                            400,
		"/history/account/42?before=abc":                  400,
		"/history/account/42?before=-4":                   400,
		"/history/account/42?before=99999999999999999999": 400,
	} {
		if r := c.Get(path); r.Status != status {
			t.Errorf("%s: %d, want %d", path, r.Status, status)
		}
		if r := c.HTMX("GET", path, nil); r.Status != status {
			t.Errorf("htmx %s: %d, want %d", path, r.Status, status)
		}
	}
}

func TestAuditChainBrokenShows(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ids := record(t, env, audit.System("t"),
		audit.Event{Action: "widget.a"}, audit.Event{Action: "widget.b"}, audit.Event{Action: "widget.c"})
	c := env.As("viewer")
	ctx := context.Background()
	if _, err := env.DB.Pool.Exec(ctx, "ALTER TABLE audit_events DISABLE TRIGGER USER"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Pool.Exec(ctx, "UPDATE audit_events SET reason = 'nothing to see' WHERE id = $1", ids[1]); err != nil {
		t.Fatal(err)
	}
	r := c.Get("/audit")
	st := r.Doc.Find(`[data-testid="chain-status"]`)
	want := "Chain broken at event #" + strconv.FormatInt(ids[1], 10) + ": content does not match its hash"
	if r.Status != 200 || st.AttrOr("data-status", "") != "broken" || !strings.Contains(strings.Join(strings.Fields(st.Text()), " "), want) {
		t.Fatalf("status %d %q: %q, want %q", r.Status, st.AttrOr("data-status", ""), st.Text(), want)
	}
	if r := c.Get("/audit/" + strconv.FormatInt(ids[1], 10)); !r.Has(`[data-testid="event-broken"]`) {
		t.Error("the altered event's page does not warn")
	}
	if r := c.Get("/audit/" + strconv.FormatInt(ids[0], 10)); r.Has(`[data-testid="event-broken"]`) {
		t.Error("an intact event's page warns")
	}
}

func TestAuditBadFilters(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.As("viewer")
	long := strings.Repeat("x", 1500)
	for _, q := range []string{
		"from=yesterday", "to=2025-13-45", "from=2025-03-02&to=2025-03-01", "before=-1", "before=abc",
		"before=99999999999999999999", "actor=" + long, "action=DROP%20TABLE", "entity_type=Robert%27%29", "entity_id=" + long,
		"entity_id=a%0Ab", "from=0000-01-01", "to=99999-01-01",
	} {
		r := c.Get("/audit?" + q)
		if r.Status != http.StatusBadRequest || !r.Has(`[data-testid="filter-errors"]`) || r.Has(`[data-testid="audit-rows"]`) {
			t.Errorf("%.60s: %d, errors shown=%v", q, r.Status, r.Has(`[data-testid="filter-errors"]`))
		}
	}
	// NUL and invalid UTF-8 never reach the page: the app's input guard answers 400 naming the parameter.
	for _, q := range []string{"actor=%00", "actor=%FF%FE"} {
		if r := c.Get("/audit?" + q); r.Status != http.StatusBadRequest || !strings.Contains(r.Text(`[data-testid="error-message"]`), `"actor"`) {
			t.Errorf("%s: %d %q", q, r.Status, r.Text(`[data-testid="error-message"]`))
		}
	}
	// Wildcards and quotes are plain text, not errors.
	for _, q := range []string{"actor=%25", "actor=_", "actor=%27%3B--", "entity_id=%27"} {
		if r := c.Get("/audit?" + q); r.Status != http.StatusOK {
			t.Errorf("%s: %d", q, r.Status)
		}
	}
	// A query too long for the server is refused before it reaches us, never a 500.
	if r := c.Get("/audit?actor=" + strings.Repeat("y", 9000)); r.Status >= 500 {
		t.Errorf("huge query: %d", r.Status)
	}
	if r := c.Get("/audit"); r.Status != http.StatusOK {
		t.Errorf("after a huge query: %d", r.Status)
	}
}
