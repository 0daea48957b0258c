package lumio_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/marketplace/inspect"
)

var (
	lumioCLI = audit.CLI("lumio console test")
	bg       = context.Background()
)

type lumioFixture struct {
	env *servertest.Env
	acc int64
	now time.Time
}

func newLumioFixture(t *testing.T) *lumioFixture {
	t.Helper()
	env := servertest.New(t)
	a, err := env.Accounts.Create(bg, lumioCLI, accounts.CreateInput{Name: "Plugin House", Email: "dev@pluginhouse.test"})
	if err != nil {
		t.Fatal(err)
	}
	return &lumioFixture{env: env, acc: a.ID, now: time.Now().UTC().Add(-72 * time.Hour)}
}

func (f *lumioFixture) svc() *marketplace.Service {
	return f.env.Marketplace.WithClock(func() time.Time { return f.now })
}

func (f *lumioFixture) extension(t *testing.T, name string) marketplace.Extension {
	t.Helper()
	e, err := f.svc().CreateExtension(bg, lumioCLI, accounts.Only(f.acc), marketplace.ExtensionInput{Name: name, ShortDescription: "Short."})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func bundleManifest(version string, perms ...string) inspect.BundleFile {
	return inspect.BundleFile{Path: "manifest.json", Body: []byte(`{"version":"` + version + `","permissions":["` + strings.Join(perms, `","`) + `"]}`)}
}

func (f *lumioFixture) submit(t *testing.T, extID, version string, files ...inspect.BundleFile) marketplace.VersionInfo {
	t.Helper()
	if len(files) == 0 {
		files = []inspect.BundleFile{bundleManifest(version, "storage"), {Path: "index.js", Body: []byte("export const v = '" + version + "';\n")}}
	}
	data, err := inspect.Build(files...)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.svc().SubmitVersion(bg, lumioCLI, accounts.Only(f.acc), extID, marketplace.VersionInput{Version: version, Bundle: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func rowIDs(r *servertest.Response, sel string) []string {
	var out []string
	r.Doc.Find(sel).Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr("data-id", "")) })
	return out
}

func TestReviewQueueOldestFirst(t *testing.T) {
	t.Parallel()
	f := newLumioFixture(t)
	a, b := f.extension(t, "Queue Alpha"), f.extension(t, "Queue Beta")
	vb := f.submit(t, b.ID, "1.0.0")
	f.now = f.now.Add(time.Hour)
	va := f.submit(t, a.ID, "1.0.0")
	r := f.env.As("viewer").Get("/lumio/review")
	if r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
	if got := rowIDs(r, `[data-testid="queue-row"]`); len(got) != 2 || got[0] != vb.ID || got[1] != va.ID {
		t.Errorf("queue = %v, want [%s %s]", got, vb.ID, va.ID)
	}
	if age := r.Doc.Find(`[data-testid="queue-age"]`).First().Text(); !strings.Contains(age, "72 h") && !strings.Contains(age, "3 d") {
		t.Errorf("age of the oldest: %q", age)
	}
	r = f.env.As("viewer").Get("/lumio")
	if got := r.Text(`[data-testid="counter-pending"] .stat-value`); got != "2" {
		t.Errorf("pending counter %q", got)
	}
	if r := f.env.As("viewer").Get("/lumio/review?cursor=nonsense"); r.Status != http.StatusOK || !r.Has(`[data-testid="filter-error"]`) {
		t.Errorf("bad cursor: %d", r.Status)
	}
}

func TestApproveAtTenThenRaise(t *testing.T) {
	t.Parallel()
	f := newLumioFixture(t)
	e := f.extension(t, "Rollout")
	v := f.submit(t, e.ID, "1.0.0")
	admin := f.env.As("admin")
	page := "/lumio/versions/" + v.ID

	// Bad input: a form message, nothing changes.
	for _, bad := range []string{"abc", "0", "101", ""} {
		r := admin.PostForm(page+"/approve", url.Values{"rollout_percent": {bad}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="approve-form"]`), "between 1 and 100") {
			t.Errorf("rollout %q: status %d", bad, r.Status)
		}
	}
	r := admin.PostForm(page+"/approve", url.Values{"rollout_percent": {"10"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", r.Status)
	}
	got, _ := f.env.Marketplace.GetVersion(bg, accounts.AllAccounts, v.ID)
	ext, _ := f.env.Marketplace.GetExtension(bg, accounts.AllAccounts, e.ID)
	if got.Status != marketplace.VersionApproved || got.RolloutPercent != 10 || ext.CurrentVersionID != v.ID || ext.Status != marketplace.StatusApproved {
		t.Fatalf("after approval: %+v %+v", got, ext)
	}
	r = admin.Get("/lumio/extensions/" + e.ID)
	if r.Text(`[data-testid="version-rollout"]`) != "10%" || r.Doc.Find(`[data-testid="current-version"]`).AttrOr("data-id", "") != v.ID {
		t.Errorf("extension page: rollout %q current %q", r.Text(`[data-testid="version-rollout"]`), r.Text(`[data-testid="current-version"]`))
	}
	// Approving twice is refused with a message.
	if r := admin.PostForm(page+"/approve", url.Values{"rollout_percent": {"100"}}); r.Status != http.StatusConflict {
		t.Errorf("second approval: %d", r.Status)
	}
	if r := admin.PostForm(page+"/rollout", url.Values{"rollout_percent": {"500"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Text(`[data-testid="rollout-form"]`), "between 1 and 100") {
		t.Errorf("bad rollout: %d", r.Status)
	}
	if r := admin.PostForm(page+"/rollout", url.Values{"rollout_percent": {"100"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("rollout: %d", r.Status)
	}
	if got, _ = f.env.Marketplace.GetVersion(bg, accounts.AllAccounts, v.ID); got.RolloutPercent != 100 {
		t.Errorf("rollout now %d", got.RolloutPercent)
	}
	if f.env.AuditCount("lumio_version.approve", v.ID) != 1 || f.env.AuditCount("lumio_version.rollout", v.ID) != 1 {
		t.Error("review not audited")
	}
}

func TestRejectNeedsAReason(t *testing.T) {
	t.Parallel()
	f := newLumioFixture(t)
	e := f.extension(t, "Refused")
	v := f.submit(t, e.ID, "1.0.0")
	support := f.env.As("support")
	page := "/lumio/versions/" + v.ID
	r := support.PostForm(page+"/reject", url.Values{"reason": {"   "}})
	// The banner points at the field; the field says what is wrong ("Nothing
	// changed: Required." named no field).
	if r.Status != http.StatusUnprocessableEntity || !r.Has(`#reject-dialog textarea[name="reason"]`) ||
		r.Text(`[data-testid="filter-error"]`) != "Nothing changed: fix the highlighted field." || !strings.Contains(r.Text(`#reject-dialog .field-error`), "Required") {
		t.Fatalf("reject without a reason: %d %q %q", r.Status, r.Text(`[data-testid="filter-error"]`), r.Text(`#reject-dialog .field-error`))
	}
	if got, _ := f.env.Marketplace.GetVersion(bg, accounts.AllAccounts, v.ID); got.Status != marketplace.VersionPending {
		t.Fatalf("status %q", got.Status)
	}
	if r = support.PostForm(page+"/reject", url.Values{"reason": {"Loads <script> from a remote host."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("reject: %d", r.Status)
	}
	r = support.Get(page)
	if r.Text(`[data-testid="rejection-reason"]`) != "Loads <script> from a remote host." {
		t.Fatalf("reject: %d %q", r.Status, r.Text(`[data-testid="rejection-reason"]`))
	}
	if ext, _ := f.env.Marketplace.GetExtension(bg, accounts.AllAccounts, e.ID); ext.Status != marketplace.StatusRejected {
		t.Errorf("extension %q", ext.Status)
	}
}

// A viewer sees every page and may post nothing.
func TestViewerPostsAreForbidden(t *testing.T) {
	t.Parallel()
	f := newLumioFixture(t)
	e := f.extension(t, "Watched")
	v := f.submit(t, e.ID, "1.0.0")
	viewer := f.env.As("viewer")
	for _, p := range []string{"/lumio", "/lumio/review", "/lumio/extensions", "/lumio/extensions/" + e.ID, "/lumio/versions/" + v.ID} {
		if r := viewer.Get(p); r.Status != http.StatusOK {
			t.Errorf("GET %s: %d", p, r.Status)
		}
	}
	if r := viewer.Get("/lumio/versions/" + v.ID); r.Has(`[data-testid="approve-form"]`) || r.Has(`[data-testid="reject"]`) {
		t.Error("viewer is shown the review forms")
	}
	form := url.Values{"reason": {"x"}, "rollout_percent": {"50"}}
	for _, p := range []string{"/lumio/versions/" + v.ID + "/approve", "/lumio/versions/" + v.ID + "/reject", "/lumio/versions/" + v.ID + "/rollout",
		"/lumio/extensions/" + e.ID + "/suspend", "/lumio/extensions/" + e.ID + "/unsuspend", "/lumio/extensions/" + e.ID + "/deprecate",
		"/lumio/extensions/" + e.ID + "/undeprecate"} {
		if r := viewer.PostForm(p, form); r.Status != http.StatusForbidden {
			t.Errorf("POST %s: %d", p, r.Status)
		}
	}
	if got, _ := f.env.Marketplace.GetVersion(bg, accounts.AllAccounts, v.ID); got.Status != marketplace.VersionPending {
		t.Errorf("viewer changed the version: %q", got.Status)
	}
}

func TestInspectorShowsChangesDiffAndFlags(t *testing.T) {
	t.Parallel()
	f := newLumioFixture(t)
	e := f.extension(t, "Inspected")
	v1 := f.submit(t, e.ID, "1.0.0", bundleManifest("1.0.0", "storage"),
		inspect.BundleFile{Path: "src/main.js", Body: []byte("function a() {\n  return 1;\n}\n")},
		inspect.BundleFile{Path: "old.txt", Body: []byte("bye\n")})
	if _, err := f.env.Marketplace.Approve(bg, lumioCLI, v1.ID, 100); err != nil {
		t.Fatal(err)
	}
	v2 := f.submit(t, e.ID, "1.1.0", bundleManifest("1.1.0", "storage", "network"),
		inspect.BundleFile{Path: "src/main.js", Body: []byte("function a() {\n  return '<script>alert(1)</script>';\n}\n")},
		inspect.BundleFile{Path: "vendor/x.min.js", Body: []byte("var x=" + strings.Repeat("1+", 800) + "1;")},
		inspect.BundleFile{Path: "icon.png", Body: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x00")})
	admin := f.env.As("admin")
	page := "/lumio/versions/" + v2.ID
	r := admin.Get(page)
	if r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
	change := map[string]string{}
	r.Doc.Find(`[data-testid="file-row"]`).Each(func(_ int, s *goquery.Selection) {
		change[s.AttrOr("data-path", "")] = s.AttrOr("data-change", "")
	})
	for p, want := range map[string]string{"manifest.json": "changed", "src/main.js": "changed", "vendor/x.min.js": "added",
		"icon.png": "added", "old.txt": "removed"} {
		if change[p] != want {
			t.Errorf("%s: %q, want %q (all: %v)", p, change[p], want, change)
		}
	}
	flags := map[string]bool{}
	r.Doc.Find(`[data-testid="flag"]`).Each(func(_ int, s *goquery.Selection) {
		flags[s.AttrOr("data-kind", "")+":"+s.AttrOr("data-path", "")] = true
	})
	for _, k := range []string{"minified:vendor/x.min.js", "binary:icon.png", "permission:network"} {
		if !flags[k] {
			t.Errorf("no flag %s: %v", k, flags)
		}
	}
	if !strings.Contains(r.Text(`[data-testid="compared-with"]`), "1.0.0") {
		t.Errorf("compared with %q", r.Text(`[data-testid="compared-with"]`))
	}
	r = admin.Get(page + "?tab=diff")
	d := r.Doc.Find(`[data-testid="file-diff"][data-path="src/main.js"]`)
	if d.Find(`tr[data-op="-"]`).Text() == "" || !strings.Contains(d.Find(`tr[data-op="+"]`).Text(), "<script>alert(1)</script>") {
		t.Errorf("diff: %q", d.Text())
	}
	// The preview is escaped text, never markup.
	r = admin.Get(page + "?tab=files&file=src/main.js")
	if got := r.Text(`[data-testid="preview"]`); !strings.Contains(got, "<script>alert(1)</script>") || strings.Contains(r.Body, "<script>alert(1)") {
		t.Errorf("preview %q (raw script in body: %v)", got, strings.Contains(r.Body, "<script>alert(1)"))
	}
	if r = admin.Get(page + "?tab=files&file=icon.png"); !r.Has(`[data-testid="preview-binary"]`) {
		t.Error("binary file previewed")
	}
	if r = admin.Get(page + "?tab=manifest"); !strings.Contains(r.Text(`[data-testid="manifest"]`), `"network"`) {
		t.Error("manifest tab")
	}
}

func TestSecretValuesNeverShown(t *testing.T) {
	t.Parallel()
	f := newLumioFixture(t)
	e := f.extension(t, "Secretive")
	v := f.submit(t, e.ID, "1.0.0")
	const value = "sup3r-s3cret-v4lue-9f8e7d"
	if err := f.env.Marketplace.SetSecret(bg, lumioCLI, accounts.Only(f.acc), e.ID, "API_TOKEN", value); err != nil {
		t.Fatal(err)
	}
	admin := f.env.As("admin")
	r := admin.Get("/lumio/extensions/" + e.ID)
	if !strings.Contains(r.Text(`[data-testid="secret"]`), "API_TOKEN") {
		t.Errorf("secret name missing: %q", r.Text(`[data-testid="secrets"]`))
	}
	for _, p := range []string{"/lumio/extensions/" + e.ID, "/lumio/versions/" + v.ID, "/lumio/extensions", "/lumio/extensions.csv",
		"/accounts/" + strconv.FormatInt(f.acc, 10) + "?tab=lumio", "/history/lumio_extension/" + e.ID, "/lumio/versions/" + v.ID + "?tab=history",
		"/audit?entity_type=lumio_extension"} {
		if r := admin.Get(p); strings.Contains(r.Body, value) {
			t.Errorf("%s shows the secret's value", p)
		}
	}
}

func TestSuspendAndDeprecate(t *testing.T) {
	t.Parallel()
	f := newLumioFixture(t)
	e := f.extension(t, "Moderated")
	other := f.extension(t, "Successor")
	admin := f.env.As("admin")
	page := "/lumio/extensions/" + e.ID
	r := admin.PostForm(page+"/suspend", url.Values{"reason": {""}})
	if r.Status != http.StatusUnprocessableEntity || !r.Has(`#suspend-dialog textarea[name="reason"]`) || !r.Has(`[data-testid="filter-error"]`) {
		t.Fatalf("suspend without reason: %d", r.Status)
	}
	if r = admin.PostForm(page+"/suspend", url.Values{"reason": {"Reported as malware."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("suspend: %d", r.Status)
	}
	r = admin.Get(page)
	if r.Doc.Find(`[data-testid="extension-status"] [data-status]`).AttrOr("data-status", "") != "suspended" {
		t.Fatalf("suspend: %d", r.Status)
	}
	if n := f.env.AuditCount("lumio_extension.suspend", e.ID); n != 1 {
		t.Errorf("suspensions audited: %d", n)
	}
	if r = admin.PostForm(page+"/unsuspend", url.Values{"reason": {"Cleared."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("unsuspend: %d", r.Status)
	}
	if ext, _ := f.env.Marketplace.GetExtension(bg, accounts.AllAccounts, e.ID); ext.Status != marketplace.StatusDraft {
		t.Errorf("after unsuspend: %q", ext.Status)
	}
	r = admin.PostForm(page+"/deprecate", url.Values{"reason": {"Superseded."}, "replacement": {e.ID}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`#deprecate-dialog`), "cannot replace itself") {
		t.Errorf("self replacement: %d", r.Status)
	}
	if r = admin.PostForm(page+"/deprecate", url.Values{"reason": {"Superseded."}, "replacement": {other.ID}}); r.Status != http.StatusSeeOther {
		t.Fatalf("deprecate: %d", r.Status)
	}
	r = admin.Get(page)
	if r.Text(`[data-testid="replacement"]`) != other.ID {
		t.Fatalf("deprecate: %d %q", r.Status, r.Text(`[data-testid="replacement"]`))
	}
	if f.env.AuditCount("lumio_extension.deprecate", e.ID) != 1 {
		t.Error("deprecation not audited")
	}
	// The history of the extension links back to its page.
	r = admin.Get("/audit?entity_type=lumio_extension")
	if !r.Has(`a[href="/lumio/extensions/` + e.ID + `"]`) {
		t.Error("audit log does not link the extension")
	}
}

func TestUnknownIDsAreNotFound(t *testing.T) {
	t.Parallel()
	f := newLumioFixture(t)
	admin := f.env.As("admin")
	for _, p := range []string{"/lumio/extensions/ext_aaaaaaaaaaaaaaaa", "/lumio/extensions/nope", "/lumio/versions/ver_aaaaaaaaaaaaaaaa", "/lumio/versions/x"} {
		if r := admin.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, r.Status)
		}
	}
	for _, p := range []string{"/lumio/versions/ver_aaaaaaaaaaaaaaaa/approve", "/lumio/versions/ver_aaaaaaaaaaaaaaaa/reject",
		"/lumio/versions/ver_aaaaaaaaaaaaaaaa/rollout", "/lumio/extensions/ext_aaaaaaaaaaaaaaaa/suspend", "/lumio/extensions/ext_aaaaaaaaaaaaaaaa/deprecate"} {
		if r := admin.PostForm(p, url.Values{"reason": {"x"}, "rollout_percent": {"50"}}); r.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d", p, r.Status)
		}
	}
}

func TestExtensionListFiltersSortAndExport(t *testing.T) {
	t.Parallel()
	f := newLumioFixture(t)
	a := f.extension(t, "Alpha Tools")
	f.now = f.now.Add(time.Minute)
	b := f.extension(t, "Beta Widgets")
	f.now = f.now.Add(time.Minute)
	f.submit(t, b.ID, "1.0.0")
	if _, err := f.env.DB.Pool.Exec(bg, `UPDATE marketplace_extensions SET install_count = 99 WHERE public_id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	viewer := f.env.As("viewer")
	for q, want := range map[string][]string{
		"":                  {b.ID, a.ID},
		"?sort=installs":    {a.ID, b.ID},
		"?status=pending":   {b.ID},
		"?q=widget":         {b.ID},
		"?q=" + a.ID:        {a.ID},
		"?pricing=one_time": nil,
		"?account=" + strconv.FormatInt(f.acc, 10): {b.ID, a.ID},
	} {
		r := viewer.Get("/lumio/extensions" + q)
		got := rowIDs(r, `[data-testid="extension-row"]`)
		if r.Status != http.StatusOK || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%q: %d %v, want %v", q, r.Status, got, want)
		}
	}
	r := viewer.Get("/lumio/extensions?status=bogus&account=abc")
	if r.Status != http.StatusOK || !strings.Contains(r.Text(`[data-testid="filter-error"]`), "status") ||
		len(rowIDs(r, `[data-testid="extension-row"]`)) != 2 {
		t.Errorf("bad filters: %d %q", r.Status, r.Text(`[data-testid="filter-error"]`))
	}
	r = viewer.Get("/lumio/extensions.csv?sort=installs")
	lines := strings.Split(strings.TrimSpace(r.Body), "\n")
	if r.Status != http.StatusOK || len(lines) != 3 || !strings.HasPrefix(lines[1], a.ID+",Alpha Tools") {
		t.Errorf("csv: %d %q", r.Status, r.Body)
	}
	// The account's Lumio tab lists both, with the pending version counted.
	r = viewer.Get("/accounts/" + strconv.FormatInt(f.acc, 10) + "?tab=lumio")
	tab := r.Doc.Find(`[data-testid="lumio-extension"][data-id="` + b.ID + `"]`)
	if len(rowIDs(r, `[data-testid="lumio-extension"]`)) != 2 || tab.Find(`[data-testid="pending-versions"]`).Text() != "1" {
		t.Errorf("account tab: %v", rowIDs(r, `[data-testid="lumio-extension"]`))
	}
}

// The sidebar counts the queue, and the palette finds extensions by name
// and versions by id.
func TestBadgeAndPalette(t *testing.T) {
	t.Parallel()
	f := newLumioFixture(t)
	e := f.extension(t, "Palette Finder")
	v := f.submit(t, e.ID, "1.0.0")
	viewer := f.env.As("viewer")
	r := viewer.Get("/lumio")
	if got := r.Doc.Find(`[data-testid="count-lumio-review"]`).AttrOr("data-count", ""); got != "1" {
		t.Errorf("sidebar badge %q", got)
	}
	for q, href := range map[string]string{"Palette Fin": "/lumio/extensions/" + e.ID, e.ID: "/lumio/extensions/" + e.ID, v.ID: "/lumio/versions/" + v.ID} {
		r := viewer.HTMX("GET", "/search?q="+url.QueryEscape(q), nil)
		if r.Status != http.StatusOK || !r.Has(`a[role=option][href="`+href+`"]`) {
			t.Errorf("search %q: %d, no hit %s", q, r.Status, href)
		}
	}
}

// The extension page charts active installs per day by version from the
// recorded install events.
func TestInstallsChart(t *testing.T) {
	t.Parallel()
	f := newLumioFixture(t)
	e := f.extension(t, "Installed")
	v := f.submit(t, e.ID, "1.0.0")
	if _, err := f.env.Marketplace.Approve(bg, lumioCLI, v.ID, 100); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	var events []marketplace.InstallEvent
	for i := range 3 {
		events = append(events, marketplace.InstallEvent{InstallID: "inst-" + strconv.Itoa(i), ExtensionID: e.ID, VersionID: v.ID,
			Event: marketplace.EventInstall, At: now.Add(-time.Duration(i) * 24 * time.Hour)})
	}
	if _, err := f.env.Marketplace.RecordInstallEvents(bg, lumioCLI, accounts.AllAccounts, events); err != nil {
		t.Fatal(err)
	}
	r := f.env.As("viewer").Get("/lumio/extensions/" + e.ID)
	if n := r.Doc.Find(`[data-testid="installs-series"]`).Length(); n != 1 {
		t.Errorf("series: %d (%q)", n, r.Text(`[data-testid="installs-chart"]`))
	}
	if got := r.Text(`[data-testid="extension-installs"]`); got != "3" {
		t.Errorf("installs %q", got)
	}
	if !strings.Contains(r.Text(`[data-testid="installs-chart"]`), "1.0.0") {
		t.Errorf("chart does not name the version: %q", r.Text(`[data-testid="installs-chart"]`))
	}
}
