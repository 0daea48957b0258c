package licensing

import (
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
)

func (f *fixture) setPlan(maxUsers, obfuscations int) {
	f.t.Helper()
	if _, err := f.svc.SetPlan(ctx, staff, f.project.AccountID, PlanInput{MaxUsers: maxUsers, Obfuscations: obfuscations, Reason: "plan test"}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) keysInProject(projectID string) int {
	f.t.Helper()
	var n int
	if err := f.db.Pool.QueryRow(ctx, "SELECT count(*) FROM license_keys k JOIN licensing_projects p ON p.id = k.project_id WHERE p.public_id = $1",
		projectID).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) usage() PlanUsage {
	f.t.Helper()
	u, err := f.svc.PlanUsage(ctx, f.project.AccountID)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func TestSetPlanValidatesAndAudits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acc := f.project.AccountID

	// Never set: no limits.
	p, err := f.svc.GetPlan(ctx, acc)
	if err != nil || p.MaxUsers != Unlimited || p.Obfuscations != Unlimited || p.UpdatedAt != nil {
		t.Fatalf("default plan %+v %v", p, err)
	}
	if _, err := f.svc.GetPlan(ctx, acc+1000); !errors.Is(err, ErrAccountNotFound) {
		t.Fatalf("plan of a missing account: %v", err)
	}

	bad := map[string]PlanInput{
		"reason":       {MaxUsers: 10, Obfuscations: 10},                            // required from every actor
		"max_users":    {MaxUsers: -2, Obfuscations: 10, Reason: "x"},               // only -1 means unlimited
		"obfuscations": {MaxUsers: 10, Obfuscations: MaxPlanLimit + 1, Reason: "x"}, // a typing error
	}
	for field, in := range bad {
		for _, a := range []audit.Actor{staff, cli} {
			_, err := f.svc.SetPlan(ctx, a, acc, in)
			var verr ValidationError
			if !errors.As(err, &verr) || verr[field] == "" {
				t.Errorf("%s by %s: got %v", field, a.Kind, err)
			}
		}
	}
	if _, err := f.svc.SetPlan(ctx, staff, acc+1000, PlanInput{MaxUsers: 1, Obfuscations: 1, Reason: "x"}); !errors.Is(err, ErrAccountNotFound) {
		t.Fatalf("set plan of a missing account: %v", err)
	}

	set, err := f.svc.SetPlan(ctx, staff, acc, PlanInput{MaxUsers: 500, Obfuscations: 40, Reason: "  Pro plan bought  "})
	if err != nil {
		t.Fatal(err)
	}
	if set.MaxUsers != 500 || set.Obfuscations != 40 || set.UpdatedAt == nil {
		t.Fatalf("set plan %+v", set)
	}
	if _, err := f.svc.SetPlan(ctx, staff, acc, PlanInput{MaxUsers: Unlimited, Obfuscations: 0, Reason: "downgrade"}); err != nil {
		t.Fatal(err)
	}
	got, _ := f.svc.GetPlan(ctx, acc)
	if got.MaxUsers != Unlimited || got.Obfuscations != 0 {
		t.Fatalf("plan after second set %+v", got)
	}

	// One audit row per change, with the reason and the before and after.
	rows, err := f.db.Pool.Query(ctx, `SELECT actor_kind, entity_type, entity_id, reason, coalesce(before::text, ''), after::text
		FROM audit_events WHERE action = 'licensing_plan.set' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Kind, Type, ID, Reason, Before, After string }
	var audits []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.Kind, &r.Type, &r.ID, &r.Reason, &r.Before, &r.After); err != nil {
			t.Fatal(err)
		}
		audits = append(audits, r)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	norm := func(s string) string {
		if s == "" {
			return ""
		}
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	for i := range audits {
		audits[i].Before, audits[i].After = norm(audits[i].Before), norm(audits[i].After)
	}
	id := strconv.FormatInt(acc, 10)
	want := []row{
		{"staff", "account", id, "Pro plan bought", "", `{"max_users_per_project":500,"obfuscations_per_month":40}`},
		{"staff", "account", id, "downgrade", `{"max_users_per_project":500,"obfuscations_per_month":40}`, `{"max_users_per_project":-1,"obfuscations_per_month":0}`},
	}
	if diff := cmp.Diff(want, audits); diff != "" {
		t.Fatalf("audit rows (-want +got):\n%s", diff)
	}
}

func TestMaxUsersRefusesEveryCreatePath(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other, err := f.svc.CreateProject(ctx, cli, ProjectInput{AccountID: f.project.AccountID, Name: "Second"})
	if err != nil {
		t.Fatal(err)
	}
	f.key(KeyInput{})
	f.setPlan(4, Unlimited)

	// API / CLI create: up to the limit, then refused with the figures.
	f.key(KeyInput{})
	f.key(KeyInput{})
	_, err = f.svc.CreateKey(ctx, cli, f.project.ID, KeyInput{Note: "fourth"})
	if err != nil {
		t.Fatalf("fourth key: %v", err)
	}
	_, err = f.svc.CreateKey(ctx, cli, f.project.ID, KeyInput{Note: "fifth"})
	var ule *UserLimitError
	if !errors.Is(err, ErrUserLimit) || !errors.As(err, &ule) || ule.Max != 4 || ule.Users != 4 {
		t.Fatalf("fifth key: %v", err)
	}
	if f.keysInProject(f.project.ID) != 4 {
		t.Fatalf("%d keys after a refused create", f.keysInProject(f.project.ID))
	}

	// The limit is per project: the account's other project has its own room.
	// GenerateKeys is all or nothing.
	if _, err := f.svc.GenerateKeys(ctx, cli, other.ID, 5, KeyInput{}); !errors.Is(err, ErrUserLimit) {
		t.Fatalf("generate 5 into 4: %v", err)
	}
	if n := f.keysInProject(other.ID); n != 0 {
		t.Fatalf("a refused generate left %d keys", n)
	}
	if _, err := f.svc.GenerateKeys(ctx, cli, other.ID, 3, KeyInput{}); err != nil {
		t.Fatalf("generate 3 into 4: %v", err)
	}

	// The bulk job's generate makes the keys that fit and reports the rest.
	var seen []Key
	made, err := f.svc.GenerateKeysThen(ctx, cli, other.ID, 3, KeyInput{}, func(_ *store.Queries, keys []Key) error {
		seen = append(seen, keys...)
		return nil
	})
	if !errors.Is(err, ErrUserLimit) || len(made) != 1 || len(seen) != 1 || seen[0].ID != made[0].ID {
		t.Fatalf("generate 3 with room for 1: %d made, %d seen, %v", len(made), len(seen), err)
	}
	made, err = f.svc.GenerateKeysThen(ctx, cli, other.ID, 2, KeyInput{}, func(*store.Queries, []Key) error {
		t.Error("then called without keys")
		return nil
	})
	if !errors.Is(err, ErrUserLimit) || len(made) != 0 {
		t.Fatalf("generate into a full project: %d made, %v", len(made), err)
	}

	// CSV import: one key per item, refused when full.
	_, err = f.svc.ImportKey(ctx, cli, f.project.ID, ImportInput{UserKey: "imported-key-1"}, nil)
	if !errors.Is(err, ErrUserLimit) {
		t.Fatalf("import into a full project: %v", err)
	}

	// Raising the limit makes room; lowering it keeps what exists.
	f.setPlan(5, Unlimited)
	if _, err := f.svc.ImportKey(ctx, cli, f.project.ID, ImportInput{UserKey: "imported-key-1"}, nil); err != nil {
		t.Fatalf("import after raising the limit: %v", err)
	}
	f.setPlan(2, Unlimited)
	if n := f.keysInProject(f.project.ID); n != 5 {
		t.Fatalf("lowering the limit changed the keys: %d", n)
	}
	if _, err := f.svc.CreateKey(ctx, cli, f.project.ID, KeyInput{}); !errors.Is(err, ErrUserLimit) {
		t.Fatalf("create over a lowered limit: %v", err)
	}
	// Deleting keys makes room again.
	page, err := f.svc.ListKeys(ctx, KeyFilter{ProjectID: f.project.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range page.Keys[:4] {
		if err := f.svc.DeleteKey(ctx, cli, f.project.ID, k.UserKey, ""); err != nil {
			t.Fatal(err)
		}
	}
	f.key(KeyInput{})
	// Unlimited again: no refusal.
	f.setPlan(Unlimited, Unlimited)
	if _, err := f.svc.GenerateKeys(ctx, cli, f.project.ID, 20, KeyInput{}); err != nil {
		t.Fatal(err)
	}
}

func TestObfuscationQuotaAndMonthlyReset(t *testing.T) {
	t.Parallel()
	f := newFixture(t) // its script creation counted 1 this month (no plan then)
	src := func(s string) ScriptUpdate { return ScriptUpdate{Source: &s} }
	if u := f.usage(); u.ObfuscationsUsed != 1 || u.ObfuscationsRemaining != Unlimited || u.Obfuscations != Unlimited {
		t.Fatalf("usage without a plan %+v", u)
	}
	f.setPlan(Unlimited, 3)
	if u := f.usage(); u.ObfuscationsUsed != 1 || u.ObfuscationsRemaining != 2 || u.Obfuscations != 3 ||
		!u.Month.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("usage %+v", u)
	}
	if _, err := f.svc.UpdateScript(ctx, cli, f.project.ID, f.script.ID, src("print(1)")); err != nil {
		t.Fatal(err)
	}
	second, err := f.svc.CreateScript(ctx, cli, f.project.ID, ScriptInput{Name: "Second"})
	if err != nil {
		t.Fatal(err)
	}
	// Quota used: an upload and a create are refused, and count nothing.
	_, err = f.svc.UpdateScript(ctx, cli, f.project.ID, f.script.ID, src("print(2)"))
	var qe *ObfuscationQuotaError
	if !errors.Is(err, ErrObfuscationQuota) || !errors.As(err, &qe) || qe.Max != 3 ||
		!qe.Resets.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("upload past the quota: %v", err)
	}
	if _, err := f.svc.CreateScript(ctx, cli, f.project.ID, ScriptInput{Name: "Third"}); !errors.Is(err, ErrObfuscationQuota) {
		t.Fatalf("create past the quota: %v", err)
	}
	if sc, _ := f.svc.GetScript(ctx, f.project.ID, f.script.ID); sc.Version != 1 {
		t.Fatalf("a refused upload made version %d", sc.Version)
	}
	if scripts, _ := f.svc.ListScripts(ctx, f.project.ID); len(scripts) != 2 {
		t.Fatalf("%d scripts after a refused create", len(scripts))
	}
	if u := f.usage(); u.ObfuscationsUsed != 3 || u.ObfuscationsRemaining != 0 {
		t.Fatalf("usage at the quota %+v", u)
	}
	// Changing flags or the name is no upload: it is not counted or refused.
	if _, err := f.svc.UpdateScript(ctx, cli, f.project.ID, second.ID, ScriptUpdate{FFA: ptr(true), Name: ptr("Renamed")}); err != nil {
		t.Fatalf("flag change at the quota: %v", err)
	}

	// The last day of the month, one second before midnight: still refused.
	f.advance(time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC).Sub(f.now()))
	if _, err := f.svc.UpdateScript(ctx, cli, f.project.ID, f.script.ID, src("print(3)")); !errors.Is(err, ErrObfuscationQuota) {
		t.Fatalf("upload on the month's last second: %v", err)
	}
	// A new UTC month: the quota is whole again.
	f.advance(time.Second)
	if u := f.usage(); u.ObfuscationsUsed != 0 || u.ObfuscationsRemaining != 3 {
		t.Fatalf("usage in a new month %+v", u)
	}
	if _, err := f.svc.UpdateScript(ctx, cli, f.project.ID, f.script.ID, src("print(4)")); err != nil {
		t.Fatalf("upload in a new month: %v", err)
	}
	if u := f.usage(); u.ObfuscationsUsed != 1 || u.ObfuscationsRemaining != 2 {
		t.Fatalf("usage after an upload %+v", u)
	}

	// Stats report the plan.
	st, err := f.svc.AccountStats(ctx, f.project.AccountID, false)
	if err != nil {
		t.Fatal(err)
	}
	if st.MaxUsers != Unlimited || st.ObfuscationsMax != 3 || st.ObfuscationsUsed != 1 || st.ObfuscationsRemaining != 2 {
		t.Fatalf("stats %+v", st)
	}
	st, err = f.svc.AccountStats(ctx, 0, false)
	if err != nil || st.MaxUsers != Unlimited || st.ObfuscationsMax != Unlimited || st.ObfuscationsRemaining != Unlimited {
		t.Fatalf("operator stats %+v %v", st, err)
	}
}

// Concurrent creates at limit-1 (and uploads at quota-1): exactly one wins.
func TestPlanLimitsHoldUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// One connection per racer (the test pool has 4), so all are in their
	// transactions at once.
	const limit, racers = 6, 4
	// The uploads race in separate projects of the account, so the project
	// lock does not order them: only the monthly counter does.
	scripts := make([]Script, racers)
	for i := range scripts {
		p, err := f.svc.CreateProject(ctx, cli, ProjectInput{AccountID: f.project.AccountID, Name: "Race " + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		if scripts[i], err = f.svc.CreateScript(ctx, cli, p.ID, ScriptInput{Name: "S"}); err != nil {
			t.Fatal(err)
		}
	}
	used := f.usage().ObfuscationsUsed // the fixture's script and the racers'
	f.setPlan(limit, used+1)
	for range limit - 1 {
		f.key(KeyInput{})
	}

	// The gate holds each racer between its count and its change until every
	// racer has counted too, or waits on a lock: without the lock, all of
	// them count limit-1 and pass; with it, the others wait for the first.
	watch, err := pgx.Connect(ctx, f.db.Pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)
	var arrived atomic.Int32
	var watchMu sync.Mutex
	f.svc.afterLimitCount = func() {
		arrived.Add(1)
		for {
			var waiting int32
			watchMu.Lock()
			err := watch.QueryRow(ctx, `SELECT count(*)::int FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
			watchMu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			if arrived.Load()+waiting >= racers {
				return
			}
			time.Sleep(time.Millisecond) // poll interval of the condition above
		}
	}
	defer func() { f.svc.afterLimitCount = nil }()

	race := func(name string, fn func(i int) error, limitErr error) {
		t.Helper()
		arrived.Store(0)
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, racers)
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = fn(i)
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, limitErr):
				t.Errorf("%s: unexpected error %v", name, err)
			}
		}
		if ok != 1 {
			t.Errorf("%s: %d of %d concurrent requests passed at limit-1, want 1", name, ok, racers)
		}
	}
	race("create key", func(int) error {
		_, err := f.svc.CreateKey(ctx, cli, f.project.ID, KeyInput{})
		return err
	}, ErrUserLimit)
	if n := f.keysInProject(f.project.ID); n != limit {
		t.Fatalf("%d keys, limit %d", n, limit)
	}
	race("upload", func(i int) error {
		_, err := f.svc.UpdateScript(ctx, cli, scripts[i].ProjectID, scripts[i].ID, ScriptUpdate{Source: ptr("v" + strconv.Itoa(i))})
		return err
	}, ErrObfuscationQuota)
	if u := f.usage(); u.ObfuscationsUsed != used+1 || u.ObfuscationsRemaining != 0 {
		t.Fatalf("obfuscations used %d, quota %d", u.ObfuscationsUsed, used+1)
	}
}
