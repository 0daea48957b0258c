package licensing_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/audit"
	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
)

var bulkCLI = audit.CLI("bulk test")

type bulkWorld struct {
	t       *testing.T
	env     *servertest.Env
	project licensing.Project
	account int64
}

// newBulkWorld runs the app with its real job runner, over one account and
// one project.
func newBulkWorld(t *testing.T, startRunner bool) *bulkWorld {
	t.Helper()
	env := servertest.New(t)
	w := &bulkWorld{t: t, env: env}
	ctx := context.Background()
	if err := env.DB.Pool.QueryRow(ctx, "INSERT INTO accounts (name, email) VALUES ('Nightfall Studios', 'ops@nightfall.test') RETURNING id").Scan(&w.account); err != nil {
		t.Fatal(err)
	}
	var err error
	w.project, err = env.Licensing.CreateProject(ctx, bulkCLI, licensing.ProjectInput{AccountID: w.account, Name: "Hub"})
	if err != nil {
		t.Fatal(err)
	}
	if startRunner {
		w.startRunner()
	}
	return w
}

func (w *bulkWorld) startRunner() {
	w.t.Helper()
	w.env.Jobs.SetOptions(jobs.Options{TestOnly: true, PollInterval: 50 * time.Millisecond})
	if err := w.env.Jobs.Start(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = w.env.Jobs.Stop(ctx)
	})
}

func (w *bulkWorld) keys(n int, in licensing.KeyInput) []licensing.Key {
	w.t.Helper()
	out := make([]licensing.Key, n)
	for i := range out {
		k, err := w.env.Licensing.CreateKey(context.Background(), bulkCLI, w.project.ID, in)
		if err != nil {
			w.t.Fatal(err)
		}
		out[i] = k
	}
	return out
}

// jobOf reads the job id from a redirect to its page.
func (w *bulkWorld) jobOf(r *servertest.Response) int64 {
	w.t.Helper()
	if r.Status != http.StatusSeeOther {
		w.t.Fatalf("status %d, want 303: %s", r.Status, r.Text("[data-testid=form-error], .field-error"))
	}
	m := regexp.MustCompile(`^/luarmor/jobs/(\d+)$`).FindStringSubmatch(r.Header.Get("Location"))
	if m == nil {
		w.t.Fatalf("redirect to %q", r.Header.Get("Location"))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

func (w *bulkWorld) wait(id int64) jobs.Job {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := w.env.Jobs.Get(context.Background(), id)
		if err != nil {
			w.t.Fatal(err)
		}
		if j.Finished() {
			return j
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("job %d did not finish: %+v", id, j)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func bulkIDs(keys []licensing.Key, extra ...string) []string {
	var out []string
	for _, k := range keys {
		out = append(out, strconv.FormatInt(k.ID, 10))
	}
	return append(out, extra...)
}

type bulkResultRow struct {
	Key     string
	OK      string
	Message string
}

func bulkResultRows(r *servertest.Response) []bulkResultRow {
	var out []bulkResultRow
	r.Doc.Find("[data-testid=result-row]").Each(func(_ int, s *goquery.Selection) {
		cells := s.Find("td")
		out = append(out, bulkResultRow{Key: strings.TrimSpace(cells.Eq(1).Children().First().Text()), OK: s.AttrOr("data-ok", ""),
			Message: strings.TrimSpace(cells.Eq(3).Text())})
	})
	return out
}

func bulkReadCSV(t *testing.T, body string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, body)
	}
	return recs
}

func TestBulkBlacklistRunsAsJobWithPerKeyResults(t *testing.T) {
	t.Parallel()
	w := newBulkWorld(t, true)
	ks := w.keys(3, licensing.KeyInput{})
	c := w.env.As("support")

	// The list's bulk bar posts the selection to /luarmor/keys/bulk, which
	// sends it on to the action's own route (307 keeps the method and body).
	r := c.PostForm("/luarmor/keys/bulk", url.Values{"action": {"blacklist"}, "ids": bulkIDs(ks)})
	if r.Status != http.StatusTemporaryRedirect || r.Header.Get("Location") != "/luarmor/keys/bulk/blacklist" {
		t.Fatalf("bulk bar: %d to %q", r.Status, r.Header.Get("Location"))
	}
	if r := c.PostForm("/luarmor/keys/bulk", url.Values{"action": {"explode"}, "ids": bulkIDs(ks)}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown bulk action: %d, want 422", r.Status)
	}
	// The action's route asks for the reason.
	r = c.PostForm("/luarmor/keys/bulk/blacklist", url.Values{"action": {"blacklist"}, "ids": bulkIDs(ks, "99999999"), "back": {"/luarmor/keys?status=active"}})
	if r.Status != http.StatusOK || !r.Has("[data-testid=bulk-action-form]") {
		t.Fatalf("confirmation: status %d", r.Status)
	}
	if got := r.Text("h1"); got != "Blacklist 4 keys" {
		t.Errorf("title %q", got)
	}
	if n := r.Doc.Find("[data-testid=bulk-preview] li").Length(); n != 4 {
		t.Errorf("preview lists %d keys", n)
	}
	if n := r.Doc.Find(`input[name=ids]`).Length(); n != 4 {
		t.Errorf("form carries %d ids", n)
	}

	// Without a reason: the form again, 422. The form asks one reason (the
	// user's) and an optional internal note.
	if !r.Has(`input[name=ban_reason][required]`) || !r.Has(`textarea[name=note]:not([required])`) || r.Has(`textarea[name=reason]`) {
		t.Errorf("the blacklist form should ask one reason and an optional note")
	}
	form := url.Values{"step": {"confirm"}, "action": {"blacklist"}, "ids": bulkIDs(ks, "99999999")}
	r = c.PostForm("/luarmor/keys/bulk/blacklist", form)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(".field-error"), "Ban reason is required") {
		t.Fatalf("no reason: status %d %q", r.Status, r.Text(".field-error"))
	}

	// The same from an htmx dialog: a toast, nothing swapped.
	r = c.HTMX(http.MethodPost, "/luarmor/keys/bulk/blacklist", form)
	if r.Status != http.StatusUnprocessableEntity || r.Header.Get("HX-Reswap") != "none" || !strings.Contains(r.Header.Get("HX-Trigger"), "Ban reason is required") {
		t.Errorf("htmx without reason: %d %q", r.Status, r.Header.Get("HX-Trigger"))
	}

	form.Set("ban_reason", "Chargeback")
	form.Set("note", "chargeback wave 12")
	id := w.jobOf(c.PostForm("/luarmor/keys/bulk/blacklist", form))
	j := w.wait(id)
	if j.Status != jobs.StatusDone || j.OK != 3 || j.Failed != 1 {
		t.Fatalf("job: %+v", j)
	}

	r = c.Get(fmt.Sprintf("/luarmor/jobs/%d", id))
	if r.Status != http.StatusOK {
		t.Fatalf("job page: %d", r.Status)
	}
	if r.Has("[data-testid=job-live][hx-trigger]") {
		t.Error("a finished job's page still polls")
	}
	want := []bulkResultRow{
		{ks[0].UserKey, "true", "Blacklisted"}, {ks[1].UserKey, "true", "Blacklisted"}, {ks[2].UserKey, "true", "Blacklisted"},
		{"#99999999", "false", "Key not found."},
	}
	if diff := cmp.Diff(want, bulkResultRows(r)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if got := r.Text("[data-testid=job-progress-text]"); !strings.HasPrefix(got, "4 of 4") {
		t.Errorf("progress %q", got)
	}

	// Every key: banned, one audit row with the staff member's reason.
	for _, k := range ks {
		got, _ := w.env.Licensing.GetKeyByID(context.Background(), k.ID)
		if !got.Banned || got.BanReason != "Chargeback" {
			t.Errorf("key %d banned=%v %q", k.ID, got.Banned, got.BanReason)
		}
		var reason, actor string
		if err := w.env.DB.Pool.QueryRow(context.Background(),
			"SELECT reason, actor_label FROM audit_events WHERE action = 'license_key.blacklist' AND entity_id = $1",
			strconv.FormatInt(k.ID, 10)).Scan(&reason, &actor); err != nil {
			t.Fatalf("audit row of key %d: %v", k.ID, err)
		}
		// One reason: the user's, then the internal note.
		if reason != "Chargeback · Internal note: chargeback wave 12" || actor != c.User.Email {
			t.Errorf("audit of key %d: reason %q by %q", k.ID, reason, actor)
		}
	}

	// The results as CSV.
	res := c.Get(fmt.Sprintf("/luarmor/jobs/%d/results.csv", id))
	recs := bulkReadCSV(t, res.Body)
	wantCSV := [][]string{{"key_id", "user_key", "ok", "message"},
		{strconv.FormatInt(ks[0].ID, 10), ks[0].UserKey, "true", "Blacklisted"},
		{strconv.FormatInt(ks[1].ID, 10), ks[1].UserKey, "true", "Blacklisted"},
		{strconv.FormatInt(ks[2].ID, 10), ks[2].UserKey, "true", "Blacklisted"},
		{"99999999", "", "false", "Key not found."}}
	if diff := cmp.Diff(wantCSV, recs); diff != "" {
		t.Errorf("results.csv (-want +got):\n%s", diff)
	}

	// Failed only.
	r = c.Get(fmt.Sprintf("/luarmor/jobs/%d?failed=1", id))
	if rows := bulkResultRows(r); len(rows) != 1 || rows[0].OK != "false" {
		t.Errorf("failed only: %+v", rows)
	}
}

func TestBulkPermissionsPerAction(t *testing.T) {
	t.Parallel()
	w := newBulkWorld(t, true)
	ks := w.keys(2, licensing.KeyInput{})
	support, viewer, admin := w.env.As("support"), w.env.As("viewer"), w.env.As("admin")
	post := func(c *servertest.Client, action string, extra ...string) *servertest.Response {
		f := url.Values{"step": {"confirm"}, "action": {action}, "ids": bulkIDs(ks), "reason": {"test"}, "ban_reason": {"test"}}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		return c.PostForm("/luarmor/keys/bulk/"+action, f)
	}
	if r := post(support, "delete"); r.Status != http.StatusForbidden {
		t.Errorf("support delete: %d, want 403", r.Status)
	}
	if r := support.PostForm("/luarmor/keys/bulk/delete", url.Values{"action": {"delete"}, "ids": bulkIDs(ks)}); r.Status != http.StatusForbidden {
		t.Errorf("support delete confirmation: %d, want 403", r.Status)
	}
	// The action comes from the route: a form naming another action does not change it.
	if r := support.PostForm("/luarmor/keys/bulk/blacklist", url.Values{"action": {"delete"}, "ids": bulkIDs(ks)}); r.Status != http.StatusOK || r.Text("h1") != "Blacklist 2 keys" {
		t.Errorf("blacklist route with action=delete: %d %q", r.Status, r.Text("h1"))
	}
	if r := post(viewer, "blacklist"); r.Status != http.StatusForbidden {
		t.Errorf("viewer blacklist: %d, want 403", r.Status)
	}
	if r := post(viewer, "extend", "days", "5"); r.Status != http.StatusForbidden {
		t.Errorf("viewer extend: %d, want 403", r.Status)
	}
	if r := viewer.Get("/luarmor/keys/generate"); r.Status != http.StatusForbidden {
		t.Errorf("viewer generate form: %d, want 403", r.Status)
	}
	w.wait(w.jobOf(post(support, "blacklist")))
	// Unban in bulk: support may (it holds the blacklist permission), a
	// viewer may not; the confirmation asks for the reason.
	if r := post(viewer, "unban"); r.Status != http.StatusForbidden {
		t.Errorf("viewer unban: %d, want 403", r.Status)
	}
	if r := support.PostForm("/luarmor/keys/bulk/unban", url.Values{"ids": bulkIDs(ks)}); r.Status != http.StatusOK ||
		r.Text("h1") != "Unban 2 keys" || !r.Has("textarea[name=reason]") {
		t.Errorf("unban confirmation: %d %q", r.Status, r.Text("h1"))
	}
	if r := support.Get("/luarmor/keys"); !r.Has("[data-testid=bulk-unban]") || viewer.Get("/luarmor/keys").Has("[data-testid=bulk-unban]") {
		t.Error("the bulk bar's Unban: for support, not for a viewer")
	}
	if j := w.wait(w.jobOf(post(support, "unban"))); j.OK != 2 {
		t.Errorf("support unban: %+v", j)
	}
	for _, k := range ks {
		if got, _ := w.env.Licensing.GetKeyByID(context.Background(), k.ID); got.Banned {
			t.Errorf("key %d still banned after the bulk unban", k.ID)
		}
	}
	w.wait(w.jobOf(post(support, "extend", "days", "5")))
	j := w.wait(w.jobOf(post(admin, "delete")))
	if j.OK != 2 {
		t.Errorf("admin delete: %+v", j)
	}
	if w.env.AuditCount("license_key.delete", strconv.FormatInt(ks[0].ID, 10)) != 1 {
		t.Error("delete not audited")
	}

	// A bulk route declares a permission like every route.
	for _, rt := range w.env.Handlers.Table() {
		if strings.HasPrefix(rt.Path, "/luarmor/jobs") || strings.HasPrefix(rt.Path, "/luarmor/keys/bulk") {
			if rt.Perm == "" {
				t.Errorf("%s %s declares no permission", rt.Method, rt.Path)
			}
		}
	}
}

// Resetting HWIDs in bulk: support resets the selection within each key's
// rules (a key without a HWID, a banned one, one on the project's cooldown
// reported and left alone); only who may force one key's reset sees and may
// send Force, which resets the one on cooldown.
func TestBulkResetHWID(t *testing.T) {
	t.Parallel()
	w := newBulkWorld(t, true)
	ctx := context.Background()
	var err error
	w.project, err = w.env.Licensing.CreateProject(ctx, bulkCLI, licensing.ProjectInput{AccountID: w.account, Name: "Cooldown", ResetCooldown: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	bound := w.keys(3, licensing.KeyInput{Identifier: "hwid-1"})
	bare := w.keys(1, licensing.KeyInput{})[0]
	cooling, banned := bound[1], bound[2]
	if _, err := w.env.Licensing.ResetHWID(ctx, bulkCLI, w.project.ID, cooling.UserKey, licensing.ResetOpts{Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.env.Licensing.UpdateKey(ctx, bulkCLI, w.project.ID, cooling.UserKey, licensing.KeyPatch{Identifier: bulkPtr("hwid-2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.env.Licensing.Blacklist(ctx, bulkCLI, w.project.ID, banned.UserKey, licensing.BlacklistInput{BanReason: "x"}); err != nil {
		t.Fatal(err)
	}
	sel := []licensing.Key{bound[0], cooling, banned, bare}
	support, viewer, admin := w.env.As("support"), w.env.As("viewer"), w.env.As("admin")
	form := func(extra ...string) url.Values {
		f := url.Values{"step": {"confirm"}, "ids": bulkIDs(sel), "reason": {"loader 3.2 changed every HWID"}}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		return f
	}

	if r := viewer.PostForm("/luarmor/keys/bulk/reset-hwid", form()); r.Status != http.StatusForbidden {
		t.Errorf("viewer: %d, want 403", r.Status)
	}
	if !support.Get("/luarmor/keys").Has("[data-testid=bulk-reset-hwid]") || viewer.Get("/luarmor/keys").Has("[data-testid=bulk-reset-hwid]") {
		t.Error("the bulk bar's Reset HWID: for support, not for a viewer")
	}
	// The list's bar posts to /luarmor/keys/bulk with the action, which
	// sends it on to the action's route; its confirmation asks for the
	// reason and (for support) has no Force.
	r := support.PostForm("/luarmor/keys/bulk", url.Values{"action": {"reset-hwid"}, "ids": bulkIDs(sel)})
	if r.Status != http.StatusTemporaryRedirect || r.Header.Get("Location") != "/luarmor/keys/bulk/reset-hwid" {
		t.Errorf("the bulk bar's reset: %d to %q", r.Status, r.Header.Get("Location"))
	}
	r = support.PostForm("/luarmor/keys/bulk/reset-hwid", url.Values{"ids": bulkIDs(sel)})
	r.Want(t, http.StatusOK, "support's confirmation")
	if r.Text("h1") != "Reset the HWID of 4 keys" || !r.Has("textarea[name=reason]") || r.Has("input[name=force]") {
		t.Errorf("support's confirmation: %q, force box %v", r.Text("h1"), r.Has("input[name=force]"))
	}
	if !admin.PostForm("/luarmor/keys/bulk/reset-hwid", url.Values{"ids": bulkIDs(sel)}).Has("input[name=force]") {
		t.Error("an admin's confirmation has no Force box")
	}
	r = support.PostForm("/luarmor/keys/bulk/reset-hwid", form("force", "on"))
	r.Want(t, http.StatusUnprocessableEntity, "support forcing")
	if !strings.Contains(r.Text(".field-error"), "may not skip the reset cooldown") {
		t.Errorf("support forcing: %q", r.Text(".field-error"))
	}
	r = support.PostForm("/luarmor/keys/bulk/reset-hwid", url.Values{"step": {"confirm"}, "ids": bulkIDs(sel)})
	r.Want(t, http.StatusUnprocessableEntity, "no reason")

	id := w.jobOf(support.PostForm("/luarmor/keys/bulk/reset-hwid", form()))
	if j := w.wait(id); j.Status != jobs.StatusDone || j.OK != 1 || j.Failed != 3 || j.Title != "Reset the HWID of 4 keys" {
		t.Fatalf("job: %+v", j)
	}
	rows := bulkResultRows(support.Get(fmt.Sprintf("/luarmor/jobs/%d", id)))
	if len(rows) != 4 {
		t.Fatalf("results: %+v", rows)
	}
	byKey := map[string]bulkResultRow{}
	for _, row := range rows {
		byKey[row.Key] = row
	}
	for key, want := range map[string]string{bound[0].UserKey: "HWID reset", cooling.UserKey: "HWID reset is on cooldown until",
		banned.UserKey: "This key is blacklisted", bare.UserKey: "This key has no HWID to reset."} {
		if got := byKey[key]; !strings.HasPrefix(got.Message, want) || (got.OK == "true") != (want == "HWID reset") {
			t.Errorf("%s: %+v, want %q", key, got, want)
		}
	}
	if k, _ := w.env.Licensing.GetKeyByID(ctx, cooling.ID); k.Identifier != "hwid-2" {
		t.Errorf("the key on cooldown was reset: %q", k.Identifier)
	}

	j := w.wait(w.jobOf(admin.PostForm("/luarmor/keys/bulk/reset-hwid", form("force", "on", "ids", strconv.FormatInt(cooling.ID, 10)))))
	if j.OK != 1 || j.Title != "Force-reset the HWID of 1 key" {
		t.Errorf("admin's forced reset: %+v", j)
	}
	for _, k := range []licensing.Key{bound[0], cooling} {
		if got, _ := w.env.Licensing.GetKeyByID(ctx, k.ID); got.Identifier != "" {
			t.Errorf("key %d still bound to %q", k.ID, got.Identifier)
		}
	}
	if n := w.env.AuditCount("license_key.reset_hwid_force", strconv.FormatInt(cooling.ID, 10)); n != 2 {
		t.Errorf("forced resets of the key on cooldown in the audit log: %d, want 2 (the setup's and the job's)", n)
	}
	if n := w.env.AuditCount("license_key.reset_hwid", strconv.FormatInt(bound[0].ID, 10)); n != 1 {
		t.Errorf("the bulk reset's audit rows: %d, want 1", n)
	}
}

func TestBulkSelectionIsCapped(t *testing.T) {
	t.Parallel()
	w := newBulkWorld(t, false)
	c := w.env.As("admin")
	ids := make([]string, jobs.MaxSelection+1)
	for i := range ids {
		ids[i] = strconv.Itoa(i + 1)
	}
	r := c.PostForm("/luarmor/keys/bulk/delete", url.Values{"step": {"confirm"}, "action": {"delete"}, "ids": {strings.Join(ids, ",")}, "reason": {"x"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", r.Status)
	}
	if got := r.Text("[data-testid=ids-error]"); got != "5,001 keys are selected; one bulk action takes at most 5,000. Narrow the filter or split the selection." {
		t.Errorf("message %q", got)
	}
	if !r.Has("[data-testid=bulk-submit][disabled]") || r.Has("input[name=ids]") {
		t.Error("an oversized selection can still be submitted")
	}
	r = c.PostForm("/luarmor/keys/bulk/delete", url.Values{"step": {"confirm"}, "action": {"delete"}, "ids": {"12,abc"}, "reason": {"x"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("[data-testid=ids-error]"), `"abc"`) {
		t.Errorf("bad id: %d %q", r.Status, r.Text("[data-testid=ids-error]"))
	}
	var n int
	_ = w.env.DB.Pool.QueryRow(context.Background(), "SELECT count(*) FROM bulk_jobs").Scan(&n)
	if n != 0 {
		t.Errorf("%d jobs queued", n)
	}
}

// "Every key that matches": the list offers it when the page does not show
// them all, and the action's confirmation lists the keys the filters select
// now, as ids, so that the job runs on what was confirmed.
func TestBulkEveryKeyThatMatches(t *testing.T) {
	t.Parallel()
	w := newBulkWorld(t, false)
	c := w.env.As("admin")
	note := "batch-seven"
	const matching = 60 // more than a page (50)
	w.keys(matching, licensing.KeyInput{Note: note})
	w.keys(3, licensing.KeyInput{Note: "other"})

	list := c.Get("/luarmor/keys?q=" + note + "&project=" + w.project.ID)
	q, ok := list.Doc.Find(`[data-testid="select-matching"]`).Attr("data-select-matching")
	if list.Status != http.StatusOK || !ok || !strings.Contains(q, "q="+note) || !strings.Contains(q, "project="+w.project.ID) {
		t.Fatalf("list: %d, select-matching %q %v", list.Status, q, ok)
	}
	if one := c.Get("/luarmor/keys?q=other&project=" + w.project.ID); one.Has(`[data-testid="select-matching"]`) {
		t.Error("a list of one page offers every key that matches")
	}

	r := c.PostForm("/luarmor/keys/bulk/extend", url.Values{"action": {"extend"}, "match": {q}, "ids": {"1"}})
	if r.Status != http.StatusOK {
		t.Fatalf("confirmation: %d %q", r.Status, r.Text("[data-testid=ids-error]"))
	}
	if n := r.Doc.Find(`input[name="ids"]`).Length(); n != matching {
		t.Errorf("the confirmation carries %d ids, want %d (the matching keys, not the ticked box)", n, matching)
	}
	if r.Has(`input[name="match"]`) {
		t.Error("the confirmation carries the filters; it should carry the keys it shows")
	}
	// Without a filter: every key.
	all, _ := c.Get("/luarmor/keys").Doc.Find(`[data-testid="select-matching"]`).Attr("data-select-matching")
	if r := c.PostForm("/luarmor/keys/bulk/extend", url.Values{"action": {"extend"}, "match": {all}}); r.Doc.Find(`input[name="ids"]`).Length() != matching+3 {
		t.Errorf("every key (match %q): %d ids, want %d", all, r.Doc.Find(`input[name="ids"]`).Length(), matching+3)
	}
	for _, bad := range []string{"status=nope", "%zz"} {
		r := c.PostForm("/luarmor/keys/bulk/extend", url.Values{"action": {"extend"}, "match": {bad}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("[data-testid=ids-error]"), "filters could not be read") {
			t.Errorf("match %q: %d %q", bad, r.Status, r.Text("[data-testid=ids-error]"))
		}
	}
}

func TestJobPagePollsWhileRunning(t *testing.T) {
	t.Parallel()
	w := newBulkWorld(t, false) // the runner starts later
	ks := w.keys(3, licensing.KeyInput{})
	c := w.env.As("support")
	id := w.jobOf(c.PostForm("/luarmor/keys/bulk/blacklist", url.Values{"step": {"confirm"}, "action": {"blacklist"}, "ids": bulkIDs(ks), "ban_reason": {"poll"}}))
	path := fmt.Sprintf("/luarmor/jobs/%d", id)
	poll := func() *servertest.Response {
		return c.Do(http.MethodGet, path, nil, http.Header{"Hx-Request": {"true"}, "Hx-Target": {"bulk-job-live"}})
	}

	r := c.Get(path)
	live := r.Doc.Find("[data-testid=job-live]")
	if live.AttrOr("hx-get", "") != path || live.AttrOr("hx-trigger", "") != "every 1s" || live.AttrOr("data-status", "") != "queued" {
		t.Fatalf("queued job page: hx-get=%q hx-trigger=%q status=%q", live.AttrOr("hx-get", ""), live.AttrOr("hx-trigger", ""), live.AttrOr("data-status", ""))
	}

	// Part way: the fragment alone, with the progress.
	if _, err := w.env.DB.Pool.Exec(context.Background(), "UPDATE bulk_jobs SET status = 'running', done_count = 1, ok_count = 1 WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	r = poll()
	if r.Has("html") && r.Has("nav.sidebar, aside") {
		t.Error("the poll got a full page")
	}
	if got := r.Text("[data-testid=job-progress-text]"); got != "1 of 3 · 33%" {
		t.Errorf("progress text %q", got)
	}
	if got := r.Doc.Find("[data-testid=job-progress]").AttrOr("value", ""); got != "33" {
		t.Errorf("progress value %q", got)
	}
	if r.Doc.Find("[data-testid=job-live]").AttrOr("hx-trigger", "") != "every 1s" {
		t.Error("a running job's fragment stops polling")
	}
	if _, err := w.env.DB.Pool.Exec(context.Background(), "UPDATE bulk_jobs SET status = 'queued', done_count = 0, ok_count = 0 WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}

	w.startRunner()
	w.wait(id)
	r = poll()
	if r.Has("[hx-trigger]") {
		t.Error("a finished job's fragment still polls")
	}
	if got := r.Text("[data-testid=job-progress-text]"); got != "3 of 3 · 100%" {
		t.Errorf("final progress %q", got)
	}
	if n := r.Doc.Find("[data-testid=result-row]").Length(); n != 3 {
		t.Errorf("%d result rows in the final fragment", n)
	}

	// The job list shows it.
	// The Luarmor tabs lead to the jobs, and mark them on their page.
	if r := c.Get("/luarmor/keys"); !r.Has(`a.tab[href="/luarmor/jobs"]`) {
		t.Error("the keys page's tabs do not link to the jobs")
	}
	if r := c.Get("/luarmor/jobs"); !r.Has(`a.tab-active[href="/luarmor/jobs"]`) {
		t.Error("the jobs page does not mark its tab")
	}
	if r := c.Get("/luarmor/jobs"); !strings.Contains(r.Text("[data-testid=jobs-table]"), "Blacklist 3 keys") {
		t.Errorf("job list: %q", r.Text("[data-testid=jobs-table]"))
	}
	if r := c.Get("/luarmor/jobs/424242"); r.Status != http.StatusNotFound {
		t.Errorf("unknown job: %d", r.Status)
	}
}

func TestGenerateKeysCSV(t *testing.T) {
	t.Parallel()
	w := newBulkWorld(t, true)
	c := w.env.As("support")

	r := c.Get("/luarmor/keys/generate?project=" + w.project.ID)
	if r.Status != http.StatusOK || r.Doc.Find("select[name=project] option[selected]").AttrOr("value", "") != w.project.ID {
		t.Fatalf("form: %d, project preselected %q", r.Status, r.Doc.Find("select[name=project] option[selected]").AttrOr("value", ""))
	}
	bad := []struct {
		form  url.Values
		field string
	}{
		{url.Values{"project": {w.project.ID}, "count": {"0"}, "reason": {"x"}}, "count"},
		{url.Values{"project": {w.project.ID}, "count": {"5000"}, "reason": {"x"}}, "count"},
		{url.Values{"project": {w.project.ID}, "count": {"5"}}, "reason"},
		{url.Values{"project": {w.project.ID}, "count": {"5"}, "key_days": {"0"}, "reason": {"x"}}, "key_days"},
		{url.Values{"project": {w.project.ID}, "count": {"5"}, "key_days": {"3"}, "expires": {"2030-01-01"}, "reason": {"x"}}, "expires"},
		{url.Values{"project": {"ffffffffffffffffffffff"}, "count": {"5"}, "reason": {"x"}}, "project"},
	}
	for _, b := range bad {
		r := c.PostForm("/luarmor/keys/generate", b.form)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%v: status %d", b.form, r.Status)
			continue
		}
		if !r.Has(fmt.Sprintf("[name=%s][aria-invalid=true]", b.field)) {
			t.Errorf("%v: field %s not marked: %s", b.form, b.field, r.Text(".field-error"))
		}
	}

	id := w.jobOf(c.PostForm("/luarmor/keys/generate", url.Values{"project": {w.project.ID}, "count": {"25"},
		"key_days": {"30"}, "note": {"=reseller 7"}, "reason": {"order 7"}}))
	if j := w.wait(id); j.OK != 25 {
		t.Fatalf("job: %+v", j)
	}
	res := c.Get(fmt.Sprintf("/luarmor/jobs/%d/results.csv", id))
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type %q", ct)
	}
	recs := bulkReadCSV(t, res.Body)
	if len(recs) != 26 || !cmp.Equal(recs[0], []string{"user_key", "note", "key_days", "auth_expire"}) {
		t.Fatalf("csv: %d lines, header %v", len(recs), recs[0])
	}
	seen := map[string]bool{}
	for _, rec := range recs[1:] {
		if diff := cmp.Diff([]string{"'=reseller 7", "30", ""}, rec[1:]); diff != "" {
			t.Errorf("row %v: %s", rec, diff)
		}
		k, err := w.env.Licensing.GetKey(context.Background(), w.project.ID, rec[0])
		if err != nil || len(rec[0]) != licensing.UserKeyLen || seen[rec[0]] {
			t.Errorf("key %q: %v", rec[0], err)
		}
		seen[rec[0]] = true
		if w.env.AuditCount("license_key.generate", strconv.FormatInt(k.ID, 10)) != 1 {
			t.Errorf("key %s not audited", rec[0])
		}
	}
	// The page lists them too.
	r = c.Get(fmt.Sprintf("/luarmor/jobs/%d", id))
	if n := r.Doc.Find("[data-testid=result-row]").Length(); n != 25 {
		t.Errorf("page lists %d keys", n)
	}
}

// bulkUpload posts a multipart import form.
func bulkUpload(c *servertest.Client, fields map[string]string, name string, content []byte) *servertest.Response {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	_ = mw.WriteField("csrf", c.CSRF)
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		_, _ = fw.Write(content)
	}
	_ = mw.Close()
	return c.Do(http.MethodPost, "/luarmor/keys/import", &body, http.Header{"Content-Type": {mw.FormDataContentType()}})
}

func TestImportCSVPerRowResults(t *testing.T) {
	t.Parallel()
	w := newBulkWorld(t, true)
	c := w.env.As("support")
	c.Get("/luarmor/keys/import?project=" + w.project.ID)
	existing := w.keys(1, licensing.KeyInput{})[0]

	file := "\ufeffuser_key,identifier,discord_id,note,key_days,auth_expire,status\n" +
		"imported-0001,,,moved,30,,active\n" + // 2: ok
		",hwid-77,123456789012345678,bound,,2099-01-01,reset\n" + // 3: ok
		",,,,abc,,\n" + // 4: key_days
		existing.UserKey + ",,,,,,\n" + // 5: duplicate
		",,12ab,,,,\n" + // 6: discord id
		",,,two fields\n" + // 7: field count
		",,,lifetime,,-1,\n" // 8: ok
	fields := map[string]string{"project": w.project.ID, "reason": "migration from old panel"}
	id := w.jobOf(bulkUpload(c, fields, "keys.csv", []byte(file)))
	j := w.wait(id)
	if j.Total != 7 || j.OK != 3 || j.Failed != 4 {
		t.Fatalf("job: %+v", j)
	}
	res := c.Get(fmt.Sprintf("/luarmor/jobs/%d/results.csv", id))
	recs := bulkReadCSV(t, res.Body)
	type row struct{ Line, Key, OK, Message string }
	var got []row
	for _, rec := range recs[1:] {
		key := rec[1]
		if rec[2] == "true" && rec[1] != "imported-0001" {
			key = "(generated)"
		}
		got = append(got, row{rec[0], key, rec[2], rec[3]})
	}
	want := []row{
		{"2", "imported-0001", "true", "Created"},
		{"3", "(generated)", "true", "Created"},
		{"4", "", "false", "key_days must be a whole number of days."},
		{"5", existing.UserKey, "false", "user_key is already used by another key."},
		{"6", "", "false", "discord_id must be a Discord user ID (digits only)."},
		{"7", "", "false", "Has 4 fields; the header has 7."},
		{"8", "(generated)", "true", "Created"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("import results (-want +got):\n%s", diff)
	}
	k, err := w.env.Licensing.GetKey(context.Background(), w.project.ID, "imported-0001")
	if err != nil || k.Note != "moved" || k.KeyDays == nil || *k.KeyDays != 30 {
		t.Errorf("imported key: %+v %v", k, err)
	}
	if w.env.AuditCount("license_key.import", strconv.FormatInt(k.ID, 10)) != 1 {
		t.Error("import not audited")
	}
	// The page shows line numbers.
	r := c.Get(fmt.Sprintf("/luarmor/jobs/%d?failed=1", id))
	if n := r.Doc.Find("[data-testid=result-row]").Length(); n != 4 {
		t.Errorf("failed rows on the page: %d", n)
	}
}

func TestImportRefusesBadFiles(t *testing.T) {
	t.Parallel()
	w := newBulkWorld(t, false)
	c := w.env.As("support")
	c.Get("/luarmor/keys/import")
	fields := map[string]string{"project": w.project.ID, "reason": "x"}
	big := bytes.Repeat([]byte("a,b\n"), (3<<20)/4+10)
	cases := []struct {
		name    string
		content []byte
		want    string
	}{
		{"", nil, "Choose a CSV file to import."},
		{"keys.csv", []byte{}, "The file is empty."},
		{"keys.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "This is not a CSV text file (it is binary or not UTF-8)."},
		{"keys.csv", []byte("hwid,serial\nx,y\n"), `The header has an unknown column "hwid". The columns are: user_key, identifier, discord_id, note, key_days, auth_expire.`},
		{"keys.csv", []byte("note\n\"unterminated\n"), "The file is not valid CSV: line 2: extraneous or missing \" in quoted-field."},
		{"keys.csv", []byte("note,note\nx,y\n"), "The header names the column note twice."},
		{"keys.csv", []byte("note\n"), "The file has a header but no data rows."},
		{"keys.csv", append([]byte("note,key_days\n"), big...), "The file is larger than 3 MB. Split it into smaller files."},
	}
	for _, tc := range cases {
		r := bulkUpload(c, fields, tc.name, tc.content)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s %.20q: status %d", tc.name, tc.content, r.Status)
			continue
		}
		if got := r.Text("[data-testid=file-error]"); got != tc.want {
			t.Errorf("%.20q: message %q, want %q", tc.content, got, tc.want)
		}
	}
	var n int
	_ = w.env.DB.Pool.QueryRow(context.Background(), "SELECT count(*) FROM bulk_jobs").Scan(&n)
	if n != 0 {
		t.Errorf("%d jobs queued from bad files", n)
	}
}

func TestExportCSVFiltersAndPages(t *testing.T) {
	t.Parallel()
	w := newBulkWorld(t, false)
	ctx := context.Background()
	// More than one page of the export's keyset walk.
	bulk := make([]licensing.BulkKey, 2100)
	base := time.Now().Add(-time.Hour).UTC()
	for i := range bulk {
		bulk[i] = licensing.BulkKey{Note: "seeded", CreatedAt: base.Add(time.Duration(i) * time.Millisecond)}
	}
	if _, err := w.env.Licensing.BulkLoadKeys(ctx, bulkCLI, w.project.ID, bulk); err != nil {
		t.Fatal(err)
	}
	formula := w.keys(1, licensing.KeyInput{Note: "=HYPERLINK(\"x\")", DiscordID: "42"})[0]
	banned := w.keys(1, licensing.KeyInput{Identifier: "hwid-b"})[0]
	if _, err := w.env.Licensing.Blacklist(ctx, bulkCLI, w.project.ID, banned.UserKey, licensing.BlacklistInput{BanReason: "+cheat"}); err != nil {
		t.Fatal(err)
	}
	c := w.env.As("viewer")

	r := c.Get("/luarmor/keys/export.csv?project=" + w.project.ID)
	if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %q", r.Status, r.Header.Get("Content-Disposition"))
	}
	recs := bulkReadCSV(t, r.Body)
	if len(recs) != 1+2102 {
		t.Fatalf("%d lines, want header + 2102", len(recs))
	}
	header := recs[0]
	col := func(rec []string, name string) string {
		for i, h := range header {
			if h == name {
				return rec[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	ids := map[string]bool{}
	for _, rec := range recs[1:] {
		ids[col(rec, "id")] = true
	}
	if len(ids) != 2102 {
		t.Errorf("%d distinct keys in the export", len(ids))
	}
	// Newest first: the banned key, then the formula one.
	if col(recs[1], "user_key") != banned.UserKey || col(recs[1], "ban_reason") != "'+cheat" || col(recs[1], "banned") != "true" {
		t.Errorf("first row %v", recs[1])
	}
	if col(recs[2], "note") != `'=HYPERLINK("x")` || col(recs[2], "discord_id") != "42" {
		t.Errorf("formula guard: %v", recs[2])
	}

	// The list's filters.
	for _, tc := range []struct {
		query string
		want  []string
	}{
		// The console's status filter agrees with the Blacklisted filter: the
		// banned key (HWID linked, so "active" in the spec) is Blacklisted.
		{"&status=active", nil},
		{"&status=banned", []string{banned.UserKey}},
		{"&banned=yes", []string{banned.UserKey}},
		{"&discord=yes", []string{formula.UserKey}},
		{"&q=HYPERLINK", []string{formula.UserKey}},
	} {
		r := c.Get("/luarmor/keys/export.csv?project=" + w.project.ID + tc.query)
		recs := bulkReadCSV(t, r.Body)
		var got []string
		for _, rec := range recs[1:] {
			got = append(got, col(rec, "user_key"))
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.query, diff)
		}
	}
	// A filter the export cannot read exports nothing, and says so without
	// the list's "showing all".
	if r := c.Get("/luarmor/keys/export.csv?status=weird"); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "Nothing was exported: Status is Active, Reset or Blacklisted. Fix the filter") || strings.Contains(r.Body, "showing") {
		t.Errorf("bad filter: %d %q", r.Status, r.Text("main"))
	}
	if r := c.Get("/luarmor/keys/export.csv?project=ffffffffffffffffffffff"); r.Status != http.StatusNotFound {
		t.Errorf("unknown project: %d", r.Status)
	}
	// One audit row per export made (the full one and the five filtered);
	// refused exports write nothing.
	if n := w.env.AuditCount("license_key.export", ""); n != 6 {
		t.Errorf("%d export audit rows, want 6", n)
	}
}

func TestSupportSignals(t *testing.T) {
	t.Parallel()
	w := newBulkWorld(t, false)
	ctx := context.Background()
	hot := w.keys(1, licensing.KeyInput{Identifier: "hwid-hot"})[0]
	for i := range 3 {
		if _, err := w.env.Licensing.ResetHWID(ctx, bulkCLI, w.project.ID, hot.UserKey, licensing.ResetOpts{Force: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.env.Licensing.UpdateKey(ctx, bulkCLI, w.project.ID, hot.UserKey, licensing.KeyPatch{Identifier: bulkPtr(fmt.Sprintf("hwid-hot-%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	shared := w.keys(3, licensing.KeyInput{Identifier: "hwid-shared"})
	c := w.env.As("viewer")

	r := c.Get("/luarmor/signals")
	if r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
	rows := r.Doc.Find("[data-testid=reset-row]")
	if rows.Length() != 1 || rows.AttrOr("data-href", "") != fmt.Sprintf("/luarmor/keys/%d", hot.ID) ||
		strings.TrimSpace(rows.Find("[data-testid=reset-count]").Text()) != "3" {
		t.Errorf("resets: %d rows, href %q, count %q", rows.Length(), rows.AttrOr("data-href", ""), rows.Find("[data-testid=reset-count]").Text())
	}
	sh := r.Doc.Find("[data-testid=shared-row]")
	if sh.Length() != 1 || strings.TrimSpace(sh.Find("[data-testid=shared-count]").Text()) != "3" {
		t.Fatalf("shared: %d rows %q", sh.Length(), sh.Text())
	}
	var links []string
	sh.Find("[data-testid=shared-key]").Each(func(_ int, s *goquery.Selection) { links = append(links, s.AttrOr("href", "")) })
	var want []string
	for _, k := range shared {
		want = append(want, fmt.Sprintf("/luarmor/keys/%d", k.ID))
	}
	if diff := cmp.Diff(want, links); diff != "" {
		t.Errorf("shared key links (-want +got):\n%s", diff)
	}
	if got := sh.Find("a").First().AttrOr("href", ""); got != "/luarmor/projects/"+w.project.ID+"/keys?q=hwid-shared" {
		t.Errorf("HWID link %q", got)
	}
	// Per project, and an unknown project.
	if r := c.Get("/luarmor/signals?project=" + w.project.ID); r.Doc.Find("[data-testid=shared-row]").Length() != 1 {
		t.Error("project filter lost the shared HWID")
	}
	if r := c.Get("/luarmor/signals?project=nope"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown project: %d", r.Status)
	}
}

func TestAccountLuarmorTab(t *testing.T) {
	t.Parallel()
	w := newBulkWorld(t, false)
	w.keys(4, licensing.KeyInput{})
	c := w.env.As("support")
	acc := strconv.FormatInt(w.account, 10)

	// The account page renders the projects in its Luarmor tab.
	r := c.Get("/accounts/" + acc + "?tab=luarmor")
	rows := r.Doc.Find("[data-testid=tab-luarmor] [data-testid=account-project]")
	if rows.Length() != 1 || strings.TrimSpace(rows.Find("[data-testid=project-keys]").Text()) != "4" {
		t.Fatalf("account page tab: %d rows %q", rows.Length(), r.Text("[data-testid=tab-luarmor]"))
	}
	if href := rows.Find("a.btn").First().AttrOr("href", ""); href != "/luarmor/projects/"+w.project.ID+"/keys" {
		t.Errorf("keys link %q", href)
	}
	// An account without projects says so.
	var other int64
	if err := w.env.DB.Pool.QueryRow(context.Background(), "INSERT INTO accounts (name, email) VALUES ('Empty', 'empty@test.local') RETURNING id").Scan(&other); err != nil {
		t.Fatal(err)
	}
	if r := c.Get(fmt.Sprintf("/accounts/%d?tab=luarmor", other)); !strings.Contains(r.Text("[data-testid=tab-luarmor]"), "No Luarmor projects yet") {
		t.Errorf("empty tab: %q", r.Text("[data-testid=tab-luarmor]"))
	}

	// The same as a fragment (htmx) and as a page of its own.
	r = c.HTMX(http.MethodGet, "/luarmor/accounts/"+acc+"/projects", nil)
	rows = r.Doc.Find("[data-testid=account-project]")
	if rows.Length() != 1 || strings.TrimSpace(rows.Find("[data-testid=project-keys]").Text()) != "4" ||
		rows.AttrOr("data-href", "") != "/luarmor/projects/"+w.project.ID {
		t.Errorf("projects: %d rows %q", rows.Length(), rows.Text())
	}
	if r.Has("html body nav") {
		t.Error("the fragment is a full page")
	}
	// Without htmx it is a page of its own.
	r = c.Get("/luarmor/accounts/" + acc + "/projects")
	if r.Status != http.StatusOK || r.Doc.Find("[data-testid=account-project]").Length() != 1 {
		t.Errorf("page: %d", r.Status)
	}
	if r := c.Get("/luarmor/accounts/999999/projects"); r.Status != http.StatusNotFound {
		t.Errorf("unknown account: %d", r.Status)
	}
}

func bulkPtr[T any](v T) *T { return &v }
