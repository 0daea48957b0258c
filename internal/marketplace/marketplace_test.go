package marketplace

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
	"lumdesk/internal/staff"
)

var (
	ctx = context.Background()
	cli = audit.CLI("test")
)

// fakeBundles stands in for marketplace/bundle + blob: it reads the whole
// upload (tests send small ones), refuses a body starting with "bad" and
// keeps what it stored by hash.
type fakeBundles struct {
	mu     sync.Mutex
	stored map[string][]byte
}

func (b *fakeBundles) Store(_ context.Context, r io.Reader, version string) (BundleFacts, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return BundleFacts{}, err
	}
	if bytes.HasPrefix(data, []byte("bad")) {
		return BundleFacts{}, fmt.Errorf("%w: ../etc/passwd: path leaves the bundle", ErrBundleInvalid)
	}
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	b.mu.Lock()
	b.stored[h] = data
	b.mu.Unlock()
	manifest, _ := json.Marshal(map[string]string{"version": version})
	fileSum := sha256.Sum256([]byte("x"))
	return BundleFacts{SHA256: h, Size: int64(len(data)), UnpackedSize: 1, FileCount: 1, Manifest: manifest,
		Files: []BundleFile{{Path: "index.js", Size: 1, SHA256: hex.EncodeToString(fileSum[:])}}}, nil
}

type fixture struct {
	db      *db.DB
	svc     *Service
	bundles *fakeBundles
	now     time.Time
	acct    int64
	other   int64
	staff   audit.Actor
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	d := db.New(testdb.New(t))
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: d, bundles: &fakeBundles{stored: map[string][]byte{}}, now: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	f.svc = NewService(d, box, f.bundles).WithClock(func() time.Time { return f.now })
	acc := accounts.NewService(d)
	for _, p := range []struct {
		id          *int64
		name, email string
	}{{&f.acct, "Acme", "dev@acme.test"}, {&f.other, "Globex", "dev@globex.test"}} {
		a, err := acc.Create(ctx, cli, accounts.CreateInput{Name: p.name, Email: p.email})
		if err != nil {
			t.Fatal(err)
		}
		*p.id = a.ID
	}
	u, err := staff.NewService(d, box, false).Create(ctx, cli, staff.CreateInput{Email: "reviewer@lumdesk.test", Role: "admin",
		Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	f.staff = audit.Staff(u.ID, u.Email)
	return f
}

func (f *fixture) create(t *testing.T, name string) Extension {
	t.Helper()
	e, err := f.svc.CreateExtension(ctx, cli, accounts.Only(f.acct), ExtensionInput{Name: name, ShortDescription: "Short."})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (f *fixture) submit(t *testing.T, extID, version string) VersionInfo {
	t.Helper()
	v, err := f.svc.SubmitVersion(ctx, cli, accounts.Only(f.acct), extID, VersionInput{Version: version, Changelog: "Changes.",
		Bundle: strings.NewReader("bundle of " + version)})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func fieldErrors(t *testing.T, err error) apperr.FieldErrors {
	t.Helper()
	var fe apperr.FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("want validation errors, got %v", err)
	}
	return fe
}

func ptr[T any](v T) *T { return &v }

func TestCreateExtension(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e, err := f.svc.CreateExtension(ctx, cli, accounts.Only(f.acct), ExtensionInput{Name: "  Sports Scoreboard! ",
		ShortDescription: "Scores.", Description: "# Hi", Pricing: &PricingInput{Type: "subscription", Amount: "1.99", Interval: "month"}})
	if err != nil {
		t.Fatal(err)
	}
	if !ids.ValidPublic("ext_", e.ID) {
		t.Errorf("id %q is not ext_ + 16 base32", e.ID)
	}
	want := Extension{ID: e.ID, AccountID: f.acct, Slug: "sports-scoreboard", Name: "Sports Scoreboard!", ShortDescription: "Scores.",
		Description: "# Hi", Pricing: Pricing{Type: PricingSubscription, Amount: money.Cents(199), Currency: "USD", Interval: "month"},
		Visibility: VisibilityPrivate, Status: StatusDraft, CreatedAt: f.now, UpdatedAt: f.now}
	if d := cmp.Diff(want, e, cmp.AllowUnexported(Extension{}), cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".id" || p.Last().String() == ".currentID"
	}, cmp.Ignore())); d != "" {
		t.Errorf("created (-want +got):\n%s", d)
	}
	got, err := f.svc.GetExtension(ctx, accounts.AllAccounts, e.ID)
	if err != nil || got.Slug != "sports-scoreboard" || got.Pricing.Amount != 199 {
		t.Errorf("get: %+v, %v", got, err)
	}
	// The same name again gets the next free slug.
	if e2 := f.create(t, "Sports Scoreboard"); e2.Slug != "sports-scoreboard-2" {
		t.Errorf("second slug = %q, want sports-scoreboard-2", e2.Slug)
	}
	if e3 := f.create(t, "日本語"); e3.Slug != "extension" {
		t.Errorf("slug of a name without ASCII letters = %q", e3.Slug)
	}
}

func TestCreateExtensionValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, c := range []struct {
		name string
		in   ExtensionInput
		want []string
	}{
		{"empty name", ExtensionInput{Name: "  "}, []string{"name"}},
		{"long name", ExtensionInput{Name: strings.Repeat("a", 81)}, []string{"name"}},
		{"long short description", ExtensionInput{Name: "x", ShortDescription: strings.Repeat("é", 133)}, []string{"short_description"}},
		{"long description", ExtensionInput{Name: "x", Description: strings.Repeat("a", 20001)}, []string{"description"}},
		{"bad pricing type", ExtensionInput{Name: "x", Pricing: &PricingInput{Type: "cheap"}}, []string{"pricing.type"}},
		{"paid without amount", ExtensionInput{Name: "x", Pricing: &PricingInput{Type: "one_time"}}, []string{"pricing.amount"}},
		{"bad amount", ExtensionInput{Name: "x", Pricing: &PricingInput{Type: "one_time", Amount: "4.999"}}, []string{"pricing.amount"}},
		{"zero amount", ExtensionInput{Name: "x", Pricing: &PricingInput{Type: "one_time", Amount: "0"}}, []string{"pricing.amount"}},
		{"currency", ExtensionInput{Name: "x", Pricing: &PricingInput{Type: "one_time", Amount: "1", Currency: "XYZ"}}, []string{"pricing.currency"}},
		{"no interval", ExtensionInput{Name: "x", Pricing: &PricingInput{Type: "subscription", Amount: "1"}}, []string{"pricing.interval"}},
		{"interval on one-time", ExtensionInput{Name: "x", Pricing: &PricingInput{Type: "one_time", Amount: "1", Interval: "year"}}, []string{"pricing.interval"}},
		{"amount on free", ExtensionInput{Name: "x", Pricing: &PricingInput{Type: "free", Amount: "1"}}, []string{"pricing.amount"}},
	} {
		_, err := f.svc.CreateExtension(ctx, cli, accounts.Only(f.acct), c.in)
		fe := fieldErrors(t, err)
		var got []string
		for k := range fe {
			got = append(got, k)
		}
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("%s: fields (-want +got):\n%s", c.name, d)
		}
	}
	// Staff must name the account; another account named by a one-account scope is not found.
	if fe := fieldErrors(t, func() error {
		_, err := f.svc.CreateExtension(ctx, cli, accounts.AllAccounts, ExtensionInput{Name: "x"})
		return err
	}()); fe["account"] == "" {
		t.Errorf("staff without account: %v", fe)
	}
	if _, err := f.svc.CreateExtension(ctx, cli, accounts.Only(f.acct), ExtensionInput{AccountID: &f.other, Name: "x"}); !errors.Is(err, ErrAccountNotFound) {
		t.Errorf("create in another account: %v", err)
	}
	page, err := f.svc.ListExtensions(ctx, ListFilter{Scope: accounts.AllAccounts})
	if err != nil || len(page.Extensions) != 0 {
		t.Errorf("refused creations stored something: %d, %v", len(page.Extensions), err)
	}
}

func TestScopeIsolation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.create(t, "Mine")
	v := f.submit(t, e.ID, "1.0.0")
	other := accounts.Only(f.other)
	unknown := "ext_aaaaaaaaaaaaaaaa"

	for _, id := range []string{e.ID, unknown, "nonsense"} {
		if _, err := f.svc.GetExtension(ctx, other, id); !errors.Is(err, ErrExtensionNotFound) {
			t.Errorf("get %s from another account: %v", id, err)
		}
	}
	checks := map[string]error{}
	_, checks["update"] = f.svc.UpdateExtension(ctx, cli, other, e.ID, ExtensionPatch{Name: ptr("Theirs")})
	checks["delete"] = f.svc.DeleteExtension(ctx, cli, other, e.ID)
	_, checks["submit"] = f.svc.SubmitVersion(ctx, cli, other, e.ID, VersionInput{Version: "2.0.0", Bundle: strings.NewReader("b")})
	_, checks["versions"] = f.svc.ListVersions(ctx, other, e.ID)
	checks["set secret"] = f.svc.SetSecret(ctx, cli, other, e.ID, "API_KEY", "v")
	checks["set bad secret"] = f.svc.SetSecret(ctx, cli, other, e.ID, "bad name", "")
	checks["delete secret"] = f.svc.DeleteSecret(ctx, cli, other, e.ID, "API_KEY")
	_, checks["secrets"] = f.svc.ListSecretNames(ctx, other, e.ID)
	for name, err := range checks {
		if !errors.Is(err, ErrExtensionNotFound) {
			t.Errorf("%s on another account's extension: %v, want ErrExtensionNotFound", name, err)
		}
	}
	if _, err := f.svc.GetVersion(ctx, other, v.ID); !errors.Is(err, ErrVersionNotFound) {
		t.Errorf("get another account's version: %v", err)
	}
	if _, err := f.svc.GetVersion(ctx, accounts.Only(f.acct), v.ID); err != nil {
		t.Errorf("get own version: %v", err)
	}
	page, err := f.svc.ListExtensions(ctx, ListFilter{Scope: other})
	if err != nil || len(page.Extensions) != 0 {
		t.Errorf("another account lists %d extensions, %v", len(page.Extensions), err)
	}
	if got, _ := f.svc.GetExtension(ctx, accounts.Only(f.acct), e.ID); got.Name != "Mine" {
		t.Errorf("another account's update changed the name to %q", got.Name)
	}
	if f.bundles.stored[hashOf("b")] != nil {
		t.Error("another account's submission stored its bundle")
	}
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestListExtensionsKeyset(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var want []string
	for i := 0; i < 5; i++ {
		f.now = f.now.Add(time.Minute)
		e := f.create(t, fmt.Sprintf("Ext %d", i))
		want = append([]string{e.ID}, want...)
	}
	if _, err := f.svc.CreateExtension(ctx, cli, accounts.Only(f.other), ExtensionInput{Name: "Theirs"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	var after *Cursor
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pages do not end")
		}
		page, err := f.svc.ListExtensions(ctx, ListFilter{Scope: accounts.Only(f.acct), After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Extensions {
			got = append(got, e.ID)
		}
		if page.Next == nil {
			break
		}
		after = page.Next
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("pages (-want +got):\n%s", d)
	}
	all, err := f.svc.ListExtensions(ctx, ListFilter{Scope: accounts.AllAccounts})
	if err != nil || len(all.Extensions) != 6 {
		t.Errorf("staff list: %d, %v", len(all.Extensions), err)
	}
}

func TestParseAndCompareVersions(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "1", "1.2", "v1.2.3", "01.2.3", "1.02.3", "1.2.3-", "1.2.3-01", "1.2.3+", "1.2.3-a..b",
		"1.2.3.4", "1.2.3-a_b", " 1.2.3", "-1.2.3", "1.2.3+a+b"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted", bad)
		}
	}
	// semver.org's precedence example, in order.
	order := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
		"1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0", "99999999999999999999.0.0"}
	for i := range order {
		for j := range order {
			a, err := ParseVersion(order[i])
			if err != nil {
				t.Fatal(err)
			}
			b, _ := ParseVersion(order[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	a, _ := ParseVersion("1.0.0+build.1")
	b, _ := ParseVersion("1.0.0+build.2")
	if a.Compare(b) != 0 {
		t.Error("build metadata counted in precedence")
	}
}

func TestSubmitVersionOrdering(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.create(t, "Ordered")
	v := f.submit(t, e.ID, "1.2.0")
	if !ids.ValidPublic("ver_", v.ID) || v.Status != VersionPending || v.BundleSize != int64(len("bundle of 1.2.0")) ||
		v.BundleSHA256 != hashOf("bundle of 1.2.0") || v.FileCount != 1 || !v.SubmittedAt.Equal(f.now) {
		t.Errorf("submitted: %+v", v)
	}
	if got, _ := f.svc.GetExtension(ctx, accounts.Only(f.acct), e.ID); got.Status != StatusPending {
		t.Errorf("extension status after first submission = %q, want pending", got.Status)
	}
	submit := func(version string) error {
		_, err := f.svc.SubmitVersion(ctx, cli, accounts.Only(f.acct), e.ID, VersionInput{Version: version,
			Bundle: strings.NewReader("refused " + version)})
		return err
	}
	for _, same := range []string{"1.2.0", "1.2.0+other.build"} {
		if err := submit(same); !errors.Is(err, ErrVersionExists) {
			t.Errorf("submit %s again: %v, want ErrVersionExists", same, err)
		}
	}
	for _, lower := range []string{"1.1.9", "1.2.0-rc.1", "0.9.0"} {
		if fe := fieldErrors(t, submit(lower)); fe["version"] == "" {
			t.Errorf("submit lower %s: %v", lower, fe)
		}
	}
	if fe := fieldErrors(t, submit("1.3")); fe["version"] == "" {
		t.Errorf("not semver: %v", fe)
	}
	for _, s := range []string{"1.2.0+other.build", "1.1.9", "1.2.0-rc.1", "0.9.0", "1.3"} {
		if f.bundles.stored[hashOf("refused "+s)] != nil {
			t.Errorf("refused version %s stored its bundle", s)
		}
	}
	// A refused bundle is a validation error on "bundle" and records nothing.
	_, err := f.svc.SubmitVersion(ctx, cli, accounts.Only(f.acct), e.ID, VersionInput{Version: "2.0.0", Bundle: strings.NewReader("bad tar")})
	if fe := fieldErrors(t, err); !strings.Contains(fe["bundle"], "../etc/passwd") {
		t.Errorf("bad bundle: %v", fe)
	}
	if fe := fieldErrors(t, func() error {
		_, err := f.svc.SubmitVersion(ctx, cli, accounts.Only(f.acct), e.ID, VersionInput{Version: "2.0.0", Changelog: strings.Repeat("a", 5001)})
		return err
	}()); fe["changelog"] == "" || fe["bundle"] == "" {
		t.Errorf("long changelog, no bundle: %v", fe)
	}
	f.submit(t, e.ID, "1.10.0")
	f.submit(t, e.ID, "2.0.0-beta.1")
	vs, err := f.svc.ListVersions(ctx, accounts.Only(f.acct), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.Version)
	}
	if d := cmp.Diff([]string{"2.0.0-beta.1", "1.10.0", "1.2.0"}, got); d != "" {
		t.Errorf("versions (-want +got):\n%s", d)
	}
}

func TestReviewFlow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.create(t, "Reviewed")
	v1 := f.submit(t, e.ID, "1.0.0")

	// Rejected first: the extension, with nothing approved, is rejected.
	if _, err := f.svc.Reject(ctx, f.staff, v1.ID, "  "); fieldErrors(t, err)["reason"] == "" {
		t.Error("reject without a reason accepted")
	}
	r, err := f.svc.Reject(ctx, f.staff, v1.ID, "Minified code without sources.")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != VersionRejected || r.RejectionReason != "Minified code without sources." || r.ReviewerID == nil {
		t.Errorf("rejected: %+v", r)
	}
	if got, _ := f.svc.GetExtension(ctx, accounts.Only(f.acct), e.ID); got.Status != StatusRejected || got.CurrentVersionID != "" {
		t.Errorf("after rejection: status %q current %q", got.Status, got.CurrentVersionID)
	}
	if _, err := f.svc.Approve(ctx, f.staff, v1.ID, 100); !errors.Is(err, ErrNotPending) {
		t.Errorf("approve a rejected version: %v", err)
	}

	v2 := f.submit(t, e.ID, "1.1.0")
	if got, _ := f.svc.GetExtension(ctx, accounts.Only(f.acct), e.ID); got.Status != StatusPending {
		t.Errorf("resubmitted: status %q", got.Status)
	}
	for _, pct := range []int{0, 101} {
		if _, err := f.svc.Approve(ctx, f.staff, v2.ID, pct); fieldErrors(t, err)["rollout_percent"] == "" {
			t.Errorf("approve at %d%% accepted", pct)
		}
	}
	f.now = f.now.Add(time.Hour)
	a, err := f.svc.Approve(ctx, f.staff, v2.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != VersionApproved || a.RolloutPercent != 10 || a.ApprovedAt == nil || !a.ApprovedAt.Equal(f.now) {
		t.Errorf("approved: %+v", a)
	}
	got, _ := f.svc.GetExtension(ctx, accounts.Only(f.acct), e.ID)
	if got.Status != StatusApproved || got.CurrentVersionID != v2.ID {
		t.Errorf("after approval: status %q current %q, want approved %s", got.Status, got.CurrentVersionID, v2.ID)
	}
	if r, err := f.svc.SetRollout(ctx, f.staff, v2.ID, 100); err != nil || r.RolloutPercent != 100 {
		t.Errorf("raise rollout: %+v, %v", r, err)
	}
	if _, err := f.svc.SetRollout(ctx, f.staff, v1.ID, 50); !errors.Is(err, ErrNotApproved) {
		t.Errorf("rollout of a rejected version: %v", err)
	}

	// An update pending or rejected leaves the approved version serving.
	v3 := f.submit(t, e.ID, "1.2.0")
	if got, _ := f.svc.GetExtension(ctx, accounts.Only(f.acct), e.ID); got.Status != StatusApproved || got.CurrentVersionID != v2.ID {
		t.Errorf("update pending: status %q current %q", got.Status, got.CurrentVersionID)
	}
	if _, err := f.svc.Reject(ctx, f.staff, v3.ID, "Broken."); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.GetExtension(ctx, accounts.Only(f.acct), e.ID); got.Status != StatusApproved || got.CurrentVersionID != v2.ID {
		t.Errorf("update rejected: status %q current %q", got.Status, got.CurrentVersionID)
	}
	v4 := f.submit(t, e.ID, "1.3.0")
	if _, err := f.svc.Approve(ctx, f.staff, v4.ID, 100); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.GetExtension(ctx, accounts.Only(f.acct), e.ID); got.CurrentVersionID != v4.ID {
		t.Errorf("current after second approval = %q, want %s", got.CurrentVersionID, v4.ID)
	}
	if _, err := f.svc.Approve(ctx, f.staff, "ver_aaaaaaaaaaaaaaaa", 100); !errors.Is(err, ErrVersionNotFound) {
		t.Errorf("approve unknown: %v", err)
	}

	// Each decision is in the version's history, by the reviewer.
	var n int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE entity_type = 'lumio_version'
		AND action IN ('lumio_version.approve', 'lumio_version.reject', 'lumio_version.rollout') AND actor_kind = 'staff'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("%d review decisions audited, want 5", n)
	}
}

func TestUpdateExtensionPatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e, err := f.svc.CreateExtension(ctx, cli, accounts.Only(f.acct), ExtensionInput{Name: "Patchy", ShortDescription: "Short.",
		Description: "Long.", Pricing: &PricingInput{Type: "one_time", Amount: "4.99"}})
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Minute)
	got, err := f.svc.UpdateExtension(ctx, cli, accounts.Only(f.acct), e.ID, ExtensionPatch{ShortDescription: ptr("Shorter.")})
	if err != nil {
		t.Fatal(err)
	}
	want := e
	want.ShortDescription, want.UpdatedAt = "Shorter.", f.now
	if d := cmp.Diff(want, got, cmp.AllowUnexported(Extension{})); d != "" {
		t.Errorf("patch one field (-want +got):\n%s", d)
	}
	got, err = f.svc.UpdateExtension(ctx, cli, accounts.Only(f.acct), e.ID, ExtensionPatch{Pricing: &PricingInput{Type: "free"},
		Slug: ptr("patchy-two"), Visibility: ptr("unlisted")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Pricing != (Pricing{Type: PricingFree}) || got.Slug != "patchy-two" || got.Visibility != VisibilityUnlisted ||
		got.Name != "Patchy" || got.Description != "Long." {
		t.Errorf("patched: %+v", got)
	}
	// Invalid fields are all reported and nothing changes.
	_, err = f.svc.UpdateExtension(ctx, cli, accounts.Only(f.acct), e.ID, ExtensionPatch{Name: ptr(""), Slug: ptr("Bad Slug"),
		Visibility: ptr("secret"), Pricing: &PricingInput{Type: "one_time", Amount: "-1"}})
	fe := fieldErrors(t, err)
	for _, k := range []string{"name", "slug", "visibility", "pricing.amount"} {
		if fe[k] == "" {
			t.Errorf("no error on %s: %v", k, fe)
		}
	}
	other := f.create(t, "Other")
	if _, err := f.svc.UpdateExtension(ctx, cli, accounts.Only(f.acct), e.ID, ExtensionPatch{Slug: ptr(other.Slug)}); fieldErrors(t, err)["slug"] == "" {
		t.Error("took another extension's slug")
	}
	if now, _ := f.svc.GetExtension(ctx, accounts.Only(f.acct), e.ID); now.Slug != "patchy-two" || now.Name != "Patchy" {
		t.Errorf("refused patch changed the extension: %+v", now)
	}
}

func TestPublicNeedsApprovedVersionAndFreezes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.create(t, "Going Public")
	public := ExtensionPatch{Visibility: ptr("public")}
	if _, err := f.svc.UpdateExtension(ctx, cli, accounts.Only(f.acct), e.ID, public); fieldErrors(t, err)["visibility"] == "" {
		t.Error("public without any version accepted")
	}
	v := f.submit(t, e.ID, "1.0.0")
	if _, err := f.svc.UpdateExtension(ctx, cli, accounts.Only(f.acct), e.ID, public); fieldErrors(t, err)["visibility"] == "" {
		t.Error("public with only a pending version accepted")
	}
	if _, err := f.svc.Approve(ctx, f.staff, v.ID, 100); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.UpdateExtension(ctx, cli, accounts.Only(f.acct), e.ID, public)
	if err != nil {
		t.Fatal(err)
	}
	if got.Visibility != VisibilityPublic || !got.EverPublic {
		t.Errorf("public: %+v", got)
	}
	// Back to private: ever public stays, the slug is frozen, delete refused.
	got, err = f.svc.UpdateExtension(ctx, cli, accounts.Only(f.acct), e.ID, ExtensionPatch{Visibility: ptr("private")})
	if err != nil || !got.EverPublic || got.Visibility != VisibilityPrivate {
		t.Errorf("private again: %+v, %v", got, err)
	}
	if _, err := f.svc.UpdateExtension(ctx, cli, accounts.Only(f.acct), e.ID, ExtensionPatch{Slug: ptr("new-slug")}); fieldErrors(t, err)["slug"] == "" {
		t.Error("slug changed after being public")
	}
	if _, err := f.svc.UpdateExtension(ctx, cli, accounts.Only(f.acct), e.ID, ExtensionPatch{Slug: ptr(e.Slug), Name: ptr("Renamed")}); err != nil {
		t.Errorf("the same slug with a new name: %v", err)
	}
	if err := f.svc.DeleteExtension(ctx, cli, accounts.Only(f.acct), e.ID); !errors.Is(err, ErrExtensionWasPublic) {
		t.Errorf("delete after public: %v", err)
	}
	if _, err := f.svc.GetExtension(ctx, accounts.Only(f.acct), e.ID); err != nil {
		t.Errorf("refused delete removed it: %v", err)
	}
}

func TestDeleteExtension(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.create(t, "Short Lived")
	v := f.submit(t, e.ID, "1.0.0")
	if _, err := f.svc.Approve(ctx, f.staff, v.ID, 100); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetSecret(ctx, cli, accounts.Only(f.acct), e.ID, "TOKEN", "t"); err != nil {
		t.Fatal(err)
	}
	// Approved but never public: it may go, with its versions and secrets.
	if err := f.svc.DeleteExtension(ctx, cli, accounts.Only(f.acct), e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GetExtension(ctx, accounts.AllAccounts, e.ID); !errors.Is(err, ErrExtensionNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if _, err := f.svc.GetVersion(ctx, accounts.AllAccounts, v.ID); !errors.Is(err, ErrVersionNotFound) {
		t.Errorf("version after delete: %v", err)
	}
	if err := f.svc.DeleteExtension(ctx, cli, accounts.Only(f.acct), e.ID); !errors.Is(err, ErrExtensionNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.create(t, "Secretive")
	const value = "sk_live_Z9q8W7e6R5t4Y3u2"
	const value2 = "sk_live_second_M1n2B3v4"
	scope := accounts.Only(f.acct)
	for name, fields := range map[string][]string{"lower": {"name"}, "_X": {"name"}, "A" + strings.Repeat("B", 64): {"name"}} {
		err := f.svc.SetSecret(ctx, cli, scope, e.ID, name, "v")
		fe := fieldErrors(t, err)
		for _, k := range fields {
			if fe[k] == "" {
				t.Errorf("secret %q: %v", name, fe)
			}
		}
	}
	if fe := fieldErrors(t, f.svc.SetSecret(ctx, cli, scope, e.ID, "BIG", strings.Repeat("x", 4097))); fe["value"] == "" {
		t.Error("value over 4 KiB accepted")
	}
	if err := f.svc.SetSecret(ctx, cli, scope, e.ID, "API_KEY", strings.Repeat("x", 4096)); err != nil {
		t.Errorf("4 KiB value: %v", err)
	}
	if err := f.svc.SetSecret(ctx, cli, scope, e.ID, "API_KEY", value); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetSecret(ctx, audit.Staff(1, "ops@lumdesk.test"), accounts.AllAccounts, e.ID, "WEBHOOK_SECRET", value2); err != nil {
		t.Fatal(err)
	}
	names, err := f.svc.ListSecretNames(ctx, scope, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []SecretName{{Name: "API_KEY", SetBy: "test", UpdatedAt: f.now}, {Name: "WEBHOOK_SECRET", SetBy: "ops@lumdesk.test", UpdatedAt: f.now}}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("names (-want +got):\n%s", d)
	}
	if got, err := f.svc.OpenSecret(ctx, scope, e.ID, "API_KEY"); err != nil || got != value {
		t.Errorf("open: %q, %v", got, err)
	}
	// Sealed at rest, bound to its row.
	var sealed []byte
	if err := f.db.Pool.QueryRow(ctx, `SELECT value_sealed FROM marketplace_secrets WHERE name = 'API_KEY'`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(value)) {
		t.Error("value stored in clear")
	}
	if err := f.svc.DeleteSecret(ctx, cli, scope, e.ID, "WEBHOOK_SECRET"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteSecret(ctx, cli, scope, e.ID, "WEBHOOK_SECRET"); !errors.Is(err, ErrSecretNotFound) {
		t.Errorf("delete absent secret: %v", err)
	}
	if names, _ := f.svc.ListSecretNames(ctx, scope, e.ID); len(names) != 1 || names[0].Name != "API_KEY" {
		t.Errorf("after delete: %+v", names)
	}
	// No audit row holds a value; the rows name the secret.
	rows, err := f.db.Pool.Query(ctx, `SELECT action, coalesce(before::text, ''), coalesce(after::text, ''), reason FROM audit_events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	secretRows := 0
	for rows.Next() {
		var action, before, after, reason string
		if err := rows.Scan(&action, &before, &after, &reason); err != nil {
			t.Fatal(err)
		}
		all := action + before + after + reason
		for _, v := range []string{value, value2, strings.Repeat("x", 4096)} {
			if strings.Contains(all, v) {
				t.Errorf("audit row %s holds a secret value: %s", action, all)
			}
		}
		if strings.HasPrefix(action, "lumio_extension.secret_") {
			secretRows++
			if !strings.Contains(all, "API_KEY") && !strings.Contains(all, "WEBHOOK_SECRET") {
				t.Errorf("secret audit row does not name the secret: %s", all)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if secretRows != 4 {
		t.Errorf("%d secret audit rows, want 4 (3 sets, 1 delete)", secretRows)
	}
}

// Concurrent submissions of one version: exactly one is recorded, the
// others are told it exists (the extension row lock orders them).
func TestConcurrentSubmissionsOfOneVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.create(t, "Racy")
	const n = 4
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := f.svc.SubmitVersion(ctx, cli, accounts.Only(f.acct), e.ID, VersionInput{Version: "1.0.0",
				Bundle: strings.NewReader(fmt.Sprintf("bundle %d", i))})
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	ok, exists := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrVersionExists):
			exists++
		default:
			t.Errorf("unexpected: %v", err)
		}
	}
	if ok != 1 || exists != n-1 {
		t.Errorf("%d recorded, %d exists; want 1 and %d", ok, exists, n-1)
	}
	if vs, _ := f.svc.ListVersions(ctx, accounts.Only(f.acct), e.ID); len(vs) != 1 {
		t.Errorf("%d versions stored", len(vs))
	}
}
