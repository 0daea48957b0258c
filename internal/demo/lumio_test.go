package demo_test

import (
	"bytes"
	"context"
	"testing"

	"lumdesk/handlers/server"
	"lumdesk/internal/accounts"
	"lumdesk/internal/demo"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/marketplace/inspect"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

// The demo's Lumio has extensions with reviewed versions and one pending
// version whose stored bundle the inspector reads and compares with the
// approved one; seeding twice adds nothing.
func TestSeedLumio(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	box, _ := secretbox.New(bytes.Repeat([]byte{1}, 32))
	svc := server.NewServices(config.Config{Demo: true, DataDir: t.TempDir()}, d, box)
	t.Cleanup(svc.Licensing.Close)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := demo.Seed(ctx, svc.DemoDeps()); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
	}
	page, err := svc.Marketplace.ListConsole(ctx, marketplace.ConsoleFilter{Limit: 50})
	if err != nil || len(page.Extensions) != 4 {
		t.Fatalf("extensions: %d %v", len(page.Extensions), err)
	}
	q, err := svc.Marketplace.ReviewQueue(ctx, nil, 10)
	if err != nil || len(q.Items) != 2 {
		t.Fatalf("queue: %+v %v", q, err)
	}
	var notes marketplace.QueueItem
	for _, it := range q.Items {
		if it.ExtensionName == "Kestrel Deploy Notes" {
			notes = it
		}
	}
	v, err := svc.Marketplace.GetVersion(ctx, accounts.AllAccounts, notes.VersionID)
	if err != nil {
		t.Fatal(err)
	}
	prev, err := svc.Marketplace.PreviousApproved(ctx, v.ID)
	if err != nil || prev == nil {
		t.Fatalf("previous: %v %v", prev, err)
	}
	r, err := inspect.Inspect(ctx, svc.Marketplace.OpenBundleSHA, v, prev, "src/main.js")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, f := range r.Flags {
		kinds[f.Kind] = true
	}
	if !kinds[inspect.FlagMinified] || !kinds[inspect.FlagBinary] || !kinds[inspect.FlagPermission] || len(r.Removed) != 1 || r.Preview == nil {
		t.Errorf("inspector: flags %v removed %v preview %v", kinds, r.Removed, r.Preview != nil)
	}
	var installs int64
	for _, e := range page.Extensions {
		installs += e.InstallCount
	}
	if installs != 12+30+8 {
		t.Errorf("demo installs %d", installs)
	}
	diffed := false
	for _, d := range r.Diffs {
		diffed = diffed || (d.Path == "src/main.js" && len(d.Hunks) > 0)
	}
	if !diffed {
		t.Errorf("no diff of src/main.js: %+v", r.Diffs)
	}
}
