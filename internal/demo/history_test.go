package demo_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"lumdesk/handlers/server"
	"lumdesk/internal/demo"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

// The demo has a history, so that the charts' 30 and 90 day ranges show
// more than today: sign-ups, key creations, executions, the ledger and
// deposits each reach back at least 60 days and spread over many days.
func TestSeedHasAHistory(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	box, _ := secretbox.New(bytes.Repeat([]byte{1}, 32))
	svc := server.NewServices(config.Config{Demo: true}, d, box)
	t.Cleanup(svc.Licensing.Close)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, svc.DemoDeps()); err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]string{
		"accounts":   `SELECT min(created_at), count(DISTINCT created_at::date) FROM accounts`,
		"keys":       `SELECT min(created_at), count(DISTINCT created_at::date) FROM license_keys`,
		"executions": `SELECT min(day)::timestamptz, count(DISTINCT day) FROM licensing_project_daily_executions`,
		"ledger":     `SELECT min(created_at), count(DISTINCT created_at::date) FROM ledger_entries`,
		"deposits":   `SELECT min(created_at), count(DISTINCT created_at::date) FROM deposits WHERE status = 'paid'`,
	} {
		var first time.Time
		var days int
		if err := d.Pool.QueryRow(ctx, q).Scan(&first, &days); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if span := time.Since(first); span < 60*24*time.Hour || days < 15 {
			t.Errorf("%s reach back %.0f days over %d distinct days; want at least 60 days over 15", name, span.Hours()/24, days)
		}
	}
}

// The demo's Lumi items agree with their dates: none reads "Expired" with
// an expiry to come (the auto-renew pass the demo runs a year on expired
// the VPS and proxies bought before it), and the one failed renewal is
// there, on the domain its owner cannot pay for.
func TestSeedLumiItemsAgreeWithTheirDates(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	box, _ := secretbox.New(bytes.Repeat([]byte{1}, 32))
	svc := server.NewServices(config.Config{Demo: true, BillingApprovalLimit: 500_00}, d, box) // the default limit
	t.Cleanup(svc.Licensing.Close)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, svc.DemoDeps()); err != nil {
		t.Fatal(err)
	}
	var expired, active, failed int
	err := d.Pool.QueryRow(ctx, `
		WITH items AS (
			SELECT status, expires_at, renewal_failed_reason FROM lumi_domains
			UNION ALL SELECT status, expires_at, renewal_failed_reason FROM lumi_vps
			UNION ALL SELECT status, expires_at, renewal_failed_reason FROM lumi_proxies)
		SELECT count(*) FILTER (WHERE status = 'expired' AND expires_at > now()),
		       count(*) FILTER (WHERE status = 'active'),
		       count(*) FILTER (WHERE renewal_failed_reason <> '')
		FROM items`).Scan(&expired, &active, &failed)
	if err != nil {
		t.Fatal(err)
	}
	if expired != 0 || active < 8 || failed != 1 {
		t.Errorf("%d expired with an expiry to come, %d active, %d failed renewals; want 0, at least 8, 1", expired, active, failed)
	}
}
