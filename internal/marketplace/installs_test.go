package marketplace

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/internal/accounts"
	"lumdesk/internal/platform/partition"
)

// installFixture: an extension with two versions (1.0.0, 1.1.0), both approved.
func installFixture(t *testing.T) (*fixture, Extension, VersionInfo, VersionInfo) {
	t.Helper()
	f := newFixture(t)
	e := f.create(t, "Scoreboard")
	v1 := f.submit(t, e.ID, "1.0.0")
	if _, err := f.svc.Approve(ctx, f.staff, v1.ID, 100); err != nil {
		t.Fatal(err)
	}
	v2 := f.submit(t, e.ID, "1.1.0")
	if _, err := f.svc.Approve(ctx, f.staff, v2.ID, 100); err != nil {
		t.Fatal(err)
	}
	return f, e, v1, v2
}

func (f *fixture) stats(t *testing.T, extID string) InstallStats {
	t.Helper()
	st, err := f.svc.InstallStats(ctx, accounts.Only(f.acct), extID)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestInstallEventsAggregate(t *testing.T) {
	t.Parallel()
	f, e, v1, v2 := installFixture(t)
	day1 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 0, 1)
	ev := func(id, event string, v VersionInfo, at time.Time) InstallEvent {
		return InstallEvent{InstallID: id, ExtensionID: e.ID, VersionID: v.ID, Event: event, At: at}
	}
	batch := []InstallEvent{
		ev("a", EventInstall, v1, day1), ev("b", EventInstall, v1, day1), ev("c", EventInstall, v1, day1),
		// b moves to 1.1.0 the next day; c is uninstalled; d installs 1.1.0.
		ev("b", EventUpdate, v2, day2), ev("c", EventUninstall, v1, day2), ev("d", EventInstall, v2, day2),
	}
	res, err := f.svc.RecordInstallEvents(ctx, cli, accounts.AllAccounts, batch)
	if err != nil {
		t.Fatal(err)
	}
	if res != (IngestResult{Accepted: 6}) {
		t.Errorf("result %+v", res)
	}
	want := InstallStats{Total: 4, Active: 3, ByVersion: map[string]int64{v1.ID: 1, v2.ID: 2}}
	if diff := cmp.Diff(want, f.stats(t, e.ID)); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	got, err := f.svc.GetExtension(ctx, accounts.Only(f.acct), e.ID)
	if err != nil || got.InstallCount != 4 {
		t.Errorf("installCount %d (%v), want 4", got.InstallCount, err)
	}

	// Retrying the batch changes nothing.
	res, err = f.svc.RecordInstallEvents(ctx, cli, accounts.AllAccounts, batch)
	if err != nil || res != (IngestResult{Duplicates: 6}) {
		t.Errorf("retry: %+v, %v", res, err)
	}
	if diff := cmp.Diff(want, f.stats(t, e.ID)); diff != "" {
		t.Errorf("stats after retry (-want +got):\n%s", diff)
	}

	// The chart: the last 3 days (f.now is Dec 5): Dec 3 three on 1.0.0;
	// Dec 4 one on 1.0.0 and two on 1.1.0; Dec 5 unchanged.
	h, err := f.svc.InstallHistory(ctx, accounts.Only(f.acct), e.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	wantH := InstallHistory{Days: []time.Time{day1.Truncate(24 * time.Hour), day2.Truncate(24 * time.Hour), day2.Truncate(24*time.Hour).AddDate(0, 0, 1)},
		Series: []InstallSeries{{VersionID: v2.ID, Version: "1.1.0", Active: []int64{0, 2, 2}}, {VersionID: v1.ID, Version: "1.0.0", Active: []int64{3, 1, 1}}}}
	if diff := cmp.Diff(wantH, h); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	// A window starting after the events still starts from their sum.
	h, err = f.svc.InstallHistory(ctx, accounts.Only(f.acct), e.ID, 1)
	if err != nil || len(h.Series) != 2 || h.Series[0].Active[0] != 2 || h.Series[1].Active[0] != 1 {
		t.Errorf("one-day history %+v, %v", h, err)
	}
}

func TestInstallEventsOutOfOrder(t *testing.T) {
	t.Parallel()
	f, e, v1, v2 := installFixture(t)
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	send := func(evs ...InstallEvent) {
		t.Helper()
		if _, err := f.svc.RecordInstallEvents(ctx, cli, accounts.AllAccounts, evs); err != nil {
			t.Fatal(err)
		}
	}
	// The update to 1.1.0 arrives before the install of 1.0.0 that preceded it.
	send(InstallEvent{InstallID: "x", ExtensionID: e.ID, VersionID: v2.ID, Event: EventUpdate, At: t0.Add(time.Hour)})
	send(InstallEvent{InstallID: "x", ExtensionID: e.ID, VersionID: v1.ID, Event: EventInstall, At: t0})
	if diff := cmp.Diff(InstallStats{Total: 1, Active: 1, ByVersion: map[string]int64{v2.ID: 1}}, f.stats(t, e.ID)); diff != "" {
		t.Errorf("late install moved the installation back (-want +got):\n%s", diff)
	}
	// An uninstall ends it; a late install of another id before its uninstall counts but stays inactive.
	send(InstallEvent{InstallID: "y", ExtensionID: e.ID, VersionID: v1.ID, Event: EventUninstall, At: t0.Add(2 * time.Hour)},
		InstallEvent{InstallID: "x", ExtensionID: e.ID, VersionID: v2.ID, Event: EventUninstall, At: t0.Add(3 * time.Hour)})
	send(InstallEvent{InstallID: "y", ExtensionID: e.ID, VersionID: v1.ID, Event: EventInstall, At: t0})
	if diff := cmp.Diff(InstallStats{Total: 2, Active: 0, ByVersion: map[string]int64{}}, f.stats(t, e.ID)); diff != "" {
		t.Errorf("after uninstalls (-want +got):\n%s", diff)
	}
}

func TestInstallEventsValidation(t *testing.T) {
	t.Parallel()
	f, e, v1, _ := installFixture(t)
	theirs := func() (Extension, VersionInfo) {
		o, err := f.svc.CreateExtension(ctx, cli, accounts.Only(f.other), ExtensionInput{Name: "Theirs"})
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.svc.SubmitVersion(ctx, cli, accounts.Only(f.other), o.ID, VersionInput{Version: "1.0.0", Bundle: strings.NewReader("theirs")})
		if err != nil {
			t.Fatal(err)
		}
		return o, v
	}
	oExt, oVer := theirs()
	ok := InstallEvent{InstallID: "i1", ExtensionID: e.ID, VersionID: v1.ID, Event: EventInstall, At: f.now.Add(-time.Hour)}
	with := func(mod func(*InstallEvent)) []InstallEvent { ev := ok; mod(&ev); return []InstallEvent{ok, ev} }
	many := make([]InstallEvent, MaxInstallEvents+1)
	for i := range many {
		many[i] = ok
		many[i].InstallID = fmt.Sprint("i", i)
	}
	cases := map[string]struct {
		scope  accounts.Scope
		events []InstallEvent
		field  string
	}{
		"none":                         {accounts.AllAccounts, nil, "events"},
		"too many":                     {accounts.AllAccounts, many, "events"},
		"no install id":                {accounts.AllAccounts, with(func(e *InstallEvent) { e.InstallID = "" }), "events[1].installId"},
		"long install id":              {accounts.AllAccounts, with(func(e *InstallEvent) { e.InstallID = string(make([]byte, 129)) }), "events[1].installId"},
		"bad event":                    {accounts.AllAccounts, with(func(e *InstallEvent) { e.Event = "reinstall" }), "events[1].event"},
		"bad ext id":                   {accounts.AllAccounts, with(func(e *InstallEvent) { e.ExtensionID = "ext_x" }), "events[1].extensionId"},
		"future":                       {accounts.AllAccounts, with(func(e *InstallEvent) { e.At = f.now.Add(2 * time.Hour) }), "events[1].at"},
		"no time":                      {accounts.AllAccounts, with(func(e *InstallEvent) { e.At = time.Time{} }), "events[1].at"},
		"unknown version":              {accounts.AllAccounts, with(func(e *InstallEvent) { e.VersionID = "ver_aaaaaaaaaaaaaaaa" }), "events[1].versionId"},
		"version of another extension": {accounts.AllAccounts, with(func(e *InstallEvent) { e.VersionID = oVer.ID }), "events[1].versionId"},
		"another account's extension":  {accounts.Only(f.acct), with(func(e *InstallEvent) { e.ExtensionID, e.VersionID = oExt.ID, oVer.ID }), "events[1].versionId"},
	}
	for name, c := range cases {
		_, err := f.svc.RecordInstallEvents(ctx, cli, c.scope, c.events)
		fe := fieldErrors(t, err)
		if fe[c.field] == "" {
			t.Errorf("%s: errors %v, want one on %s", name, fe, c.field)
		}
	}
	// Nothing of a refused batch was applied, not even its good first event.
	if st := f.stats(t, e.ID); st.Total != 0 {
		t.Errorf("refused batches counted: %+v", st)
	}
	if _, err := f.svc.InstallStats(ctx, accounts.Only(f.acct), oExt.ID); err != ErrExtensionNotFound {
		t.Errorf("another account's stats: %v", err)
	}
}

// The dedupe is the installation's own (migration 00055), not the events
// history's: a report repeated in its batch counts once, and one repeated
// after the retention dropped the month it was kept in is still a
// duplicate.
func TestInstallEventsDedupeOutlivesTheHistory(t *testing.T) {
	t.Parallel()
	f, e, v1, v2 := installFixture(t)
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	install := InstallEvent{InstallID: "kept", ExtensionID: e.ID, VersionID: v1.ID, Event: EventInstall, At: at}
	update := InstallEvent{InstallID: "kept", ExtensionID: e.ID, VersionID: v2.ID, Event: EventUpdate, At: at.Add(time.Hour)}
	res, err := f.svc.RecordInstallEvents(ctx, cli, accounts.AllAccounts, []InstallEvent{install, install, update})
	if err != nil || res != (IngestResult{Accepted: 2, Duplicates: 1}) {
		t.Fatalf("first batch: %+v, %v", res, err)
	}
	want := InstallStats{Total: 1, Active: 1, ByVersion: map[string]int64{v2.ID: 1}}
	if diff := cmp.Diff(want, f.stats(t, e.ID)); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	// The history is kept in the month it arrived (the fixture's clock).
	month := partition.Name("marketplace_install_events", partition.MonthOf(f.now))
	if n := countRows(t, f, month); n != 2 {
		t.Fatalf("%d events in %s, want 2", n, month)
	}
	// Two years on, a one-month retention drops that month.
	res2, err := partition.Maintain(ctx, f.db.Pool, f.now.AddDate(2, 0, 0),
		[]partition.Table{{Name: "marketplace_install_events", Column: "received_at", KeepMonths: 1}})
	if err != nil || !slices.Contains(res2.Removed, month) {
		t.Fatalf("retention: %+v, %v; want %s removed", res2, err, month)
	}
	if n := countRows(t, f, "marketplace_install_events"); n != 0 {
		t.Fatalf("%d events left after the retention", n)
	}
	res, err = f.svc.RecordInstallEvents(ctx, cli, accounts.AllAccounts, []InstallEvent{update, install})
	if err != nil || res != (IngestResult{Duplicates: 2}) {
		t.Errorf("the batch again after the retention: %+v, %v", res, err)
	}
	if diff := cmp.Diff(want, f.stats(t, e.ID)); diff != "" {
		t.Errorf("stats after the repeat (-want +got):\n%s", diff)
	}
}

func countRows(t *testing.T, f *fixture, table string) int {
	t.Helper()
	var n int
	if err := f.db.Pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Concurrent batches over the same installations and extension: the
// aggregates equal one serial application.
func TestInstallEventsConcurrent(t *testing.T) {
	t.Parallel()
	f, e, v1, v2 := installFixture(t)
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	const workers, perWorker = 6, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var batch []InstallEvent
			for i := range perWorker {
				id := fmt.Sprint("inst-", i) // every worker reports the same installations
				batch = append(batch,
					InstallEvent{InstallID: id, ExtensionID: e.ID, VersionID: v1.ID, Event: EventInstall, At: t0},
					InstallEvent{InstallID: fmt.Sprint("own-", w, "-", i), ExtensionID: e.ID, VersionID: v1.ID, Event: EventInstall, At: t0})
				if i%2 == 0 {
					batch = append(batch, InstallEvent{InstallID: id, ExtensionID: e.ID, VersionID: v2.ID, Event: EventUpdate, At: t0.Add(time.Hour)})
				}
			}
			if _, err := f.svc.RecordInstallEvents(ctx, cli, accounts.AllAccounts, batch); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	shared, own := int64(perWorker), int64(workers*perWorker)
	want := InstallStats{Total: shared + own, Active: shared + own, ByVersion: map[string]int64{v1.ID: own + shared/2, v2.ID: shared / 2}}
	if diff := cmp.Diff(want, f.stats(t, e.ID)); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	h, err := f.svc.InstallHistory(ctx, accounts.Only(f.acct), e.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, s := range h.Series {
		sum += s.Active[len(s.Active)-1]
	}
	if sum != want.Active {
		t.Errorf("chart's last day sums to %d, want %d", sum, want.Active)
	}
}

// BenchmarkRecordInstallEvents: batches of 1,000 fresh installs and
// updates; events/s is the ingestion rate the issue aims at (≥ 10,000/s).
func BenchmarkRecordInstallEvents(b *testing.B) {
	f := newFixture(b)
	e, err := f.svc.CreateExtension(ctx, cli, accounts.Only(f.acct), ExtensionInput{Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	v, err := f.svc.SubmitVersion(ctx, cli, accounts.Only(f.acct), e.ID, VersionInput{Version: "1.0.0", Bundle: strings.NewReader("bench")})
	if err != nil {
		b.Fatal(err)
	}
	at := f.now.Add(-time.Hour)
	b.ResetTimer()
	for n := range b.N {
		batch := make([]InstallEvent, MaxInstallEvents)
		for i := range batch {
			batch[i] = InstallEvent{InstallID: fmt.Sprint(n, "-", i), ExtensionID: e.ID, VersionID: v.ID, Event: EventInstall, At: at}
		}
		if _, err := f.svc.RecordInstallEvents(ctx, cli, accounts.AllAccounts, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*MaxInstallEvents)/b.Elapsed().Seconds(), "events/s")
}
