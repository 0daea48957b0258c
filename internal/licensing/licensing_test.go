package licensing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/platform/testdb"
)

var (
	cli   = audit.CLI("licensing test")
	staff = audit.Staff(1, "support@test.local")
	ctx   = context.Background()
)

// fixture is a service over a fresh database with a controllable clock, one
// account, one project (no reset cooldown unless set) and one script.
type fixture struct {
	t       *testing.T
	svc     *Service
	db      *db.DB
	mu      sync.Mutex
	clk     time.Time
	project Project
	script  Script
}

// foreignProject is a project of another account (Kestrel), for the tests
// that one account's scope never reaches it.
func (f *fixture) foreignProject() Project {
	f.t.Helper()
	var other int64
	if err := f.db.Pool.QueryRow(ctx, "INSERT INTO accounts (name, email) VALUES ('Kestrel', 'team@kestrel.test') RETURNING id").Scan(&other); err != nil {
		f.t.Fatal(err)
	}
	p, err := f.svc.CreateProject(ctx, cli, ProjectInput{AccountID: other, Name: "Theirs"})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func newFixture(t *testing.T, pool ...*pgxpool.Pool) *fixture {
	t.Helper()
	var p *pgxpool.Pool
	if len(pool) > 0 {
		p = pool[0]
	} else {
		p = testdb.New(t)
	}
	d := db.New(p)
	f := &fixture{t: t, db: d, clk: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f.svc = NewService(d)
	f.svc.now = f.now
	f.svc.counter.interval = time.Hour // tests flush by hand
	t.Cleanup(f.svc.Close)
	var acc int64
	if err := d.Pool.QueryRow(ctx, "INSERT INTO accounts (name, email) VALUES ('Nightfall', 'ops@nightfall.test') RETURNING id").Scan(&acc); err != nil {
		t.Fatal(err)
	}
	var err error
	f.project, err = f.svc.CreateProject(ctx, cli, ProjectInput{AccountID: acc, Name: "Hub", ResetCooldown: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	f.script, err = f.svc.CreateScript(ctx, cli, f.project.ID, ScriptInput{Name: "Main"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clk
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.clk = f.clk.Add(d)
	f.mu.Unlock()
}

func (f *fixture) key(in KeyInput) Key {
	f.t.Helper()
	k, err := f.svc.CreateKey(ctx, cli, f.project.ID, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return k
}

func (f *fixture) get(userKey string) Key {
	f.t.Helper()
	k, err := f.svc.GetKey(ctx, f.project.ID, userKey)
	if err != nil {
		f.t.Fatal(err)
	}
	return k
}

func (f *fixture) check(userKey, hwid string) CheckResult {
	f.t.Helper()
	r, err := f.svc.Check(ctx, CheckInput{ProjectID: f.project.ID, ScriptID: f.script.ID, ScriptKey: userKey, HWID: hwid})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *fixture) auditCount(action string, keyID int64) int {
	f.t.Helper()
	var n int
	if err := f.db.Pool.QueryRow(ctx, "SELECT count(*) FROM audit_events WHERE action = $1 AND entity_id = $2",
		action, fmt.Sprint(keyID)).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func ptr[T any](v T) *T { return &v }

func TestCreateKeyShapesAndValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := f.key(KeyInput{Note: "stock"})
	if len(k.UserKey) != UserKeyLen || k.Status != StatusReset || k.Identifier != "" || k.Banned || k.AuthExpire != nil {
		t.Fatalf("new key: %+v", k)
	}
	if f.auditCount("license_key.create", k.ID) != 1 {
		t.Fatal("create not audited")
	}
	cases := map[string]KeyInput{
		"discord_id":  {DiscordID: "12ab"},
		"key_days":    {KeyDays: ptr(0)},
		"note":        {Note: string(make([]byte, MaxNoteLen+1))},
		"identifier":  {Identifier: "a\nb"},
		"auth_expire": {KeyDays: ptr(3), AuthExpire: &Expiry{At: f.now().Add(day)}},
	}
	for field, in := range cases {
		_, err := f.svc.CreateKey(ctx, cli, f.project.ID, in)
		var verr ValidationError
		if !errors.As(err, &verr) || verr[field] == "" {
			t.Errorf("%s: got %v", field, err)
		}
	}
	if _, err := f.svc.CreateKey(ctx, cli, "0000000000000000000000", KeyInput{}); !errors.Is(err, ErrProjectNotFound) {
		t.Errorf("unknown project: %v", err)
	}
	// Staff must give a reason; API/CLI need not.
	var verr ValidationError
	if _, err := f.svc.CreateKey(ctx, staff, f.project.ID, KeyInput{}); !errors.As(err, &verr) || verr["reason"] == "" {
		t.Errorf("staff without reason: %v", err)
	}
}

// The spec's time rules.
func TestTimeRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	now := f.now()

	t.Run("key_days starts at the first execution", func(t *testing.T) {
		k := f.key(KeyInput{KeyDays: ptr(30)})
		if k.AuthExpire != nil || k.ActivatedAt != nil || *k.KeyDays != 30 {
			t.Fatalf("before use: %+v", k)
		}
		f.advance(time.Hour)
		r := f.check(k.UserKey, "hwid-a")
		if !r.Allowed || !r.Assigned {
			t.Fatalf("first execution: %+v", r)
		}
		got := f.get(k.UserKey)
		want := f.now().Add(30 * day)
		if got.AuthExpire == nil || !got.AuthExpire.Equal(want) || !got.ActivatedAt.Equal(f.now()) || got.Identifier != "hwid-a" {
			t.Fatalf("after first execution: auth_expire %v activated %v, want %v", got.AuthExpire, got.ActivatedAt, want)
		}
		// A later execution does not move the clock.
		f.advance(time.Hour)
		f.check(k.UserKey, "hwid-a")
		if again := f.get(k.UserKey); !again.AuthExpire.Equal(want) {
			t.Fatalf("clock moved: %v", again.AuthExpire)
		}
	})

	t.Run("key_days starts at a Discord link", func(t *testing.T) {
		k := f.key(KeyInput{KeyDays: ptr(7)})
		got, err := f.svc.LinkDiscord(ctx, cli, f.project.ID, k.UserKey, "123456789012345678", LinkOpts{})
		if err != nil {
			t.Fatal(err)
		}
		if got.AuthExpire == nil || !got.AuthExpire.Equal(f.now().Add(7*day)) {
			t.Fatalf("auth_expire %v", got.AuthExpire)
		}
		// The first execution afterwards binds the HWID but keeps the clock.
		f.advance(day)
		f.check(k.UserKey, "hwid-b")
		if k2 := f.get(k.UserKey); !k2.AuthExpire.Equal(*got.AuthExpire) || k2.Identifier != "hwid-b" {
			t.Fatalf("after execution: %+v", k2)
		}
	})

	t.Run("auth_expire without identifier or discord_id becomes key_days", func(t *testing.T) {
		at := f.now().Add(10*day - time.Hour) // rounds up to 10 days
		k := f.key(KeyInput{AuthExpire: &Expiry{At: at}})
		if k.AuthExpire != nil || k.KeyDays == nil || *k.KeyDays != 10 {
			t.Fatalf("got auth_expire %v key_days %v", k.AuthExpire, k.KeyDays)
		}
		if _, err := f.svc.CreateKey(ctx, cli, f.project.ID, KeyInput{AuthExpire: &Expiry{At: f.now().Add(-time.Minute)}}); err == nil {
			t.Fatal("past auth_expire of an unclaimed key accepted")
		}
	})

	t.Run("auth_expire with identifier or discord_id counts at once", func(t *testing.T) {
		at := f.now().Add(5 * day).Truncate(time.Second)
		for _, in := range []KeyInput{{Identifier: "hw", AuthExpire: &Expiry{At: at}}, {DiscordID: "42", AuthExpire: &Expiry{At: at}}} {
			k := f.key(in)
			if k.AuthExpire == nil || !k.AuthExpire.Equal(at) || k.KeyDays != nil {
				t.Fatalf("got %+v", k)
			}
		}
	})

	t.Run("-1 on PATCH means never expires", func(t *testing.T) {
		k := f.key(KeyInput{Identifier: "hw", AuthExpire: &Expiry{At: f.now().Add(day)}})
		got, err := f.svc.UpdateKey(ctx, cli, f.project.ID, k.UserKey, KeyPatch{AuthExpire: ptr(ExpiryFromUnix(-1))})
		if err != nil {
			t.Fatal(err)
		}
		if got.AuthExpire != nil || got.KeyDays != nil {
			t.Fatalf("got %+v", got)
		}
		// and for a stocked key, it drops the day budget too
		k = f.key(KeyInput{KeyDays: ptr(3)})
		got, _ = f.svc.UpdateKey(ctx, cli, f.project.ID, k.UserKey, KeyPatch{AuthExpire: ptr(ExpiryFromUnix(-1))})
		if got.KeyDays != nil || got.AuthExpire != nil {
			t.Fatalf("stocked: %+v", got)
		}
	})

	t.Run("PATCH auth_expire converts for unclaimed keys, sets for claimed ones", func(t *testing.T) {
		k := f.key(KeyInput{})
		got, err := f.svc.UpdateKey(ctx, cli, f.project.ID, k.UserKey, KeyPatch{AuthExpire: &Expiry{At: f.now().Add(2 * day)}})
		if err != nil || got.KeyDays == nil || *got.KeyDays != 2 || got.AuthExpire != nil {
			t.Fatalf("unclaimed: %+v %v", got, err)
		}
		at := f.now().Add(3 * day)
		got, err = f.svc.UpdateKey(ctx, cli, f.project.ID, k.UserKey, KeyPatch{Identifier: ptr("hw2"), AuthExpire: &Expiry{At: at}})
		if err != nil || got.AuthExpire == nil || !got.AuthExpire.Equal(at) || got.KeyDays != nil {
			t.Fatalf("claimed: %+v %v", got, err)
		}
		// key_days on an activated key is refused
		act := f.key(KeyInput{KeyDays: ptr(1)})
		f.check(act.UserKey, "hw3")
		if _, err := f.svc.UpdateKey(ctx, cli, f.project.ID, act.UserKey, KeyPatch{KeyDays: ptr(5)}); !errors.Is(err, ErrKeyActivated) {
			t.Fatalf("key_days on activated key: %v", err)
		}
	})

	t.Run("an expired key is refused", func(t *testing.T) {
		k := f.key(KeyInput{KeyDays: ptr(1)})
		f.check(k.UserKey, "hw-exp")
		f.advance(day + time.Second)
		r := f.check(k.UserKey, "hw-exp")
		if r.Allowed || r.Reason != ReasonExpired {
			t.Fatalf("got %+v", r)
		}
		if !f.get(k.UserKey).Expired {
			t.Fatal("Expired not set")
		}
	})

	t.Run("a ban with ban_expire ends by itself", func(t *testing.T) {
		k := f.key(KeyInput{})
		f.check(k.UserKey, "hw-ban")
		until := f.now().Add(2 * time.Hour)
		b, err := f.svc.Blacklist(ctx, cli, f.project.ID, k.UserKey, BlacklistInput{BanReason: "cheating", Expire: &until})
		if err != nil || !b.Banned || b.Status != StatusActive || len(b.UnbanToken) != UnbanTokenLen {
			t.Fatalf("blacklist: %+v %v", b, err)
		}
		if r := f.check(k.UserKey, "hw-ban"); r.Allowed || r.Reason != ReasonBanned || r.BanReason != "cheating" || !r.BanExpire.Equal(until) {
			t.Fatalf("while banned: %+v", r)
		}
		f.advance(2*time.Hour + time.Second)
		if r := f.check(k.UserKey, "hw-ban"); !r.Allowed {
			t.Fatalf("after ban_expire: %+v", r)
		}
		if g := f.get(k.UserKey); g.Banned || g.BanReason != "" || g.UnbanToken != "" {
			t.Fatalf("key after ban end: %+v", g)
		}
	})
	_ = now
}

func TestStatusesAndListFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fresh := f.key(KeyInput{Note: "fresh"})
	active := f.key(KeyInput{Identifier: "hw-active", DiscordID: "111"})
	activeBanned := f.key(KeyInput{Identifier: "hw-ab"})
	banned := f.key(KeyInput{})
	expiredBan := f.key(KeyInput{})
	if _, err := f.svc.Blacklist(ctx, cli, f.project.ID, activeBanned.UserKey, BlacklistInput{BanReason: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Blacklist(ctx, cli, f.project.ID, banned.UserKey, BlacklistInput{BanReason: "y"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Blacklist(ctx, cli, f.project.ID, expiredBan.UserKey, BlacklistInput{Expire: ptr(f.now().Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	f.advance(2 * time.Minute)
	want := map[string]string{fresh.UserKey: StatusReset, active.UserKey: StatusActive, activeBanned.UserKey: StatusActive,
		banned.UserKey: StatusBanned, expiredBan.UserKey: StatusReset}
	for uk, st := range want {
		if got := f.get(uk).Status; got != st {
			t.Errorf("%s: status %s, want %s", uk, got, st)
		}
	}
	if g := f.get(activeBanned.UserKey); !g.Banned {
		t.Error("active-but-banned key reads as not banned")
	}
	// The SQL filters agree with the Go rule.
	list := func(kf KeyFilter) []string {
		t.Helper()
		kf.ProjectID = f.project.ID
		kf.Sort, kf.Desc = SortCreated, false
		page, err := f.svc.ListKeys(ctx, kf)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range page.Keys {
			out = append(out, k.UserKey)
		}
		return out
	}
	// searched is what a search for term lists: the keys named, and any
	// other whose random user_key holds term by chance (for three letters,
	// about one run in a thousand), in the order they were made.
	searched := func(term string, named ...string) []string {
		var out []string
		for _, k := range []Key{fresh, active, activeBanned, banned, expiredBan} {
			if slices.Contains(named, k.UserKey) || strings.Contains(strings.ToLower(k.UserKey), strings.ToLower(term)) {
				out = append(out, k.UserKey)
			}
		}
		return out
	}
	checks := []struct {
		name string
		f    KeyFilter
		want []string
	}{
		{"active", KeyFilter{Status: StatusActive}, []string{active.UserKey, activeBanned.UserKey}},
		{"reset", KeyFilter{Status: StatusReset}, []string{fresh.UserKey, expiredBan.UserKey}},
		{"banned status", KeyFilter{Status: StatusBanned}, []string{banned.UserKey}},
		{"banned field", KeyFilter{Banned: ptr(true)}, []string{activeBanned.UserKey, banned.UserKey}},
		{"has discord", KeyFilter{HasDiscord: ptr(true)}, []string{active.UserKey}},
		{"identifier", KeyFilter{Identifier: "hw-ab"}, []string{activeBanned.UserKey}},
		{"discord", KeyFilter{DiscordID: "111"}, []string{active.UserKey}},
		{"user_key", KeyFilter{UserKey: banned.UserKey}, []string{banned.UserKey}},
		{"search note word prefix", KeyFilter{Search: "FRE"}, searched("FRE", fresh.UserKey)},
		{"search inside a note word", KeyFilter{Search: "RESH"}, searched("RESH")}, // notes match by words (migration 00044)
		{"search key part", KeyFilter{Search: banned.UserKey[5:15]}, searched(banned.UserKey[5:15], banned.UserKey)},
		{"search wildcard is literal", KeyFilter{Search: "%"}, nil},
		{"offset", KeyFilter{Offset: 3, Limit: 1}, []string{banned.UserKey}},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, list(c.f)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
		// The count filters as the list does (the page position aside).
		if c.f.Offset != 0 {
			continue
		}
		c.f.ProjectID = f.project.ID
		n, err := f.svc.CountKeys(ctx, c.f, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := (listcount.Count{N: int64(len(c.want))}); n != want {
			t.Errorf("%s: count %+v, want %+v", c.name, n, want)
		}
	}
	// Past the cap the count says "at least": 5 keys counted up to 3 (or 4).
	for _, tc := range []struct {
		cap  int
		want listcount.Count
	}{{3, listcount.Count{N: 3, More: true}}, {4, listcount.Count{N: 4, More: true}}, {5, listcount.Count{N: 5}}} {
		if n, err := f.svc.CountKeys(ctx, KeyFilter{ProjectID: f.project.ID, After: &Cursor{At: f.now(), ID: 1}}, tc.cap); err != nil || n != tc.want {
			t.Errorf("count capped at %d: %+v, %v; want %+v", tc.cap, n, err, tc.want)
		}
	}
	if _, err := f.svc.CountKeys(ctx, KeyFilter{Status: "weird"}, 0); err == nil {
		t.Error("count: bad status accepted")
	}
	// A search counts to listcount.SearchCap, whatever the caller asked.
	many := make([]BulkKey, listcount.SearchCap+1)
	for i := range many {
		many[i] = BulkKey{Note: fmt.Sprintf("giveaway %d", i), CreatedAt: f.now()}
	}
	if _, err := f.svc.BulkLoadKeys(ctx, cli, f.project.ID, many); err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.CountKeys(ctx, KeyFilter{ProjectID: f.project.ID, Search: "giveaway"}, listcount.Cap); err != nil || n != (listcount.Count{N: listcount.SearchCap, More: true}) {
		t.Errorf("search count: %+v, %v; want %d+", n, err, listcount.SearchCap)
	}
	// "giveaway 19" of giveaway 0-200: 19 and 190-199.
	narrow := fmt.Sprintf("giveaway %d", listcount.SearchCap/10-1)
	if n, err := f.svc.CountKeys(ctx, KeyFilter{ProjectID: f.project.ID, Search: narrow}, listcount.Cap); err != nil || n != (listcount.Count{N: 11}) {
		t.Errorf("narrow search count of %q: %+v, %v; want 11", narrow, n, err)
	}
	if n, err := f.svc.CountKeys(ctx, KeyFilter{ProjectID: f.project.ID}, listcount.Cap); err != nil || n.More || n.N < int64(len(many)) {
		t.Errorf("unsearched count: %+v, %v; want every key, exactly", n, err)
	}
	if _, err := f.svc.ListKeys(ctx, KeyFilter{Status: "weird"}); err == nil {
		t.Error("bad status accepted")
	}
}

func TestKeysetPagination(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var all []string
	for i := 0; i < 7; i++ {
		f.advance(time.Second)
		all = append([]string{f.key(KeyInput{}).UserKey}, all...) // newest first
	}
	for _, sort := range []string{SortCreated, SortExpires, SortLastUsed} {
		got := f.pages(KeyFilter{ProjectID: f.project.ID, Sort: sort, Desc: true, Limit: 3})
		if len(got) != 7 {
			t.Fatalf("%s: %d keys over pages", sort, len(got))
		}
		if sort == SortCreated {
			if diff := cmp.Diff(all, got); diff != "" {
				t.Errorf("created desc (-want +got):\n%s", diff)
			}
		}
	}
}

func TestResetHWID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := f.key(KeyInput{})
	if _, err := f.svc.ResetHWID(ctx, cli, f.project.ID, k.UserKey, ResetOpts{}); !errors.Is(err, ErrNoHWID) {
		t.Fatalf("reset of unassigned key: %v", err)
	}
	f.check(k.UserKey, "hw-1")
	got, err := f.svc.ResetHWID(ctx, cli, f.project.ID, k.UserKey, ResetOpts{})
	if err != nil || got.Identifier != "" || got.Status != StatusReset || got.TotalResets != 1 || !got.LastResetAt.Equal(f.now()) {
		t.Fatalf("reset: %+v %v", got, err)
	}
	// The next execution binds a new HWID.
	if r := f.check(k.UserKey, "hw-2"); !r.Allowed || !r.Assigned {
		t.Fatalf("after reset: %+v", r)
	}
	// Within the project's one-hour cooldown: refused with its end.
	f.advance(10 * time.Minute)
	_, err = f.svc.ResetHWID(ctx, cli, f.project.ID, k.UserKey, ResetOpts{})
	var cd *ResetCooldownError
	if !errors.Is(err, ErrResetCooldown) || !errors.As(err, &cd) || !cd.Ends.Equal(f.now().Add(50*time.Minute)) {
		t.Fatalf("cooldown: %v", err)
	}
	// force ignores it.
	if got, err := f.svc.ResetHWID(ctx, cli, f.project.ID, k.UserKey, ResetOpts{Force: true}); err != nil || got.TotalResets != 2 {
		t.Fatalf("forced: %+v %v", got, err)
	}
	if f.auditCount("license_key.reset_hwid", k.ID) != 1 || f.auditCount("license_key.reset_hwid_force", k.ID) != 1 {
		t.Fatal("resets not audited")
	}
	// Banned keys keep their HWID (the ban covers it).
	f.check(k.UserKey, "hw-3")
	if _, err := f.svc.Blacklist(ctx, cli, f.project.ID, k.UserKey, BlacklistInput{}); err != nil {
		t.Fatal(err)
	}
	f.advance(2 * time.Hour)
	if _, err := f.svc.ResetHWID(ctx, cli, f.project.ID, k.UserKey, ResetOpts{Force: true}); !errors.Is(err, ErrKeyBanned) {
		t.Fatalf("reset of banned key: %v", err)
	}
	top, err := f.svc.TopResets(ctx, f.project.ID, f.now().Add(-30*day), 10)
	if err != nil || len(top) != 1 || top[0].Resets != 2 {
		t.Fatalf("top resets: %+v %v", top, err)
	}
}

func TestBlacklistUnbanAndHWIDBan(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.key(KeyInput{})
	b := f.key(KeyInput{})
	f.check(a.UserKey, "shared-hw")
	banned, err := f.svc.Blacklist(ctx, cli, f.project.ID, a.UserKey, BlacklistInput{BanReason: "reselling"})
	if err != nil {
		t.Fatal(err)
	}
	// Another key on the blacklisted HWID is refused too, and stays unbound.
	if r := f.check(b.UserKey, "shared-hw"); r.Allowed || r.Reason != ReasonHWIDBanned || r.BanReason != "reselling" {
		t.Fatalf("hwid ban: %+v", r)
	}
	if f.get(b.UserKey).Identifier != "" {
		t.Fatal("refused execution bound the HWID")
	}
	// A new blacklist makes a new token; the old one no longer works.
	again, err := f.svc.Blacklist(ctx, cli, f.project.ID, a.UserKey, BlacklistInput{BanReason: "reselling (2)"})
	if err != nil || again.UnbanToken == banned.UnbanToken {
		t.Fatalf("re-blacklist: %v", err)
	}
	if _, err := f.svc.UnbanByToken(ctx, cli, f.project.ID, banned.UnbanToken); !errors.Is(err, ErrUnbanTokenInvalid) {
		t.Fatalf("old token: %v", err)
	}
	// The token works once.
	un, err := f.svc.UnbanByToken(ctx, cli, f.project.ID, again.UnbanToken)
	if err != nil || un.Banned || un.Identifier != "shared-hw" {
		t.Fatalf("unban: %+v %v", un, err)
	}
	if _, err := f.svc.UnbanByToken(ctx, cli, f.project.ID, again.UnbanToken); !errors.Is(err, ErrUnbanTokenInvalid) {
		t.Fatalf("second use: %v", err)
	}
	if r := f.check(b.UserKey, "shared-hw"); !r.Allowed {
		t.Fatalf("after unban: %+v", r)
	}
	if _, err := f.svc.Unban(ctx, cli, f.project.ID, a.UserKey, ""); !errors.Is(err, ErrNotBanned) {
		t.Fatalf("unban of unbanned key: %v", err)
	}
	shared, _, err := f.svc.SharedHWIDs(ctx, f.project.ID, 10)
	if err != nil || len(shared) != 1 || shared[0].Identifier != "shared-hw" || shared[0].Keys != 2 {
		t.Fatalf("shared hwids: %+v %v", shared, err)
	}
	// A few keys are read anew on each call (CheapKeys).
	c := f.key(KeyInput{})
	f.check(c.UserKey, "shared-hw")
	if shared, _, err = f.svc.SharedHWIDs(ctx, f.project.ID, 10); err != nil || len(shared) != 1 || shared[0].Keys != 3 {
		t.Fatalf("shared hwids after a third key bound the HWID: %+v %v", shared, err)
	}
	if f.auditCount("license_key.blacklist", a.ID) != 2 || f.auditCount("license_key.unban", a.ID) != 1 {
		t.Fatal("blacklist/unban not audited")
	}
}

func TestLinkDiscordForce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := f.key(KeyInput{DiscordID: "1"})
	if _, err := f.svc.LinkDiscord(ctx, cli, f.project.ID, k.UserKey, "2", LinkOpts{}); !errors.Is(err, ErrDiscordLinked) {
		t.Fatalf("overwrite without force: %v", err)
	}
	if got, err := f.svc.LinkDiscord(ctx, cli, f.project.ID, k.UserKey, "2", LinkOpts{Force: true}); err != nil || got.DiscordID != "2" {
		t.Fatalf("force: %+v %v", got, err)
	}
	if got, err := f.svc.LinkDiscord(ctx, cli, f.project.ID, k.UserKey, "2", LinkOpts{}); err != nil || got.DiscordID != "2" {
		t.Fatalf("same id again: %+v %v", got, err)
	}
}

func TestCheckAnswers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := f.key(KeyInput{})
	f.check(k.UserKey, "hw")
	cases := []struct {
		name      string
		key, hwid string
		want      Reason
		allowed   bool
	}{
		{"valid", k.UserKey, "hw", ReasonOK, true},
		{"mismatch", k.UserKey, "other", ReasonHWIDMismatch, false},
		{"unknown key", "nope", "hw", ReasonUnknownKey, false},
		{"no key", "", "hw", ReasonKeyRequired, false},
	}
	for _, c := range cases {
		r := f.check(c.key, c.hwid)
		if r.Reason != c.want || r.Allowed != c.allowed || r.Message == "" {
			t.Errorf("%s: %+v", c.name, r)
		}
	}
	if _, err := f.svc.Check(ctx, CheckInput{ProjectID: f.project.ID, ScriptID: "ffffffffffffffffffffffffffffffff"}); !errors.Is(err, ErrScriptNotFound) {
		t.Errorf("unknown script: %v", err)
	}
	// Unassigned key without HWID.
	u := f.key(KeyInput{})
	if r := f.check(u.UserKey, ""); r.Reason != ReasonHWIDRequired {
		t.Errorf("no hwid: %+v", r)
	}
	// Dry run: explains, changes nothing.
	r, err := f.svc.Check(ctx, CheckInput{ProjectID: f.project.ID, ScriptID: f.script.ID, ScriptKey: u.UserKey, HWID: "x", DryRun: true})
	if err != nil || !r.Allowed || !r.Assigned {
		t.Fatalf("dry run: %+v %v", r, err)
	}
	if f.get(u.UserKey).Identifier != "" {
		t.Fatal("dry run bound the HWID")
	}
	// FFA: no key needed, bans still apply.
	ffa, err := f.svc.UpdateScript(ctx, cli, f.project.ID, f.script.ID, ScriptUpdate{FFA: ptr(true)})
	if err != nil || !ffa.FFA {
		t.Fatal(err)
	}
	if r := f.check("", "anyone"); !r.Allowed || r.Reason != ReasonFFA {
		t.Errorf("ffa: %+v", r)
	}
	if _, err := f.svc.Blacklist(ctx, cli, f.project.ID, k.UserKey, BlacklistInput{}); err != nil {
		t.Fatal(err)
	}
	if r := f.check("", "hw"); r.Allowed || r.Reason != ReasonHWIDBanned {
		t.Errorf("ffa with banned hwid: %+v", r)
	}
}

// Twenty first executions of one key with twenty HWIDs at once: exactly one
// binds, the others are refused as a HWID mismatch.
func TestFirstExecutionRace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := f.key(KeyInput{KeyDays: ptr(30)})
	const n = 20
	results := make([]CheckResult, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := f.svc.Check(ctx, CheckInput{ProjectID: f.project.ID, ScriptID: f.script.ID, ScriptKey: k.UserKey, HWID: fmt.Sprintf("hwid-%02d", i)})
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		}()
	}
	close(start)
	wg.Wait()
	var winners []string
	for i, r := range results {
		switch {
		case r.Allowed && r.Assigned:
			winners = append(winners, fmt.Sprintf("hwid-%02d", i))
		case r.Allowed:
			t.Errorf("allowed without binding: %+v", r)
		case r.Reason != ReasonHWIDMismatch:
			t.Errorf("loser reason %s", r.Reason)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("winners %v, want exactly one", winners)
	}
	got := f.get(k.UserKey)
	if got.Identifier != winners[0] || got.AuthExpire == nil {
		t.Fatalf("bound %q (winner %s), auth_expire %v", got.Identifier, winners[0], got.AuthExpire)
	}
	if n := f.auditCount("license_key.hwid_assign", k.ID); n != 1 {
		t.Fatalf("%d hwid_assign audit rows", n)
	}
}

// A reset racing executions from the old and a new HWID: before the reset
// only the old HWID runs, after it exactly one execution rebinds, and the
// key ends bound to the HWID of that execution.
func TestResetVersusCheckRace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for round := 0; round < 5; round++ {
		k := f.key(KeyInput{})
		f.check(k.UserKey, "old")
		var wg sync.WaitGroup
		start := make(chan struct{})
		var mu sync.Mutex
		var rebinds []string
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				hw := "old"
				if i%2 == 1 {
					hw = fmt.Sprintf("new-%d", i)
				}
				for j := 0; j < 3; j++ {
					r, err := f.svc.Check(ctx, CheckInput{ProjectID: f.project.ID, ScriptID: f.script.ID, ScriptKey: k.UserKey, HWID: hw})
					if err != nil {
						t.Error(err)
						return
					}
					if r.Assigned {
						mu.Lock()
						rebinds = append(rebinds, hw)
						mu.Unlock()
					}
					if !r.Allowed && r.Reason != ReasonHWIDMismatch {
						t.Errorf("reason %s", r.Reason)
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := f.svc.ResetHWID(ctx, cli, f.project.ID, k.UserKey, ResetOpts{Force: true}); err != nil {
				t.Error(err)
			}
		}()
		close(start)
		wg.Wait()
		got := f.get(k.UserKey)
		switch len(rebinds) {
		case 0: // every execution ran before the reset
			if got.Identifier != "" {
				t.Fatalf("round %d: no rebind but identifier %q", round, got.Identifier)
			}
		case 1:
			if got.Identifier != rebinds[0] {
				t.Fatalf("round %d: rebound by %s but identifier %q", round, rebinds[0], got.Identifier)
			}
		default:
			t.Fatalf("round %d: %d rebinds %v", round, len(rebinds), rebinds)
		}
		if got.TotalResets != 1 {
			t.Fatalf("round %d: total_resets %d", round, got.TotalResets)
		}
	}
}

func TestExecutionCounterFlush(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.key(KeyInput{})
	b := f.key(KeyInput{})
	f.check(a.UserKey, "ha")
	f.check(b.UserKey, "hb")
	if err := f.svc.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%5 == 0 {
				f.check(b.UserKey, "hb")
			} else {
				f.check(a.UserKey, "ha")
			}
		}()
	}
	wg.Wait()
	// Refused executions are not counted.
	f.check(a.UserKey, "wrong")
	if got := f.get(a.UserKey).TotalExecutions; got != 1 {
		t.Fatalf("counted before flush: %d (want 1: no write per call)", got)
	}
	if p := f.svc.PendingExecutions(); p != 50 {
		t.Fatalf("pending %d", p)
	}
	if err := f.svc.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	ka, kb := f.get(a.UserKey), f.get(b.UserKey)
	if ka.TotalExecutions != 41 || kb.TotalExecutions != 11 || !ka.LastExecutionAt.Equal(f.now()) {
		t.Fatalf("after flush: a=%d b=%d last=%v", ka.TotalExecutions, kb.TotalExecutions, ka.LastExecutionAt)
	}
	sc, _ := f.svc.GetScript(ctx, f.project.ID, f.script.ID)
	if sc.TotalExecutions != 52 {
		t.Fatalf("script executions %d", sc.TotalExecutions)
	}
	daily, err := f.svc.KeyExecutionsByDay(ctx, a.ID, 7)
	if err != nil || len(daily) != 7 || daily[6].Count != 41 || !daily[6].Day.Equal(f.now().Truncate(day)) {
		t.Fatalf("daily: %+v %v", daily, err)
	}
	st, err := f.svc.AccountStats(ctx, f.project.AccountID, true)
	if err != nil || st.TotalExecutions != 52 || st.Daily[StatsDays-1].Count != 52 || st.Users.Total != 2 || st.Users.Active != 2 {
		t.Fatalf("stats: %+v %v", st, err)
	}
	// The key counts are the account's overview's, which an account under
	// CheapKeys keys reads anew: a new key counts at once. An operator key
	// (account 0) counts every account's keys.
	f.key(KeyInput{Note: "third"})
	if st, err = f.svc.AccountStats(ctx, f.project.AccountID, true); err != nil || st.Users.Total != 3 || st.Users.Active != 2 {
		t.Fatalf("stats after a new key: %+v %v", st.Users, err)
	}
	if all, err := f.svc.AccountStats(ctx, 0, true); err != nil || all.Users.Total < 3 {
		t.Fatalf("operator stats: %+v %v", all.Users, err)
	}
	// A failed flush keeps the counts for the next one.
	f.check(a.UserKey, "ha")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := f.svc.FlushExecutions(cctx); err == nil {
		t.Fatal("flush with a cancelled context succeeded")
	}
	if p := f.svc.PendingExecutions(); p != 1 {
		t.Fatalf("pending after failed flush %d", p)
	}
	// Close flushes the rest.
	f.svc.Close()
	if got := f.get(a.UserKey).TotalExecutions; got != 42 {
		t.Fatalf("after close: %d", got)
	}
}

func TestScriptVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i, src := range []string{"print(1)", "print(2)"} {
		sc, err := f.svc.UpdateScript(ctx, cli, f.project.ID, f.script.ID, ScriptUpdate{Source: ptr(src), Silent: ptr(i == 1)})
		if err != nil || sc.Version != i+1 {
			t.Fatalf("upload %d: %+v %v", i, sc, err)
		}
	}
	vs, err := f.svc.ScriptVersions(ctx, f.project.ID, f.script.ID)
	if err != nil || len(vs) != 2 || vs[0].Version != 2 || !vs[0].Silent || vs[1].Silent {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	v1, err := f.svc.ScriptVersion(ctx, f.project.ID, f.script.ID, 1)
	if err != nil || v1.Source != "print(1)" {
		t.Fatalf("v1: %+v %v", v1, err)
	}
	cur, _ := f.svc.ScriptVersion(ctx, f.project.ID, f.script.ID, 0)
	if cur.Source != "print(2)" {
		t.Fatalf("current: %+v", cur)
	}
}

func TestDeleteKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := f.key(KeyInput{})
	f.check(k.UserKey, "h")
	if err := f.svc.DeleteKey(ctx, cli, f.project.ID, k.UserKey, "refund"); err != nil {
		t.Fatal(err)
	}
	// Counts of a deleted key flush without error.
	if err := f.svc.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GetKey(ctx, f.project.ID, k.UserKey); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if r := f.check(k.UserKey, "h"); r.Reason != ReasonUnknownKey {
		t.Fatalf("check after delete: %+v", r)
	}
	if f.auditCount("license_key.delete", k.ID) != 1 {
		t.Fatal("delete not audited")
	}
	if _, err := audit.Verify(ctx, f.db.Queries); err != nil {
		t.Fatal(err)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	c := Cursor{At: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), ID: 42}
	got, err := ParseCursor(c.String())
	if err != nil || !got.At.Equal(c.At) || got.ID != 42 {
		t.Fatalf("%+v %v", got, err)
	}
	for _, bad := range []string{"", "!!", "eA", c.String() + "x"} {
		if _, err := ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q) accepted", bad)
		}
	}
}

func FuzzParseCursor(f *testing.F) {
	f.Add(Cursor{At: time.Unix(1, 0), ID: 1}.String())
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCursor(s)
		if err == nil && c.ID <= 0 {
			t.Fatalf("accepted id %d", c.ID)
		}
	})
}

// BenchmarkCheck is the loader check over 200 bound keys, reading the
// database each time and answered from the node's cache (cache.go).
func BenchmarkCheck(b *testing.B) {
	b.Run("database", func(b *testing.B) { benchmarkCheck(b, false) })
	b.Run("cache", func(b *testing.B) { benchmarkCheck(b, true) })
}

func benchmarkCheck(b *testing.B, cached bool) {
	pool := testdb.New(b)
	d := db.New(pool)
	svc := NewService(d)
	defer svc.Close()
	if cached {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		svc.StartCheckCache(cctx)
		for !svc.CheckCacheStats().Live {
			time.Sleep(time.Millisecond)
		}
	}
	var acc int64
	if err := d.Pool.QueryRow(ctx, "INSERT INTO accounts (name, email) VALUES ('B', 'b@bench.test') RETURNING id").Scan(&acc); err != nil {
		b.Fatal(err)
	}
	p, err := svc.CreateProject(ctx, cli, ProjectInput{AccountID: acc, Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	sc, err := svc.CreateScript(ctx, cli, p.ID, ScriptInput{Name: "s"})
	if err != nil {
		b.Fatal(err)
	}
	keys, err := svc.GenerateKeys(ctx, cli, p.ID, 200, KeyInput{})
	if err != nil {
		b.Fatal(err)
	}
	for i, k := range keys {
		if _, err := svc.Check(ctx, CheckInput{ProjectID: p.ID, ScriptID: sc.ID, ScriptKey: k.UserKey, HWID: fmt.Sprint("hw", i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			k := i % len(keys)
			r, err := svc.Check(ctx, CheckInput{ProjectID: p.ID, ScriptID: sc.ID, ScriptKey: keys[k].UserKey, HWID: fmt.Sprint("hw", k)})
			if err != nil || !r.Allowed {
				b.Fatalf("%+v %v", r, err)
			}
			i++
		}
	})
}

// TestKeyListQueriesShareTheirFilters holds the seven list queries and the
// count to one WHERE clause: sqlc cannot share SQL between queries, so the
// copies are compared here (the keyset line differs by sort and direction).
func TestKeyListQueriesShareTheirFilters(t *testing.T) {
	t.Parallel()
	filters := map[string]string{}
	for _, q := range testdb.ReadQueries(t, "../../db/queries/licensing_key_lists.sql") {
		if q.Name == "EstimateKeySearch" {
			continue
		}
		_, where, ok := strings.Cut(q.SQL, "\nWHERE ")
		if !ok {
			t.Fatalf("%s: no WHERE", q.Name)
		}
		where, _, _ = strings.Cut(where, "sqlc.narg(after_at)")
		filters[q.Name] = where
	}
	if len(filters) != 8 {
		t.Fatalf("%d queries, want the seven lists and the count", len(filters))
	}
	for name, w := range filters {
		if diff := cmp.Diff(filters["CountLicenseKeys"], w); diff != "" {
			t.Errorf("%s filters differ from the count's (-count +list):\n%s", name, diff)
		}
	}
}

// TestExpiredFilterBoundsTheExpiryWalk plans the expiry sorts with the
// Expired filter, sequential scans priced out: the filter must be the
// expiry index's own range (its Index Cond), or the walk passes every key
// on the other side of now first (at a million keys, 70,000 expired keys
// before the first unexpired one: 0.3 s; 930,000 the other way: 2-4 s).
func TestExpiredFilterBoundsTheExpiryWalk(t *testing.T) {
	t.Parallel()
	conn := testdb.PlanConn(t, testdb.New(t))
	planned := 0
	for _, q := range testdb.ReadQueries(t, "../../db/queries/licensing_key_lists.sql") {
		if !strings.HasPrefix(q.Name, "ListLicenseKeysExpires") {
			continue
		}
		planned++
		for _, expired := range []string{"true", "false"} {
			plan := testdb.Explain(t, conn, q, listPlanValues(map[string]string{"expired": expired}))
			want := "Index Cond: (COALESCE(auth_expire, '9999-12-31 00:00:00+00'::timestamp with time zone) > now())"
			if expired == "true" {
				want = strings.Replace(want, "> now()", "<= now()", 1)
			}
			if !strings.Contains(strings.Join(plan, "\n"), want) {
				t.Errorf("%s, expired %s: the expiry index is not bounded by now:\n%s", q.Name, expired, strings.Join(plan, "\n"))
			}
		}
	}
	if planned != 2 {
		t.Errorf("planned %d expiry sorts, want 2", planned)
	}
}

// TestFarEndFiltersWalkTheirOwnIndex: some filters' keys lie together at
// the far end of a sort. Keys never used, keys with no HWID (reset, banned
// without one) and banned keys mostly have no expiry, so sorted by expiry,
// soonest first, they lie after every key that has one; keys banned or
// with no HWID do not run, so sorted by last use, newest first, they lie
// after every key that ran lately. Filtered to them, the sort walks a
// partial index of only such keys (migrations 00051, 00052) rather than
// the sort's own, which passed up to 470,000 keys for the first page at a
// million.
func TestFarEndFiltersWalkTheirOwnIndex(t *testing.T) {
	t.Parallel()
	conn := testdb.PlanConn(t, testdb.New(t))
	queries := map[string]testdb.Query{}
	for _, q := range testdb.ReadQueries(t, "../../db/queries/licensing_key_lists.sql") {
		queries[q.Name] = q
	}
	for _, c := range []struct{ query, filter, index, sortIndex string }{
		{"ListLicenseKeysExpiresAsc", "status=reset", "license_keys_unbound_expire", "license_keys_expire"},
		{"ListLicenseKeysExpiresAsc", "status=banned", "license_keys_unbound_expire", "license_keys_expire"},
		{"ListLicenseKeysExpiresAsc", "banned=true", "license_keys_banned_expire", "license_keys_expire"},
		{"ListLicenseKeysExpiresAsc", "never_used=true", "license_keys_unused_expire", "license_keys_expire"},
		{"ListLicenseKeysLastUsedDesc", "banned=true", "license_key_activity_banned_last", "license_key_activity_last"},
		{"ListLicenseKeysLastUsedDesc", "status=reset", "license_key_activity_unbound_last", "license_key_activity_last"},
		{"ListLicenseKeysLastUsedAsc", "banned=true", "license_key_activity_banned_last", "license_key_activity_last"},
		{"ListLicenseKeysLastUsedAsc", "status=reset", "license_key_activity_unbound_last", "license_key_activity_last"},
	} {
		q, ok := queries[c.query]
		if !ok {
			t.Fatalf("no query %s", c.query)
		}
		name, value, _ := strings.Cut(c.filter, "=")
		if name == "status" {
			value = "'" + value + "'"
		}
		plan := strings.Join(testdb.Explain(t, conn, q, listPlanValues(map[string]string{name: value})), "\n")
		// A walk at a million keys; on the test's few keys the planner may
		// read the same index into a bitmap and sort.
		if !strings.Contains(plan, c.index) || strings.Contains(plan, c.sortIndex+" ") {
			t.Errorf("%s, %s: does not read %s:\n%s", c.query, c.filter, c.index, plan)
		}
	}
}

// listPlanValues gives a key list query's params for testdb.Explain: the
// filters given (param name to SQL value), a first page of 51 at now(),
// and NULL for every other param.
func listPlanValues(filters map[string]string) func(string) string {
	return func(name string) string {
		if v, ok := filters[name]; ok {
			return v
		}
		switch name {
		case "now":
			return "now()"
		case "off":
			return "0"
		case "lim":
			return "51"
		}
		return "NULL"
	}
}

// TestExecutionsWriteNoKeyRow: the execution counter's flush writes every
// executed key every second, so it writes the narrow license_key_activity
// row and not the key's (migration 00053): the key's row is written once,
// at its first flushed execution, to set used (the never-used filter's).
// The counts land on the activity row and the key reads them from there.
// A key's later flushes within a minute are HOT updates of that row
// (migration 00054): the sort's indexes hold the minute of the last run.
func TestExecutionsWriteNoKeyRow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := f.key(KeyInput{})
	tx, err := f.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	q := store.New(tx)
	// stat is a count of this transaction's writes of a table.
	stat := func(fn, table string) (n int64) {
		t.Helper()
		if err := tx.QueryRow(ctx, "SELECT "+fn+"($1::regclass)", table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	written := func() int64 { return stat("pg_stat_get_xact_tuples_updated", "license_keys") }
	hot := func() int64 { return stat("pg_stat_get_xact_tuples_hot_updated", "license_key_activity") }
	at := lastUsedSort(f.now()) // the flushes below are in one minute
	flushes := 0
	flush := func(n int64) {
		t.Helper()
		at = at.Add(time.Second)
		// Only the first flush's check read no run of the key.
		if err := writeCounts(ctx, q, keyCounts(k.ID, n, at, flushes == 0)); err != nil {
			t.Fatal(err)
		}
		flushes++
	}
	flush(2) // the first execution: used turns true
	if n := written(); n != 1 {
		t.Errorf("the first flush wrote %d license_keys rows, want 1 (used)", n)
	}
	flush(3)
	flush(4)
	if n := written(); n != 1 {
		t.Errorf("later flushes wrote %d license_keys rows in all, want only the first's 1", n)
	}
	if n := hot(); n != 2 {
		t.Errorf("%d of the flushes of one minute were HOT updates, want the two after the first", n)
	}
	at = at.Add(time.Minute) // a run in a later minute moves the sort's entry
	flush(1)
	if n := hot(); n != 2 {
		t.Errorf("the flush of a later minute was a HOT update (%d in all)", n)
	}
	r, err := q.GetLicenseKeyByID(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	a := r.LicenseKeyActivity
	if !r.LicenseKey.Used || a.TotalExecutions != 10 || !a.LastExecutionAt.Equal(at) ||
		a.LastExecutionMinute == nil || !a.LastExecutionMinute.Equal(lastUsedSort(at)) {
		t.Errorf("after four flushes: used %v, executions %d, last %v in the minute %v; want true, 10, %v in %v",
			r.LicenseKey.Used, a.TotalExecutions, a.LastExecutionAt, a.LastExecutionMinute, at, lastUsedSort(at))
	}
}

// keyCounts is a counter's batch of one key's executions (first: its check
// read no run of it).
func keyCounts(keyID, n int64, last time.Time, first bool) counts {
	c := newCounts()
	c.keys[keyID] = &tally{n: n, last: last, first: first}
	return c
}

// TestCheckNamesFirstRuns: the check tells the counter which keys it read
// no run of, and the flush marks only those used; a key that ran before is
// not written (nor probed) again.
func TestCheckNamesFirstRuns(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := f.key(KeyInput{})
	first := func() bool {
		t.Helper()
		f.svc.counter.mu.Lock()
		defer f.svc.counter.mu.Unlock()
		ta := f.svc.counter.pending.keys[k.ID]
		if ta == nil {
			t.Fatal("the check counted no execution")
		}
		return ta.first
	}
	if r := f.check(k.UserKey, "hw-first"); !r.Allowed {
		t.Fatalf("first check: %+v", r)
	}
	if !first() {
		t.Error("the key's first run is not named a first run")
	}
	if err := f.svc.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := f.db.GetLicenseKeyByID(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.LicenseKey.Used {
		t.Error("the flush of a first run did not mark the key used")
	}
	f.check(k.UserKey, "hw-first")
	if first() {
		t.Error("a key that ran before is named a first run again")
	}
	if ids := firstRuns(f.svc.counter.pending.keys, []int64{k.ID}); len(ids) != 0 {
		t.Errorf("firstRuns = %v, want none", ids)
	}
}

// TestFlushAndKeyChangeTakeRowsInOneOrder: a change of a key locks its row
// and then, through the trigger of migration 00052, its activity row; the
// counter's flush of the key's first run must take them in the same order.
// Here a ban holds the key's row while a flush of its first run starts:
// the flush waits for the key, and the ban then writes the activity row
// and commits. In the other order each would wait for the other, and
// Postgres would abort one of them as a deadlock.
func TestFlushAndKeyChangeTakeRowsInOneOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := f.key(KeyInput{})
	ban, err := f.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ban.Rollback(ctx)
	bq := store.New(ban)
	p, err := f.svc.project(ctx, bq, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	row, err := bq.LockLicenseKey(ctx, store.LockLicenseKeyParams{ProjectID: p.ID, UserKey: k.UserKey})
	if err != nil {
		t.Fatal(err)
	}
	flushed := make(chan error, 1)
	go func() {
		flushed <- f.db.Tx(ctx, func(q *store.Queries) error { return writeCounts(ctx, q, keyCounts(k.ID, 1, f.now(), true)) })
	}()
	eventually(t, "the flush waiting for a row lock", func() bool {
		var waiting bool
		if err := f.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%license_key%')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		return waiting
	})
	next := row.LicenseKey
	next.Banned, next.BanReason = true, "chargeback"
	if _, err := bq.SaveLicenseKey(ctx, saveParams(next, f.now())); err != nil {
		t.Fatalf("the ban's save, with a flush of the key's first run waiting: %v", err)
	}
	if err := ban.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-flushed; err != nil {
		t.Fatalf("the flush after the ban: %v", err)
	}
	got := f.get(k.UserKey)
	if !got.Banned || got.TotalExecutions != 1 || got.LastExecutionAt == nil {
		t.Errorf("after both: banned %v, executions %d, last %v; want banned, 1, set", got.Banned, got.TotalExecutions, got.LastExecutionAt)
	}
}

// TestRebuiltSearchIndexIsTheMigrations: seed --scale drops the search
// indexes (the key fragments' trigram one and the note's word one) and
// makes them again from queries of its own; the indexes it makes must be
// the ones the migrations made (definition, options, and the statistics
// target of the indexed column, which migration 00048 set on the table),
// or a large data set would be benchmarked on different indexes.
func TestRebuiltSearchIndexIsTheMigrations(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	index := func(name string) string {
		var def, opts, stats string
		err := f.db.Pool.QueryRow(ctx, `SELECT pg_get_indexdef(c.oid), coalesce(array_to_string(c.reloptions, ','), ''),
			coalesce((SELECT ta.attstattarget::text FROM pg_attribute ia
				JOIN pg_attribute ta ON ta.attrelid = 'license_keys'::regclass AND ta.attname = ia.attname
				WHERE ia.attrelid = c.oid AND ia.attnum = 1), '')
			FROM pg_class c WHERE c.relname = $1`, name).Scan(&def, &opts, &stats)
		if db.IsNotFound(err) {
			return ""
		}
		if err != nil {
			t.Fatal(err)
		}
		return def + " | " + opts + " | statistics " + stats
	}
	names := []string{"license_keys_search_ids", "license_keys_search_note"}
	migrated := map[string]string{}
	for _, name := range names {
		migrated[name] = index(name)
		if !strings.Contains(migrated[name], "fastupdate=off") || !strings.HasSuffix(migrated[name], "statistics 1000") {
			t.Errorf("migrated index %q: want fastupdate=off (migrations 00042, 00044, 00048) and statistics 1000", migrated[name])
		}
	}
	if err := f.svc.DropSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if got := index(name); got != "" {
			t.Errorf("after DropSearchIndex: %s", got)
		}
	}
	if err := f.svc.RebuildSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if rebuilt := index(name); rebuilt != migrated[name] {
			t.Errorf("rebuilt index:\n  %s\nmigrated:\n  %s", rebuilt, migrated[name])
		}
	}
}
