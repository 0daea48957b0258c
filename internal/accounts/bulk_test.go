package accounts_test

import (
	"fmt"
	"testing"
	"time"

	"lumdesk/db/store"
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

// The sign-up chart reads a daily roll-up the accounts' triggers keep
// (migration 00047): after sign-ups one by one, a COPY bulk load over 40
// days, a many-row INSERT, a backdated account and deleted ones, Stats'
// days are the count of the accounts themselves, and the roll-up as a
// whole is the accounts grouped by day.
func TestSignupRollupIsTheCount(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	mustCreate(t, s, "Today One", "today1@example.com", "")
	moved := mustCreate(t, s, "Today Two", "today2@example.com", "")
	now := time.Now().UTC()
	var bulk []accounts.BulkAccount
	for i := range 120 {
		bulk = append(bulk, accounts.BulkAccount{Name: fmt.Sprintf("Bulk %d", i), Email: fmt.Sprintf("bulk%d@example.com", i),
			CreatedAt: now.Add(-time.Duration(i) * 8 * time.Hour)})
	}
	if _, err := s.BulkLoad(ctx, actor, bulk); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pool.Exec(ctx, `INSERT INTO accounts (name, email, created_at)
		SELECT 'Series ' || g, 'series' || g || '@example.com', now() - g * interval '5 hours' FROM generate_series(1, 50) g`); err != nil {
		t.Fatal(err)
	}
	if err := d.BackdateAccount(ctx, store.BackdateAccountParams{ID: moved.ID, CreatedAt: now.AddDate(0, 0, -6)}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pool.Exec(ctx, `DELETE FROM accounts WHERE email IN ('bulk3@example.com', 'bulk4@example.com', 'series7@example.com')`); err != nil {
		t.Fatal(err)
	}

	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	today := now.Truncate(24 * time.Hour)
	since := today.AddDate(0, 0, -(accounts.StatsDays - 1))
	want := map[string]int64{}
	rows, err := d.Pool.Query(ctx, `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), count(*) FROM accounts
		WHERE created_at >= $1 GROUP BY 1`, since)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var day string
		var n int64
		if err := rows.Scan(&day, &n); err != nil {
			t.Fatal(err)
		}
		want[day] = n
	}
	rows.Close()
	var sum int64
	for _, dc := range st.Daily {
		if w := want[dc.Day.Format(time.DateOnly)]; dc.Count != w {
			t.Errorf("%s: %d sign-ups, the accounts say %d", dc.Day.Format(time.DateOnly), dc.Count, w)
		}
		sum += dc.Count
	}
	if sum < 80 { // most of the 172 fall in the 30 days: the test would prove nothing with none
		t.Fatalf("only %d sign-ups in the period", sum)
	}
	var mismatched int
	if err := d.Pool.QueryRow(ctx, `SELECT count(*) FROM (
		SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM accounts GROUP BY 1) a
		FULL JOIN (SELECT day, n FROM account_signups_daily WHERE n > 0) r USING (day)
		WHERE a.n IS DISTINCT FROM r.n`).Scan(&mismatched); err != nil || mismatched != 0 {
		t.Fatalf("%d days where the roll-up is not the accounts' count (%v)", mismatched, err)
	}
}
