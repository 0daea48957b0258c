package marketplace

import (
	"errors"
	"testing"
	"time"

	"lumdesk/internal/accounts"
)

// The queue holds pending versions oldest first, across extensions, and
// pages by keyset; reviewed versions leave it.
func TestReviewQueueOldestFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.create(t, "Queue A"), f.create(t, "Queue B")
	va := f.submit(t, a.ID, "1.0.0")
	f.now = f.now.Add(time.Minute)
	vb := f.submit(t, b.ID, "1.0.0")
	f.now = f.now.Add(time.Minute)
	va2 := f.submit(t, a.ID, "1.1.0")

	page, err := f.svc.ReviewQueue(ctx, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].VersionID != va.ID || page.Items[1].VersionID != vb.ID || page.Next == nil {
		t.Fatalf("first page: %+v", page)
	}
	if page.Items[0].AccountName != "Acme" || page.Items[0].ExtensionName != "Queue A" {
		t.Errorf("item: %+v", page.Items[0])
	}
	cur, ok := ParseQueueCursor(page.Next.String())
	if !ok {
		t.Fatal("cursor does not round-trip")
	}
	page, err = f.svc.ReviewQueue(ctx, &cur, 2)
	if err != nil || len(page.Items) != 1 || page.Items[0].VersionID != va2.ID || page.Next != nil {
		t.Fatalf("second page: %+v %v", page, err)
	}
	if _, err := f.svc.Approve(ctx, f.staff, va.ID, 100); err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.PendingCount(ctx); err != nil || n != 2 {
		t.Errorf("pending after one approval = %d, %v", n, err)
	}
}

// Suspension overrides the status; lifting it restores what the versions
// make it. Each step needs a reason and is audited with it.
func TestSuspendUnsuspend(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.create(t, "Suspect")
	if _, err := f.svc.Suspend(ctx, f.staff, e.ID, " "); fieldErrors(t, err)["reason"] == "" {
		t.Error("suspend without a reason accepted")
	}
	got, err := f.svc.Suspend(ctx, f.staff, e.ID, "Malware report.")
	if err != nil || got.Status != StatusSuspended {
		t.Fatalf("suspend: %+v %v", got, err)
	}
	if _, err := f.svc.Suspend(ctx, f.staff, e.ID, "Again."); fieldErrors(t, err)["reason"] == "" {
		t.Error("second suspension accepted")
	}
	if got, err = f.svc.Unsuspend(ctx, f.staff, e.ID, "False alarm."); err != nil || got.Status != StatusDraft {
		t.Fatalf("unsuspend draft: %+v %v", got, err)
	}
	v := f.submit(t, e.ID, "1.0.0")
	if _, err := f.svc.Suspend(ctx, f.staff, e.ID, "Checking."); err != nil {
		t.Fatal(err)
	}
	if got, _ = f.svc.Unsuspend(ctx, f.staff, e.ID, "Done."); got.Status != StatusPending {
		t.Errorf("unsuspend with a pending version: %q", got.Status)
	}
	if _, err := f.svc.Suspend(ctx, f.staff, e.ID, "Checking again."); err != nil {
		t.Fatal(err)
	}
	// Approving while suspended keeps the suspension; lifting it gives approved.
	if _, err := f.svc.Approve(ctx, f.staff, v.ID, 100); err != nil {
		t.Fatal(err)
	}
	if got, _ = f.svc.GetExtension(ctx, accounts.AllAccounts, e.ID); got.Status != StatusSuspended {
		t.Errorf("approved while suspended: %q", got.Status)
	}
	if got, _ = f.svc.Unsuspend(ctx, f.staff, e.ID, "Cleared."); got.Status != StatusApproved || got.CurrentVersionID != v.ID {
		t.Errorf("unsuspend approved: %+v", got)
	}
	var reason string
	if err := f.db.Pool.QueryRow(ctx, `SELECT reason FROM audit_events WHERE action = 'lumio_extension.suspend' AND entity_id = $1
		ORDER BY id LIMIT 1`, e.ID).Scan(&reason); err != nil || reason != "Malware report." {
		t.Errorf("audited reason %q, %v", reason, err)
	}
	if _, err := f.svc.Unsuspend(ctx, f.staff, e.ID, "Twice."); fieldErrors(t, err)["reason"] == "" {
		t.Error("unsuspending an active extension accepted")
	}
}

// A deprecation names a replacement of any account, never itself; an
// unknown one is a field error.
func TestDeprecate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.create(t, "Old one")
	other, err := f.svc.CreateExtension(ctx, cli, accounts.Only(f.other), ExtensionInput{Name: "New one"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Deprecate(ctx, f.staff, e.ID, "Superseded.", e.ID); fieldErrors(t, err)["replacement"] == "" {
		t.Error("self replacement accepted")
	}
	if _, err := f.svc.Deprecate(ctx, f.staff, e.ID, "Superseded.", "ext_aaaaaaaaaaaaaaaa"); fieldErrors(t, err)["replacement"] == "" {
		t.Error("unknown replacement accepted")
	}
	if _, err := f.svc.Deprecate(ctx, f.staff, e.ID, "", ""); fieldErrors(t, err)["reason"] == "" {
		t.Error("deprecation without a reason accepted")
	}
	got, err := f.svc.Deprecate(ctx, f.staff, e.ID, "Superseded.", other.ID)
	if err != nil || !got.Deprecated || got.ReplacementID != other.ID {
		t.Fatalf("deprecate: %+v %v", got, err)
	}
	if got, err = f.svc.Undeprecate(ctx, f.staff, e.ID, "Still maintained."); err != nil || got.Deprecated || got.ReplacementID != "" {
		t.Fatalf("undeprecate: %+v %v", got, err)
	}
	if _, err := f.svc.Deprecate(ctx, f.staff, "ext_bad", "x", ""); !errors.Is(err, ErrExtensionNotFound) {
		t.Errorf("unknown extension: %v", err)
	}
	var n int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action IN ('lumio_extension.deprecate', 'lumio_extension.undeprecate')
		AND entity_id = $1`, e.ID).Scan(&n); err != nil || n != 2 {
		t.Errorf("audited %d, %v", n, err)
	}
}

// The console's list filters by status, visibility, pricing, account and
// search, sorts by installs or updated, and pages by keyset.
func TestListConsoleFiltersAndSorts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.create(t, "Alpha Scores")
	f.now = f.now.Add(time.Minute)
	b := f.create(t, "Beta Charts")
	f.now = f.now.Add(time.Minute)
	c, err := f.svc.CreateExtension(ctx, cli, accounts.Only(f.other), ExtensionInput{Name: "Gamma Paid",
		Pricing: &PricingInput{Type: PricingOneTime, Amount: "4.99"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Pool.Exec(ctx, `UPDATE marketplace_extensions SET install_count = 50 WHERE public_id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Minute)
	f.submit(t, b.ID, "1.0.0")
	ids := func(p ConsolePage) []string {
		var out []string
		for _, e := range p.Extensions {
			out = append(out, e.ID)
		}
		return out
	}
	for name, tc := range map[string]struct {
		f    ConsoleFilter
		want []string
	}{
		"updated":  {ConsoleFilter{}, []string{b.ID, c.ID, a.ID}},
		"installs": {ConsoleFilter{Sort: SortInstalls}, []string{a.ID, c.ID, b.ID}},
		"status":   {ConsoleFilter{Status: StatusPending}, []string{b.ID}},
		"pricing":  {ConsoleFilter{Pricing: PricingOneTime}, []string{c.ID}},
		"account":  {ConsoleFilter{AccountID: f.other}, []string{c.ID}},
		"search":   {ConsoleFilter{Search: "chart"}, []string{b.ID}},
		"slug":     {ConsoleFilter{Search: "alpha-sc"}, []string{a.ID}},
		"id":       {ConsoleFilter{Search: c.ID}, []string{c.ID}},
		"vis":      {ConsoleFilter{Visibility: VisibilityPublic}, nil},
	} {
		p, err := f.svc.ListConsole(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := ids(p); len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) || (len(got) == 3 && got[2] != tc.want[2]) {
			t.Errorf("%s = %v, want %v", name, got, tc.want)
		}
	}
	// Keyset pages by installs.
	p1, err := f.svc.ListConsole(ctx, ConsoleFilter{Sort: SortInstalls, Limit: 2})
	if err != nil || len(p1.Extensions) != 2 || p1.Next == "" {
		t.Fatalf("page 1: %v %v", ids(p1), err)
	}
	p2, err := f.svc.ListConsole(ctx, ConsoleFilter{Sort: SortInstalls, Limit: 2, Cursor: p1.Next})
	if err != nil || len(p2.Extensions) != 1 || p2.Extensions[0].ID != b.ID || p2.Next != "" {
		t.Fatalf("page 2: %v %v", ids(p2), err)
	}
	for _, bad := range []ConsoleFilter{{Sort: "name"}, {Status: "gone"}, {Cursor: "x"}, {Pricing: "cheap"}} {
		if _, err := f.svc.ListConsole(ctx, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
