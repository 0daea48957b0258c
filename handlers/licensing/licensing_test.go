package licensing_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
	view "lumdesk/views/pages/licensing"
)

// licdFixture is an account with a project, a script and keys.
type licdFixture struct {
	env     *servertest.Env
	account accounts.Account
	project licensing.Project
	script  licensing.Script
}

var licdCLI = audit.CLI("test")

func licdSetup(t *testing.T) *licdFixture {
	t.Helper()
	env := servertest.New(t)
	ctx := context.Background()
	acc, err := env.Accounts.Create(ctx, licdCLI, accounts.CreateInput{Name: "Nightfall Studios", Email: "ops@nightfall.gg"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.Licensing.CreateProject(ctx, licdCLI, licensing.ProjectInput{AccountID: acc.ID, Name: "Nightfall Hub",
		ResetCooldown: 24 * time.Hour, UsersCanReset: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := env.Licensing.CreateScript(ctx, licdCLI, p.ID, licensing.ScriptInput{Name: "Autofarm"})
	if err != nil {
		t.Fatal(err)
	}
	return &licdFixture{env: env, account: acc, project: p, script: s}
}

func (f *licdFixture) key(t *testing.T, in licensing.KeyInput) licensing.Key {
	t.Helper()
	k, err := f.env.Licensing.CreateKey(context.Background(), licdCLI, f.project.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func licdKeyPath(k licensing.Key, suffix string) string {
	return "/luarmor/keys/" + strconv.FormatInt(k.ID, 10) + suffix
}

// licdReason is the reason of the newest audit row of action on entity.
func licdReason(t *testing.T, env *servertest.Env, action, entityID string) string {
	t.Helper()
	var reason string
	err := env.DB.Pool.QueryRow(context.Background(),
		"SELECT reason FROM audit_events WHERE action = $1 AND entity_id = $2 ORDER BY id DESC LIMIT 1", action, entityID).Scan(&reason)
	if err != nil {
		t.Fatalf("audit row %s %s: %v", action, entityID, err)
	}
	return reason
}

// licdRowIDs are the key ids of the list's rows, in order.
func licdRowIDs(r *servertest.Response) []string {
	var out []string
	r.Doc.Find(`[data-testid="key-row"]`).Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-id", ""))
	})
	return out
}

func licdID(k licensing.Key) string { return strconv.FormatInt(k.ID, 10) }

func TestLicensingProjectsPages(t *testing.T) {
	t.Parallel()
	f := licdSetup(t)
	env := f.env
	support := env.As("support")

	r := support.Get("/luarmor")
	if r.Status != http.StatusOK || !r.Has(`[data-testid="project-row"][data-id="`+f.project.ID+`"]`) {
		t.Fatalf("/luarmor: %d\n%s", r.Status, r.Text("main"))
	}
	if got := r.Text(`[data-testid="project-row"] [data-testid="project-keys"]`); got != "0" {
		t.Errorf("key count %q, want 0", got)
	}
	if r := support.Get("/luarmor?q=nomatch"); r.Status != http.StatusOK || r.Has(`[data-testid="project-row"]`) {
		t.Errorf("search nomatch: %d rows", r.Doc.Find(`[data-testid="project-row"]`).Length())
	}
	if r := support.Get("/luarmor?q=" + f.project.ID); !r.Has(`[data-testid="project-row"][data-id="` + f.project.ID + `"]`) {
		t.Error("search by project id finds nothing")
	}
	if r := support.Get("/luarmor?account=abc"); r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="filter-errors"]`) {
		t.Errorf("bad account filter: %d", r.Status)
	}
	if r := support.Get("/luarmor?before=garbage"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad cursor: %d", r.Status)
	}

	// New project through the form: unknown account and a missing reason are form errors.
	r = support.PostForm("/luarmor/projects", url.Values{"account": {"nobody@example.com"}, "name": {"X"}, "cooldown_hours": {"24"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="project-form"]`), "No account has that id or email") {
		t.Fatalf("unknown account: %d\n%s", r.Status, r.Text("main"))
	}
	r = support.PostForm("/luarmor/projects", url.Values{"account": {"ops@nightfall.gg"}, "name": {"Second"}, "cooldown_hours": {"-3"}, "reason": {"x"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="project-form"]`), "cooldown in hours") {
		t.Fatalf("bad cooldown: %d", r.Status)
	}
	r = support.PostForm("/luarmor/projects", url.Values{"account": {strconv.FormatInt(f.account.ID, 10)}, "name": {"Second"}, "cooldown_hours": {"1.5"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="project-form"]`), "Is required") {
		t.Fatalf("missing reason: %d\n%s", r.Status, r.Text(`[data-testid="project-form"]`))
	}
	r = support.PostForm("/luarmor/projects", url.Values{"account": {"ops@nightfall.gg"}, "name": {"Second"}, "cooldown_hours": {"1.5"},
		"users_can_reset": {"on"}, "reason": {"customer asked on Discord"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/luarmor/projects/") {
		t.Fatalf("create: %d %s\n%s", r.Status, r.Header.Get("Location"), r.Text("main"))
	}
	newID := strings.TrimPrefix(r.Header.Get("Location"), "/luarmor/projects/")
	p, err := env.Licensing.GetProject(context.Background(), newID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Second" || p.ResetCooldown != 90*time.Minute || !p.UsersCanReset || p.FFADefault {
		t.Errorf("created project %+v", p)
	}
	if got := licdReason(t, env, "licensing_project.create", newID); got != "customer asked on Discord" {
		t.Errorf("audit reason %q", got)
	}

	// Project page: facts, scripts, settings form, history tab.
	r = support.Get("/luarmor/projects/" + f.project.ID)
	if r.Status != http.StatusOK || !r.Has(`[data-testid="settings-form"]`) || !r.Has(`[data-testid="script-row"][data-id="`+f.script.ID+`"]`) {
		t.Fatalf("project page: %d\n%s", r.Status, r.Text("main"))
	}
	if v, _ := r.Doc.Find(`[data-testid="settings-form"] input[name=cooldown_hours]`).Attr("value"); v != "24" {
		t.Errorf("cooldown field %q", v)
	}
	r = support.Get("/luarmor/projects/" + f.project.ID + "?tab=history")
	if got, _ := r.Doc.Find(`[data-testid="history-fragment"]`).Attr("hx-get"); got != "/history/licensing_project/"+f.project.ID {
		t.Errorf("history fragment %q", got)
	}

	// Settings: bad input re-renders with the message; a good save is audited.
	r = support.PostForm("/luarmor/projects/"+f.project.ID, url.Values{"name": {"Nightfall Hub"}, "cooldown_hours": {"abc"}, "reason": {"x"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="settings-form"]`), "cooldown in hours") {
		t.Fatalf("bad settings: %d", r.Status)
	}
	r = support.PostForm("/luarmor/projects/"+f.project.ID, url.Values{"name": {"Nightfall Hub"}, "cooldown_hours": {"48"}, "ffa_default": {"on"},
		"reason": {"longer cooldown requested"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save settings: %d\n%s", r.Status, r.Text("main"))
	}
	p, _ = env.Licensing.GetProject(context.Background(), f.project.ID)
	if p.ResetCooldown != 48*time.Hour || p.UsersCanReset || !p.FFADefault {
		t.Errorf("saved settings %+v", p)
	}
	if got := licdReason(t, env, "licensing_project.update", f.project.ID); got != "longer cooldown requested" {
		t.Errorf("audit reason %q", got)
	}

	for _, path := range []string{"/luarmor/projects/nope", "/luarmor/projects/nope/keys", "/luarmor/projects/nope/scripts/x",
		"/luarmor/projects/" + f.project.ID + "/scripts/nope"} {
		if r := support.Get(path); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, r.Status)
		}
	}
	if r := support.Get("/luarmor/projects"); r.Status != http.StatusFound || r.Header.Get("Location") != "/luarmor" {
		t.Errorf("/luarmor/projects: %d %s", r.Status, r.Header.Get("Location"))
	}
}

func TestLicensingScriptPages(t *testing.T) {
	t.Parallel()
	f := licdSetup(t)
	env := f.env
	support := env.As("support")
	sp := "/luarmor/projects/" + f.project.ID + "/scripts/" + f.script.ID

	r := support.Get(sp)
	if r.Status != http.StatusOK || !r.Has(`[data-testid="flags-form"]`) || r.Has(`[data-testid="code-view"]`) {
		t.Fatalf("script without source: %d", r.Status)
	}
	// Add a script through the project page form.
	r = support.PostForm("/luarmor/projects/"+f.project.ID+"/scripts", url.Values{"name": {"Aimbot"}, "ffa": {"on"}, "reason": {"new game"}})
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "?tab=upload") {
		t.Fatalf("create script: %d %s\n%s", r.Status, r.Header.Get("Location"), r.Text("main"))
	}
	if r := support.PostForm("/luarmor/projects/"+f.project.ID+"/scripts", url.Values{"name": {""}, "reason": {"x"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Text(`[data-testid="script-form"]`), "Is required") {
		t.Errorf("script without name: %d", r.Status)
	}

	// Two uploads through the form, then the code view, the versions and the diff.
	v1 := "local a = 1\nlocal b = 2\nprint(a)\nprint(b)\n"
	v2 := "local a = 1\nlocal b = 3\nprint(a)\nprint(b)\nprint(a + b)\n"
	if r := support.PostForm(sp+"/versions", url.Values{"script": {v1}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Text(`[data-testid="upload-form"]`), "Is required") {
		t.Fatalf("upload without reason: %d", r.Status)
	}
	if r := support.PostForm(sp+"/versions", url.Values{"script": {"  "}, "reason": {"x"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("empty upload: %d", r.Status)
	}
	for i, src := range []string{v1, strings.ReplaceAll(v2, "\n", "\r\n")} {
		r := support.PostForm(sp+"/versions", url.Values{"script": {src}, "reason": {fmt.Sprintf("release %d", i+1)}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("upload %d: %d\n%s", i+1, r.Status, r.Text("main"))
		}
	}
	if got := licdReason(t, env, "licensing_script.upload", f.script.ID); got != "release 2" {
		t.Errorf("upload audit reason %q", got)
	}
	r = support.Get(sp)
	var lines []string
	r.Doc.Find(`[data-testid="code-view"] tr`).Each(func(_ int, s *goquery.Selection) {
		lines = append(lines, strings.TrimSpace(s.Find("td").Eq(0).Text())+"|"+s.Find("td").Eq(1).Text())
	})
	want := []string{"1|local a = 1", "2|local b = 3", "3|print(a)", "4|print(b)", "5|print(a + b)"}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("code view of v2 (CRLF stored as LF) (-want +got):\n%s", d)
	}
	if r := support.Get(sp + "?v=1"); !strings.Contains(r.Text(`[data-testid="code-view"]`), "local b = 2") {
		t.Error("?v=1 does not show version 1")
	}
	r = support.Get(sp + "?tab=versions")
	if n := r.Doc.Find(`[data-testid="version-row"]`).Length(); n != 2 {
		t.Errorf("versions: %d rows", n)
	}
	r = support.Get(sp + "?tab=diff&from=1&to=2")
	if r.Status != http.StatusOK || !r.Has(`[data-testid="diff"]`) {
		t.Fatalf("diff: %d\n%s", r.Status, r.Text("main"))
	}
	var ops []string
	r.Doc.Find(`[data-testid="diff"] tr[data-op]`).Each(func(_ int, s *goquery.Selection) {
		ops = append(ops, s.AttrOr("data-op", "")+s.Find("td").Last().Text())
	})
	wantOps := []string{" local a = 1", "-local b = 2", "+local b = 3", " print(a)", " print(b)", "+print(a + b)"}
	if d := cmp.Diff(wantOps, ops); d != "" {
		t.Errorf("diff lines (-want +got):\n%s", d)
	}
	if h := r.Text(`[data-testid="diff-hunk"]`); h != "@@ -1,4 +1,5 @@" {
		t.Errorf("hunk header %q", h)
	}
	if r := support.Get(sp + "?tab=diff&from=2&to=2"); !r.Has(`[data-testid="diff-identical"]`) {
		t.Error("same version: no 'same source' note")
	}
	// The upload tab holds the flags form too: each reason field its own id,
	// so each label focuses its own input.
	r = support.Get(sp + "?tab=upload")
	ids := map[string]int{}
	r.Doc.Find("[id]").Each(func(_ int, s *goquery.Selection) { ids[s.AttrOr("id", "")]++ })
	for id, n := range ids {
		if n > 1 {
			t.Errorf("upload tab: id %q on %d elements", id, n)
		}
	}
	if r.Doc.Find(`label[for="f-flags-reason"]`).Length() != 1 || r.Doc.Find(`label[for="f-reason"]`).Length() != 1 {
		t.Error("upload tab: a reason label without its own input")
	}
	// A file wins over the textarea, as in the portal (one handler serves both).
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("script", "ignored")
	_ = w.WriteField("reason", "from a file")
	fw, _ := w.CreateFormFile("file", "main.lua")
	_, _ = fw.Write([]byte("print('from file')\r\n"))
	_ = w.Close()
	if r := support.Do(http.MethodPost, sp+"/versions", &body, http.Header{"Content-Type": {w.FormDataContentType()}}); r.Status != http.StatusSeeOther {
		t.Fatalf("file upload: %d\n%s", r.Status, r.Text("main"))
	}
	if v, err := env.Licensing.ScriptVersion(context.Background(), f.project.ID, f.script.ID, 0); err != nil || v.Version != 3 || v.Source != "print('from file')\n" {
		t.Errorf("after the file upload: v%d %q %v", v.Version, v.Source, err)
	}
	for path, status := range map[string]int{
		sp + "?v=9": http.StatusNotFound, sp + "?v=abc": http.StatusNotFound, sp + "?tab=nope": http.StatusNotFound,
		sp + "?tab=diff&from=abc&to=2": http.StatusUnprocessableEntity, sp + "?tab=diff&from=1&to=99": http.StatusUnprocessableEntity,
	} {
		if r := support.Get(path); r.Status != status {
			t.Errorf("GET %s: %d, want %d", path, r.Status, status)
		}
	}

	// Flags, audited with the reason.
	r = support.PostForm(sp, url.Values{"silent": {"on"}, "lightning": {"on"}, "reason": {"faster loader"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("flags: %d\n%s", r.Status, r.Text("main"))
	}
	s, _ := env.Licensing.GetScript(context.Background(), f.project.ID, f.script.ID)
	if !s.Silent || s.FFA || s.Heartbeat || !s.Lightning {
		t.Errorf("flags %+v", s)
	}
	if got := licdReason(t, env, "licensing_script.update", f.script.ID); got != "faster loader" {
		t.Errorf("flags audit reason %q", got)
	}
	if r := support.PostForm(sp, url.Values{"silent": {"on"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("flags without reason: %d", r.Status)
	}
	viewer := env.As("viewer")
	if r := viewer.Get(sp); r.Status != http.StatusOK || r.Has(`[data-testid="save-flags"]`) || r.Has(`[data-testid="upload-link"]`) {
		t.Errorf("viewer sees script actions (status %d)", r.Status)
	}
}

func TestLicensingKeyLists(t *testing.T) {
	t.Parallel()
	f := licdSetup(t)
	env := f.env
	ctx := context.Background()
	days := 30
	soon := time.Now().Add(5 * 24 * time.Hour).UTC()
	later := time.Now().Add(60 * 24 * time.Hour).UTC()
	kDiscord := f.key(t, licensing.KeyInput{DiscordID: "284019375561932801", Note: "Nightfall owner", KeyDays: &days})
	kHWID := f.key(t, licensing.KeyInput{Identifier: "HWID-AAAA-1111", Note: "reseller batch", AuthExpire: &licensing.Expiry{At: soon}})
	kLater := f.key(t, licensing.KeyInput{Identifier: "HWID-BBBB-2222", AuthExpire: &licensing.Expiry{At: later}})
	kBanned := f.key(t, licensing.KeyInput{Note: "chargeback"})
	if _, err := env.Licensing.Blacklist(ctx, licdCLI, f.project.ID, kBanned.UserKey, licensing.BlacklistInput{BanReason: "chargeback"}); err != nil {
		t.Fatal(err)
	}
	kPlain := f.key(t, licensing.KeyInput{})
	if _, err := env.Licensing.Check(ctx, licensing.CheckInput{ProjectID: f.project.ID, ScriptID: f.script.ID, ScriptKey: kHWID.UserKey, HWID: "HWID-AAAA-1111"}); err != nil {
		t.Fatal(err)
	}
	if err := env.Licensing.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	viewer := env.As("viewer")
	base := "/luarmor/projects/" + f.project.ID + "/keys"
	newestFirst := []string{licdID(kPlain), licdID(kBanned), licdID(kLater), licdID(kHWID), licdID(kDiscord)}

	r := viewer.Get(base)
	if r.Status != http.StatusOK {
		t.Fatalf("%s: %d\n%s", base, r.Status, r.Text("main"))
	}
	if d := cmp.Diff(newestFirst, licdRowIDs(r)); d != "" {
		t.Errorf("project list (-want +got):\n%s", d)
	}
	if r := viewer.Get("/luarmor/keys"); cmp.Diff(newestFirst, licdRowIDs(r)) != "" || !r.Has(`th[data-col="project"]`) {
		t.Errorf("all keys: %v", licdRowIDs(r))
	}
	// The viewer gets no bulk bar or checkboxes; support does.
	if r.Has(`[data-testid="bulk-bar"]`) || r.Has(`input[name=ids]`) {
		t.Error("viewer sees bulk actions")
	}

	cases := []struct {
		query string
		want  []string
	}{
		{"status=active", []string{licdID(kLater), licdID(kHWID)}},
		{"status=reset", []string{licdID(kPlain), licdID(kDiscord)}},
		{"status=banned", []string{licdID(kBanned)}},
		{"banned=yes", []string{licdID(kBanned)}},
		{"banned=no&status=reset", []string{licdID(kPlain), licdID(kDiscord)}},
		{"discord=yes", []string{licdID(kDiscord)}},
		{"discord=no&status=active", []string{licdID(kLater), licdID(kHWID)}},
		{"never_used=no", []string{licdID(kHWID)}},
		{"never_used=yes&status=active", []string{licdID(kLater)}},
		{"expired=no&status=banned", []string{licdID(kBanned)}},
		{"q=284019375561932801", []string{licdID(kDiscord)}},
		{"q=" + kHWID.UserKey[:10], []string{licdID(kHWID)}},
		{"q=hwid-bbbb", []string{licdID(kLater)}},
		{"q=reseller", []string{licdID(kHWID)}},
		{"q=100%25", nil},
		{"exp_from=" + soon.Format("2006-01-02") + "&exp_to=" + soon.Format("2006-01-02"), []string{licdID(kHWID)}},
		{"exp_from=" + soon.AddDate(0, 0, 1).Format("2006-01-02"), []string{licdID(kLater)}},
		{"sort=expires", []string{licdID(kHWID), licdID(kLater), licdID(kDiscord), licdID(kBanned), licdID(kPlain)}},
		{"sort=created", []string{licdID(kDiscord), licdID(kHWID), licdID(kLater), licdID(kBanned), licdID(kPlain)}},
		{"sort=-last_used&status=active", []string{licdID(kHWID), licdID(kLater)}},
	}
	for _, c := range cases {
		r := viewer.Get(base + "?" + c.query)
		if r.Status != http.StatusOK {
			t.Errorf("?%s: status %d\n%s", c.query, r.Status, r.Text(`[data-testid="filter-errors"]`))
			continue
		}
		if d := cmp.Diff(c.want, licdRowIDs(r)); d != "" {
			t.Errorf("?%s (-want +got):\n%s", c.query, d)
		}
	}
	if r := viewer.Get(base + "?q=nomatch"); !r.Has(`[data-testid="empty-filtered"]`) {
		t.Error("no empty state for a search without match")
	}

	// Keyset paging, two at a time: forward with Next, back with Previous.
	var seen []string
	next := base + "?limit=2"
	var pages []string
	for i := 0; next != "" && i < 5; i++ {
		r := viewer.Get(next)
		if r.Status != http.StatusOK {
			t.Fatalf("page %d: %d", i, r.Status)
		}
		pages = append(pages, next)
		seen = append(seen, licdRowIDs(r)...)
		next, _ = r.Doc.Find(`[data-testid="pager"] a[rel=next]`).Attr("href")
		if i == 0 && r.Has(`[data-testid="pager"] a[rel=prev]`) {
			t.Error("first page has a Previous link")
		}
	}
	if d := cmp.Diff(newestFirst, seen); d != "" {
		t.Errorf("paging forward (-want +got):\n%s", d)
	}
	r = viewer.Get(pages[2])
	prev, ok := r.Doc.Find(`[data-testid="pager"] a[rel=prev]`).Attr("href")
	if !ok {
		t.Fatal("last page has no Previous link")
	}
	r = viewer.Get(prev)
	if d := cmp.Diff(newestFirst[2:4], licdRowIDs(r)); d != "" {
		t.Errorf("Previous (-want +got):\n%s", d)
	}
	prev, _ = r.Doc.Find(`[data-testid="pager"] a[rel=prev]`).Attr("href")
	r = viewer.Get(prev)
	if d := cmp.Diff(newestFirst[:2], licdRowIDs(r)); d != "" || r.Has(`[data-testid="pager"] a[rel=prev]`) {
		t.Errorf("Previous to the first page (-want +got):\n%s", d)
	}

	// Column chooser: the URL says which columns show, in the table's order.
	r = viewer.Get(base + "?cols=note,key,discord")
	var cols []string
	r.Doc.Find(`thead th[data-col]`).Each(func(_ int, s *goquery.Selection) { cols = append(cols, s.AttrOr("data-col", "")) })
	if d := cmp.Diff([]string{"key", "discord", "note"}, cols); d != "" {
		t.Errorf("columns (-want +got):\n%s", d)
	}
	if !strings.Contains(r.Text(`[data-testid="key-row"][data-id="`+licdID(kDiscord)+`"] [data-testid="key-note"]`), "Nightfall owner") {
		t.Error("note column is empty")
	}
	if next, _ := viewer.Get(base + "?cols=note,discord&limit=2").Doc.Find(`[data-testid="pager"] a[rel=next]`).Attr("href"); !strings.Contains(next, "cols=key%2Cdiscord%2Cnote") {
		t.Errorf("Next link loses the columns: %s", next)
	}
	// Repeated cols (the chooser's checkboxes) work too.
	if r := viewer.Get(base + "?cols=key&cols=hwid"); r.Doc.Find(`thead th[data-col]`).Length() != 2 || !r.Has(`th[data-col="hwid"]`) {
		t.Error("repeated cols not read")
	}
	// A sort shows its column in the default set; unticking it in the
	// chooser sticks, though what is left is the plain default set.
	lastUsedCol := `thead th:contains("Last used")`
	if viewer.Get(base).Has(lastUsedCol) || !viewer.Get(base+"?sort=-last_used").Has(lastUsedCol) {
		t.Error("the Last used column is not shown exactly when the list is sorted by it")
	}
	unticked := viewer.Get(base + "?sort=-last_used&limit=2&cols=" + strings.Join(view.DefaultColumns, ","))
	if unticked.Has(lastUsedCol) {
		t.Error("sorted by last use with the column unticked, it shows anyway")
	}
	if next, _ := unticked.Doc.Find(`[data-testid="pager"] a[rel=next]`).Attr("href"); !strings.Contains(next, "cols=") {
		t.Errorf("Next link of the unticked list drops its columns: %s", next)
	}

	// Bad filters: the page says what it ignored (422), never a 500.
	for _, q := range []string{"status=weird", "banned=maybe", "exp_from=garbage", "exp_from=2030-01-02&exp_to=2030-01-01", "after=garbage",
		"sort=bogus", "limit=0", "limit=99999", "cols=key,bogus", "q=" + strings.Repeat("x", 101), "q=a%01b"} {
		r := viewer.Get(base + "?" + q)
		if r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="filter-errors"]`) {
			t.Errorf("?%s: %d, want 422 with a message", q, r.Status)
		}
	}
	if r := viewer.Get(base + "?before=%00"); r.Status != http.StatusBadRequest {
		t.Errorf("?before=%%00: %d, want 400 from the input guard", r.Status)
	}
	for _, q := range []string{"project=deadbeef", "project=a%20b", "project=" + strings.Repeat("a", 65)} {
		if r := viewer.Get("/luarmor/keys?" + q); r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="filter-errors"]`) {
			t.Errorf("/luarmor/keys?%s: %d, want 422", q, r.Status)
		}
	}
	if r := viewer.Get("/luarmor/keys?project=" + f.project.ID + "&status=banned"); cmp.Diff([]string{licdID(kBanned)}, licdRowIDs(r)) != "" {
		t.Errorf("project filter: %v", licdRowIDs(r))
	}

	// htmx: the filter bar gets the results fragment (200 even for a bad filter).
	h := viewer.HTMX("GET", base+"?status=banned", nil)
	if h.Status != http.StatusOK || cmp.Diff([]string{licdID(kBanned)}, licdRowIDs(h)) != "" {
		t.Errorf("htmx list: %d %v", h.Status, licdRowIDs(h))
	}

	// Support: bulk bar posting ids to the bulk endpoint, and the bulk pages' links.
	support := env.As("support")
	r = support.Get(base + "?status=reset")
	if action, _ := r.Doc.Find(`form[data-testid="bulk-form"]`).Attr("action"); action != "/luarmor/keys/bulk" {
		t.Errorf("bulk form action %q", action)
	}
	var ids []string
	r.Doc.Find(`form[data-testid="bulk-form"] input[name=ids]`).Each(func(_ int, s *goquery.Selection) { ids = append(ids, s.AttrOr("value", "")) })
	if d := cmp.Diff([]string{licdID(kPlain), licdID(kDiscord)}, ids); d != "" {
		t.Errorf("bulk ids (-want +got):\n%s", d)
	}
	for _, a := range []string{"blacklist", "extend"} {
		if !r.Has(`[data-testid="bulk-bar"] button[name=action][value=` + a + `]`) {
			t.Errorf("no bulk %s button", a)
		}
	}
	if r.Has(`button[name=action][value=delete]`) {
		t.Error("support may not delete, yet sees bulk delete")
	}
	links := map[string]string{"generate-keys": "/luarmor/keys/generate?project=" + f.project.ID,
		"import-keys": "/luarmor/keys/import?project=" + f.project.ID, "export-keys": "/luarmor/keys/export.csv?project=" + f.project.ID + "&status=reset"}
	for id, want := range links {
		if got, _ := r.Doc.Find(`[data-testid="` + id + `"]`).Attr("href"); got != want {
			t.Errorf("%s href %q, want %q", id, got, want)
		}
	}

	// The sorts by last use put never-used keys last either way, so their
	// two directions are not each other's reverse: each page's Previous
	// must still be the page before it, across the end of the used keys.
	for _, k := range []licensing.Key{kLater, kDiscord} {
		if _, err := env.Licensing.Check(ctx, licensing.CheckInput{ProjectID: f.project.ID, ScriptID: f.script.ID, ScriptKey: k.UserKey, HWID: "HWID-BBBB-2222"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.Licensing.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	for _, sort := range []string{"last_used", "-last_used"} {
		var pages [][]string
		next := base + "?limit=2&sort=" + sort
		for i := 0; next != "" && i < 5; i++ {
			r := viewer.Get(next)
			if len(pages) > 0 {
				prev, ok := r.Doc.Find(`[data-testid="pager"] a[rel=prev]`).Attr("href")
				if !ok {
					t.Fatalf("%s, page %d: no Previous link", sort, i+1)
				}
				if d := cmp.Diff(pages[len(pages)-1], licdRowIDs(viewer.Get(prev))); d != "" {
					t.Errorf("%s, Previous from page %d (-want +got):\n%s", sort, i+1, d)
				}
			}
			pages = append(pages, licdRowIDs(r))
			next, _ = r.Doc.Find(`[data-testid="pager"] a[rel=next]`).Attr("href")
		}
		if len(pages) != 3 {
			t.Errorf("%s: %d pages of two for five keys", sort, len(pages))
		}
	}
}

func TestLicensingKeyPage(t *testing.T) {
	t.Parallel()
	f := licdSetup(t)
	env := f.env
	ctx := context.Background()
	k := f.key(t, licensing.KeyInput{Identifier: "HWID-AAAA-1111", DiscordID: "284019375561932801", Note: "Nightfall owner\nsecond line"})
	if _, err := env.Licensing.Check(ctx, licensing.CheckInput{ProjectID: f.project.ID, ScriptID: f.script.ID, ScriptKey: k.UserKey, HWID: "HWID-AAAA-1111"}); err != nil {
		t.Fatal(err)
	}
	if err := env.Licensing.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	support, viewer := env.As("support"), env.As("viewer")

	r := viewer.Get(licdKeyPath(k, ""))
	if r.Status != http.StatusOK {
		t.Fatalf("key page: %d\n%s", r.Status, r.Text("main"))
	}
	if v, _ := r.Doc.Find(`[data-testid="user-key"] input`).Attr("value"); v != k.UserKey {
		t.Errorf("user key %q", v)
	}
	facts := map[string]string{}
	r.Doc.Find(`[data-testid="key-header"] dl.desc-list > div`).Each(func(_ int, s *goquery.Selection) {
		facts[strings.TrimSpace(s.Find("dt").Text())] = strings.Join(strings.Fields(s.Find("dd").Text()), " ")
	})
	for name, want := range map[string]string{"Status": "Active", "HWID": "HWID-AAAA-1111", "Discord ID": "284019375561932801",
		"Executions": "1", "HWID resets": "0", "Expires": "Never", "Note": "Nightfall owner second line", "Project": "Nightfall Hub"} {
		if facts[name] != want {
			t.Errorf("fact %s = %q, want %q", name, facts[name], want)
		}
	}
	if n := r.Doc.Find(`[data-testid="executions-chart"] rect[data-bar]`).Length(); n != 30 {
		t.Errorf("chart has %d bars, want 30", n)
	}
	if r.Has(`[data-testid^="action-"]`) {
		t.Error("viewer sees key actions")
	}
	if !strings.Contains(r.Text(`[data-testid="cooldown-ends"]`), "Allowed now") {
		t.Errorf("cooldown: %q", r.Text(`[data-testid="cooldown"]`))
	}
	r = viewer.Get(licdKeyPath(k, "?tab=history"))
	if got, _ := r.Doc.Find(`[data-testid="history-fragment"]`).Attr("hx-get"); got != "/history/license_key/"+licdID(k) {
		t.Errorf("history fragment %q", got)
	}

	// "Why is this key refused?" runs the check as a dry run.
	r = viewer.Get(licdKeyPath(k, "/check?script="+f.script.ID+"&hwid=OTHER-PC"))
	if r.Status != http.StatusOK || r.Doc.Find(`[data-testid="check-result"]`).AttrOr("data-reason", "") != "hwid_mismatch" ||
		!strings.Contains(r.Text(`[data-testid="check-result"]`), "reset the HWID") {
		t.Fatalf("check: %d %q", r.Status, r.Text(`[data-testid="check-result"]`))
	}
	h := viewer.HTMX("GET", licdKeyPath(k, "/check?script="+f.script.ID+"&hwid=HWID-AAAA-1111"), nil)
	if h.Doc.Find(`[data-testid="check-result"]`).AttrOr("data-allowed", "") != "Yes" || h.Has("main") {
		t.Errorf("htmx check: %q", h.Body)
	}
	if r := viewer.Get(licdKeyPath(k, "/check?script=nope")); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("check with a bad script: %d", r.Status)
	}
	if r := viewer.Get(licdKeyPath(k, "/check?script="+f.script.ID+"&hwid=a%01b")); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("check with a bad HWID: %d", r.Status)
	}
	// The dry run counted nothing and bound nothing.
	if err := env.Licensing.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := env.Licensing.GetKeyByID(ctx, k.ID); got.TotalExecutions != 1 || got.Identifier != "HWID-AAAA-1111" {
		t.Errorf("dry run changed the key: %+v", got)
	}

	// The unban token shows only to staff who may blacklist.
	if _, err := env.Licensing.Blacklist(ctx, licdCLI, f.project.ID, k.UserKey, licensing.BlacklistInput{BanReason: "cheating"}); err != nil {
		t.Fatal(err)
	}
	banned, _ := env.Licensing.GetKeyByID(ctx, k.ID)
	if r := viewer.Get(licdKeyPath(k, "")); strings.Contains(r.Body, banned.UnbanToken) || !r.Has(`[data-testid="banned-notice"]`) {
		t.Error("viewer sees the unban token, or no ban notice")
	}
	if r := support.Get(licdKeyPath(k, "")); !strings.Contains(r.Body, banned.UnbanToken) {
		t.Error("support does not see the unban token")
	}

	for _, p := range []string{"/luarmor/keys/0", "/luarmor/keys/99999", "/luarmor/keys/abc", "/luarmor/keys/99999999999999999999",
		"/luarmor/keys/99999/check", "/luarmor/keys/-1"} {
		if r := viewer.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.Status)
		}
	}
}

func TestLicensingKeyActions(t *testing.T) {
	t.Parallel()
	f := licdSetup(t)
	env := f.env
	ctx := context.Background()
	k := f.key(t, licensing.KeyInput{Identifier: "HWID-AAAA-1111", Note: "first"})
	support, admin := env.As("support"), env.As("admin")
	id := licdID(k)
	post := func(c *servertest.Client, action string, form url.Values) *servertest.Response {
		t.Helper()
		return c.PostForm(licdKeyPath(k, "/"+action), form)
	}

	// Every action asks for a reason.
	for _, a := range []string{"reset-hwid", "link-discord", "unban", "edit"} {
		r := post(support, a, url.Values{"discord_id": {"1"}, "note": {"x"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="action-fields"]`), "Is required") {
			t.Errorf("%s without reason: %d %q", a, r.Status, r.Text(`[data-testid="action-fields"]`))
		}
	}

	// Reset HWID: done and audited; the second is on cooldown (422 with the end).
	r := post(support, "reset-hwid", url.Values{"reason": {"new PC"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != licdKeyPath(k, "") {
		t.Fatalf("reset: %d\n%s", r.Status, r.Text("main"))
	}
	if got := licdReason(t, env, "license_key.reset_hwid", id); got != "new PC" {
		t.Errorf("reset audit reason %q", got)
	}
	if _, err := env.Licensing.Check(ctx, licensing.CheckInput{ProjectID: f.project.ID, ScriptID: f.script.ID, ScriptKey: k.UserKey, HWID: "HWID-NEW"}); err != nil {
		t.Fatal(err)
	}
	r = post(support, "reset-hwid", url.Values{"reason": {"again"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="form-error"]`), "HWID reset is on cooldown until ") {
		t.Fatalf("second reset: %d %q", r.Status, r.Text(`[data-testid="form-error"]`))
	}
	if r := support.Get(licdKeyPath(k, "")); !strings.Contains(r.Text(`[data-testid="cooldown-ends"]`), "On cooldown until") {
		t.Errorf("key page cooldown: %q", r.Text(`[data-testid="cooldown-ends"]`))
	}
	// Force needs its own permission: support neither sees nor may use it.
	if r := support.Get(licdKeyPath(k, "/reset-hwid")); r.Status != http.StatusOK || r.Has(`input[name=force]`) {
		t.Errorf("support reset form: %d, force shown: %v", r.Status, r.Has(`input[name=force]`))
	}
	// A ticked Force box is sent on to the force route, which has its own permission.
	if r := post(support, "reset-hwid", url.Values{"reason": {"force it"}, "force": {"on"}}); r.Status != http.StatusTemporaryRedirect || r.Header.Get("Location") != licdKeyPath(k, "/reset-hwid/force") {
		t.Errorf("support force reset: %d to %q, want 307 to the force route", r.Status, r.Header.Get("Location"))
	}
	if r := post(support, "reset-hwid/force", url.Values{"reason": {"force it"}}); r.Status != http.StatusForbidden {
		t.Errorf("support force reset: %d, want 403", r.Status)
	}
	if r := admin.Get(licdKeyPath(k, "/reset-hwid")); !r.Has(`input[name=force]`) {
		t.Error("admin reset form has no force checkbox")
	}
	if r := post(admin, "reset-hwid/force", url.Values{"reason": {"vip, forced"}, "force": {"on"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("admin force reset: %d\n%s", r.Status, r.Text("main"))
	}
	if got := licdReason(t, env, "license_key.reset_hwid_force", id); got != "vip, forced" {
		t.Errorf("forced reset audit reason %q", got)
	}
	if r := post(admin, "reset-hwid/force", url.Values{"reason": {"no hwid now"}, "force": {"on"}}); r.Status != http.StatusConflict {
		t.Errorf("reset of a key without HWID: %d, want 409", r.Status)
	}

	// Link Discord, with force to overwrite.
	if r := post(support, "link-discord", url.Values{"discord_id": {"abc"}, "reason": {"x"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad discord id: %d", r.Status)
	}
	if r := post(support, "link-discord", url.Values{"discord_id": {"111"}, "reason": {"redeemed by ticket"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("link: %d\n%s", r.Status, r.Text("main"))
	}
	if r := post(support, "link-discord", url.Values{"discord_id": {"222"}, "reason": {"other"}}); r.Status != http.StatusConflict {
		t.Errorf("link over another id: %d, want 409", r.Status)
	}
	if r := post(support, "link-discord", url.Values{"discord_id": {"222"}, "force": {"on"}, "reason": {"account moved"}}); r.Status != http.StatusSeeOther {
		t.Errorf("forced link: %d", r.Status)
	}
	if got := licdReason(t, env, "license_key.link_discord", id); got != "account moved" {
		t.Errorf("link audit reason %q", got)
	}

	// Blacklist with a reason shown to the user and an end; then unban.
	// The form asks for one reason, the user's; an internal note alone is not enough.
	if r := post(support, "blacklist", url.Values{"reason": {"internal only"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Text(`#f-ban_reason-msg`), "reason the user will see") {
		t.Errorf("blacklist without the user's reason: %d %q", r.Status, r.Text(`#f-ban_reason-msg`))
	}
	if r := post(support, "blacklist", url.Values{"ban_reason": {"x"}, "ban_expire": {"garbage"}, "reason": {"x"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad ban expiry: %d", r.Status)
	}
	if r := post(support, "blacklist", url.Values{"ban_reason": {"x"}, "ban_expire": {"2001-01-01T00:00"}, "reason": {"x"}}); r.Status != http.StatusUnprocessableEntity ||
		r.Text(`#f-ban_expire-msg`) != "Must be in the future, or leave it empty for a ban without end." {
		t.Errorf("ban expiry in the past: %d %q", r.Status, r.Text(`#f-ban_expire-msg`))
	}
	end := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Minute)
	r = post(support, "blacklist", url.Values{"ban_reason": {"Sharing the key"}, "ban_expire": {end.Format("2006-01-02T15:04")}, "reason": {"ticket #77"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("blacklist: %d\n%s", r.Status, r.Text("main"))
	}
	got, _ := env.Licensing.GetKeyByID(ctx, k.ID)
	if !got.Banned || got.BanReason != "Sharing the key" || got.BanExpire == nil || !got.BanExpire.Equal(end) {
		t.Errorf("banned key %+v", got)
	}
	// The audit row keeps the reason the user sees, then the internal note.
	if got := licdReason(t, env, "license_key.blacklist", id); got != "Sharing the key · Internal note: ticket #77" {
		t.Errorf("blacklist audit reason %q", got)
	}
	if r := support.Get(licdKeyPath(k, "")); !strings.Contains(r.Text(`[data-testid="banned-notice"]`), "Sharing the key") || !r.Has(`[data-testid="action-unban"]`) {
		t.Errorf("banned key page: %q", r.Text(`[data-testid="banned-notice"]`))
	}
	if r := post(support, "unban", url.Values{"reason": {"appeal accepted"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("unban: %d", r.Status)
	}
	if got := licdReason(t, env, "license_key.unban", id); got != "appeal accepted" {
		t.Errorf("unban audit reason %q", got)
	}
	if r := post(support, "unban", url.Values{"reason": {"twice"}}); r.Status != http.StatusConflict {
		t.Errorf("unban of a key that is not banned: %d", r.Status)
	}

	// Edit note, expiry and key days.
	r = post(support, "edit", url.Values{"note": {"line one\r\nline two"}, "auth_expire": {"2030-05-01T12:00"}, "reason": {"renewal"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", r.Status, r.Text("main"))
	}
	got, _ = env.Licensing.GetKeyByID(ctx, k.ID)
	if got.Note != "line one\nline two" || got.AuthExpire == nil || !got.AuthExpire.Equal(time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("edited key: note %q expire %v", got.Note, got.AuthExpire)
	}
	if got := licdReason(t, env, "license_key.update", id); got != "renewal" {
		t.Errorf("edit audit reason %q", got)
	}
	if r := post(support, "edit", url.Values{"note": {"line one\nline two"}, "auth_expire": {"2030-05-01T12:00"}, "key_days": {"abc"}, "reason": {"x"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad key days: %d", r.Status)
	}
	if r := post(support, "edit", url.Values{"note": {"line one\nline two"}, "auth_expire": {""}, "reason": {"lifetime"}}); r.Status != http.StatusSeeOther {
		t.Errorf("never expires: %d", r.Status)
	}
	if got, _ := env.Licensing.GetKeyByID(ctx, k.ID); got.AuthExpire != nil {
		t.Errorf("key still expires %v", got.AuthExpire)
	}
	unused := f.key(t, licensing.KeyInput{})
	if r := support.PostForm(licdKeyPath(unused, "/edit"), url.Values{"key_days": {"45"}, "reason": {"stock"}}); r.Status != http.StatusSeeOther {
		t.Errorf("key days: %d", r.Status)
	}
	if got, _ := env.Licensing.GetKeyByID(ctx, unused.ID); got.KeyDays == nil || *got.KeyDays != 45 {
		t.Errorf("key days %v", got.KeyDays)
	}
	// A key with a fixed date, not yet used, moves to days from its first
	// use: Expires cleared, Days given. Both at once is a choice the form
	// asks for; a bad day count is named as such.
	dated := f.key(t, licensing.KeyInput{Identifier: "HWID-dated", AuthExpire: &licensing.Expiry{At: time.Now().Add(48 * time.Hour)}})
	edit := func(v url.Values) *servertest.Response {
		v.Set("reason", "terms changed")
		return support.PostForm(licdKeyPath(dated, "/edit"), v)
	}
	for _, c := range []struct {
		days, expire, want string
	}{
		{"-3", "", "from 1 to"},
		{"30", "2031-01-01T00:00", "Clear Expires"},
	} {
		r := edit(url.Values{"key_days": {c.days}, "auth_expire": {c.expire}})
		if got := r.Text(".field-error"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(got, c.want) {
			t.Errorf("days %s, expires %q: %d %q, want %q", c.days, c.expire, r.Status, got, c.want)
		}
	}
	if r := edit(url.Values{"key_days": {"30"}, "auth_expire": {""}}); r.Status != http.StatusSeeOther {
		t.Errorf("fixed date to days: %d %q", r.Status, r.Text(".field-error"))
	}
	if got, _ := env.Licensing.GetKeyByID(ctx, dated.ID); got.KeyDays == nil || *got.KeyDays != 30 || got.AuthExpire != nil {
		t.Errorf("fixed date to days: key days %v, expires %v", got.KeyDays, got.AuthExpire)
	}
	// Once used, the key's days have given it a date. Clearing the date but
	// not the days is refused, not read as "never expires".
	if _, err := env.DB.Pool.Exec(ctx, "UPDATE license_keys SET auth_expire = now() + interval '30 days' WHERE id = $1", dated.ID); err != nil {
		t.Fatal(err)
	}
	if r := edit(url.Values{"key_days": {"30"}, "auth_expire": {""}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(".field-error"), "Clear Key days too") {
		t.Errorf("used key, Expires cleared and Days kept: %d %q", r.Status, r.Text(".field-error"))
	}
	if got, _ := env.Licensing.GetKeyByID(ctx, dated.ID); got.AuthExpire == nil || got.KeyDays == nil {
		t.Errorf("after the refused edit: key days %v, expires %v", got.KeyDays, got.AuthExpire)
	}

	// Delete: admins only, type-to-confirm, audited.
	if r := post(support, "delete", url.Values{"reason": {"x"}, "confirm": {k.UserKey[:8]}}); r.Status != http.StatusForbidden {
		t.Errorf("support delete: %d, want 403", r.Status)
	}
	if r := post(admin, "delete", url.Values{"reason": {"x"}, "confirm": {"nope"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("delete without the confirmation: %d", r.Status)
	}
	r = post(admin, "delete", url.Values{"reason": {"customer refunded"}, "confirm": {k.UserKey[:8]}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/luarmor/projects/"+f.project.ID+"/keys" {
		t.Fatalf("delete: %d %s", r.Status, r.Header.Get("Location"))
	}
	if got := licdReason(t, env, "license_key.delete", id); got != "customer refunded" {
		t.Errorf("delete audit reason %q", got)
	}
	if r := admin.Get(licdKeyPath(k, "")); r.Status != http.StatusNotFound {
		t.Errorf("deleted key: %d", r.Status)
	}
	if r := post(admin, "unban", url.Values{"reason": {"x"}}); r.Status != http.StatusNotFound {
		t.Errorf("action on a deleted key: %d", r.Status)
	}
}

// With htmx, an action answers with the new header and a toast; a refusal
// puts the dialog back with its message.
func TestLicensingKeyActionsHTMX(t *testing.T) {
	t.Parallel()
	f := licdSetup(t)
	env := f.env
	k := f.key(t, licensing.KeyInput{Identifier: "HWID-AAAA-1111"})
	support := env.As("support")

	d := support.HTMX("GET", licdKeyPath(k, "/reset-hwid"), nil)
	if d.Status != http.StatusOK || !d.Has(`dialog#key-reset-hwid-dialog form[hx-post="`+licdKeyPath(k, "/reset-hwid")+`"]`) || d.Has("main") {
		t.Fatalf("dialog: %d\n%s", d.Status, d.Body)
	}
	if !strings.Contains(d.Text(`[data-testid="reset-cooldown"]`), "24 hours") {
		t.Errorf("dialog cooldown: %q", d.Text(`[data-testid="reset-cooldown"]`))
	}
	r := support.HTMX("POST", licdKeyPath(k, "/reset-hwid"), url.Values{"reason": {"new PC"}})
	if r.Status != http.StatusOK || !r.Has(`#key-header`) || !strings.Contains(r.Text(`#toasts`), "reset") || !strings.Contains(r.Header.Get("HX-Trigger"), "licensing-changed") {
		t.Fatalf("htmx reset: %d %v\n%s", r.Status, r.Header, r.Body)
	}
	if got := r.Text(`#key-header [data-status]`); got != "Reset" {
		t.Errorf("status after reset %q", got)
	}
	if _, err := env.Licensing.Check(context.Background(), licensing.CheckInput{ProjectID: f.project.ID, ScriptID: f.script.ID, ScriptKey: k.UserKey, HWID: "B"}); err != nil {
		t.Fatal(err)
	}
	r = support.HTMX("POST", licdKeyPath(k, "/reset-hwid"), url.Values{"reason": {"again"}})
	if r.Status != http.StatusOK || r.Header.Get("HX-Retarget") != "#dialog-host" || !strings.Contains(r.Text(`[data-testid="form-error"]`), "on cooldown until") {
		t.Errorf("htmx cooldown: %d %q", r.Status, r.Text(`[data-testid="form-error"]`))
	}
	if r := support.HTMX("POST", licdKeyPath(k, "/reset-hwid/force"), url.Values{"reason": {"x"}, "force": {"on"}}); r.Status != http.StatusForbidden {
		t.Errorf("htmx force by support: %d", r.Status)
	}
	if got := env.AuditCount("license_key.reset_hwid", licdID(k)); got != 1 {
		t.Errorf("%d reset audit rows, want 1", got)
	}
}

// A viewer may look but every change is refused with 403.
func TestLicensingViewerRefused(t *testing.T) {
	t.Parallel()
	f := licdSetup(t)
	k := f.key(t, licensing.KeyInput{Identifier: "H"})
	viewer := f.env.As("viewer")
	sp := "/luarmor/projects/" + f.project.ID
	paths := []string{"/luarmor/projects", sp, sp + "/scripts", sp + "/scripts/" + f.script.ID, sp + "/scripts/" + f.script.ID + "/versions"}
	for _, a := range []string{"reset-hwid", "link-discord", "blacklist", "unban", "edit", "delete"} {
		paths = append(paths, licdKeyPath(k, "/"+a))
		if r := viewer.Get(licdKeyPath(k, "/"+a)); r.Status != http.StatusForbidden {
			t.Errorf("viewer GET %s form: %d", a, r.Status)
		}
	}
	for _, p := range paths {
		if r := viewer.PostForm(p, url.Values{"reason": {"x"}, "name": {"x"}, "account": {"1"}}); r.Status != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d, want 403", p, r.Status)
		}
	}
	if r := viewer.Get("/luarmor/projects/new"); r.Status != http.StatusForbidden {
		t.Errorf("viewer new project form: %d", r.Status)
	}
	if r := viewer.Get("/luarmor"); r.Status != http.StatusOK || r.Has(`[data-testid="new-project"]`) {
		t.Errorf("viewer /luarmor: %d", r.Status)
	}
}

// The spec keeps a blacklisted key with a HWID "active"; the console says
// both in one badge instead of "Active" beside "Banned".
func TestBlacklistedActiveKeyBadge(t *testing.T) {
	t.Parallel()
	f := licdSetup(t)
	k := f.key(t, licensing.KeyInput{Identifier: "HWID-BADGE-1"})
	if _, err := f.env.Licensing.Blacklist(context.Background(), audit.CLI("test"), k.ProjectID, k.UserKey, licensing.BlacklistInput{BanReason: "Leaked"}); err != nil {
		t.Fatal(err)
	}
	support := f.env.As("support")
	for _, path := range []string{licdKeyPath(k, ""), "/luarmor/keys?q=HWID-BADGE-1"} {
		r := support.Get(path)
		if got := r.Text(`[data-banned="true"]`); got != "Active, blacklisted" {
			t.Errorf("%s: badge %q, want Active, blacklisted", path, got)
		}
		if r.Doc.Find(`.badge`).FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.TrimSpace(s.Text()) == "Banned" }).Length() != 0 {
			t.Errorf("%s: a separate Banned badge is shown", path)
		}
	}
}

// The keys list header: the count of the whole filtered list (not the page),
// the project chip named, and each chip's link keeping the other filters.
func TestLicensingKeyListCountAndChips(t *testing.T) {
	t.Parallel()
	f := licdSetup(t)
	for range 3 {
		f.key(t, licensing.KeyInput{Note: "batch"})
	}
	f.key(t, licensing.KeyInput{Identifier: "HWID-1", Note: "batch"})
	viewer := f.env.As("viewer")

	r := viewer.Get("/luarmor/keys?status=reset&q=batch&limit=2&project=" + f.project.ID)
	if r.Status != http.StatusOK {
		t.Fatalf("keys: %d", r.Status)
	}
	// A count the page does not give follows it: the page asks for it by
	// its own URL, and the answer counts the filtered list, not the page.
	from := r.PendingCount()
	if from == "" {
		t.Fatalf("no deferred count: %q", r.Text(`[data-testid="list-bar"]`))
	}
	count := func(path string) string { return viewer.Count(path).Text(`[data-testid="result-count"]`) }
	if got := count(from); got != "3 keys" {
		t.Errorf("count = %q, want 3 keys (2 on the page)", got)
	}
	if next, _ := r.Doc.Find(`a[rel="next"]`).Attr("href"); count(next) != "3 keys" {
		t.Errorf("count from the next page (%s) = %q, want 3 keys", next, count(next))
	}
	// The count asked for with refused filters counts what the list shows;
	// an unknown project's is not found (the bar says "Count unavailable").
	if got := count("/luarmor/keys?q=batch&status=bogus"); got != "4 keys" {
		t.Errorf("count with a refused status = %q, want 4 keys", got)
	}
	// The list of an unknown project says so, not "No keys yet".
	if r := viewer.Get("/luarmor/keys?project=ffffffffffffffff"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("main"), "There is no project") ||
		r.Has(`[data-testid="empty-none"]`) || !r.Has(`[data-testid="empty-filtered"]`) {
		t.Errorf("an unknown project's list: %d %q", r.Status, r.Text("main"))
	}
	if r := viewer.Count("/luarmor/keys?project=ffffffffffffffff"); r.Status != http.StatusNotFound || r.Has(`[data-testid="result-count"]`) {
		t.Errorf("count of an unknown project: %d %q, want 404", r.Status, r.Text(`[data-testid="result-count"]`))
	}
	// A page that holds all its matches counts itself, without a request.
	if r := viewer.Get("/luarmor/keys?q=batch"); r.Text(`[data-testid="result-count"]`) != "4 keys" || r.Has(`[data-pending]`) {
		t.Errorf("whole list count = %q", r.Text(`[data-testid="result-count"]`))
	}
	project := r.Text(`[data-testid="filter-chip"][data-param="project"]`)
	if !strings.Contains(project, "Nightfall Hub") {
		t.Errorf("project chip reads %q", project)
	}
	href, _ := r.Doc.Find(`[data-testid="filter-chip"][data-param="status"]`).Attr("href")
	if want := "/luarmor/keys?limit=2&project=" + f.project.ID + "&q=batch"; href != want {
		t.Errorf("status chip -> %q, want %q", href, want)
	}
	if r := viewer.Get("/luarmor/keys?q=nothing-like-this"); r.Text(`[data-testid="result-count"]`) != "0 keys" {
		t.Errorf("empty count = %q", r.Text(`[data-testid="result-count"]`))
	}
}
