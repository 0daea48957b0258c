package accounts_test

import (
	"testing"
	"time"

	"lumdesk/internal/accounts"
)

// A bulk load writes the accounts as given (status, creation time) in one
// audited call, and they list and search like any others.
func TestBulkLoadAccounts(t *testing.T) {
	s, d := newService(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	n, err := s.BulkLoad(ctx, actor, []accounts.BulkAccount{
		{Name: "Maria Quixote", Email: "maria.q@example.com", CreatedAt: at},
		{Name: "Hugo Silva", Email: "hugo@example.com", DiscordID: "123456789012345678", Suspended: true, SuspendedReason: "Chargeback", CreatedAt: at.Add(time.Hour)},
	})
	if err != nil || n != 2 {
		t.Fatalf("bulk load = %d, %v", n, err)
	}
	a, err := s.GetByEmail(ctx, "hugo@example.com")
	if err != nil || !a.Suspended() || a.SuspendedReason != "Chargeback" || !a.CreatedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("hugo = %+v, %v", a, err)
	}
	var events int
	if err := d.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'account.bulk_load'`).Scan(&events); err != nil || events != 1 {
		t.Errorf("account.bulk_load events = %d, %v", events, err)
	}
	if _, err := s.BulkLoad(ctx, actor, []accounts.BulkAccount{{Name: "Again", Email: "HUGO@example.com", CreatedAt: at}}); err == nil {
		t.Error("a taken email (any case) loaded")
	}
}
