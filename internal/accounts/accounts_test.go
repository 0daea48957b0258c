package accounts_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/platform/testdb"
)

var (
	ctx   = context.Background()
	actor = audit.Staff(7, "support@test.local")
)

func newService(t *testing.T) (*accounts.Service, *db.DB) {
	t.Helper()
	d := db.New(testdb.New(t))
	return accounts.NewService(d), d
}

func mustCreate(t *testing.T, s *accounts.Service, name, email, discord string) accounts.Account {
	t.Helper()
	a, err := s.Create(ctx, actor, accounts.CreateInput{Name: name, Email: email, DiscordID: discord})
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return a
}

type auditRow struct {
	ActorKind, ActorID, Action, EntityType, EntityID, Reason string
	Before, After                                            map[string]any
}

func auditRows(t *testing.T, d *db.DB, action string) []auditRow {
	t.Helper()
	rows, err := d.Pool.Query(ctx, `SELECT actor_kind, actor_id, action, entity_type, entity_id, reason, before, after
		FROM audit_events WHERE action = $1 ORDER BY id`, action)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var r auditRow
		var before, after []byte
		if err := rows.Scan(&r.ActorKind, &r.ActorID, &r.Action, &r.EntityType, &r.EntityID, &r.Reason, &before, &after); err != nil {
			t.Fatal(err)
		}
		if before != nil {
			_ = json.Unmarshal(before, &r.Before)
		}
		if after != nil {
			_ = json.Unmarshal(after, &r.After)
		}
		out = append(out, r)
	}
	return out
}

func view(name, email, discord, note, status, reason string) map[string]any {
	return map[string]any{"name": name, "email": email, "discord_id": discord, "note": note, "status": status, "suspended_reason": reason}
}

func TestCreateValidatesEachField(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	valid := accounts.CreateInput{Name: "Nightfall Studios", Email: "ops@nightfall.gg", DiscordID: "123456789012345678", Note: "VIP"}
	cases := []struct {
		field  string
		modify func(*accounts.CreateInput)
	}{
		{"name", func(in *accounts.CreateInput) { in.Name = "   " }},
		{"name", func(in *accounts.CreateInput) { in.Name = strings.Repeat("é", 201) }},
		{"name", func(in *accounts.CreateInput) { in.Name = "bad\x00name" }},
		{"name", func(in *accounts.CreateInput) { in.Name = "two\nlines" }},
		{"name", func(in *accounts.CreateInput) { in.Name = "\xff\xfe" }},
		{"email", func(in *accounts.CreateInput) { in.Email = "" }},
		{"email", func(in *accounts.CreateInput) { in.Email = "not-an-email" }},
		{"email", func(in *accounts.CreateInput) { in.Email = "Ops <ops@nightfall.gg>" }},
		{"email", func(in *accounts.CreateInput) { in.Email = "ops@localhost" }},
		{"email", func(in *accounts.CreateInput) { in.Email = strings.Repeat("a", 250) + "@x.io" }},
		{"discord_id", func(in *accounts.CreateInput) { in.DiscordID = "1234" }},
		{"discord_id", func(in *accounts.CreateInput) { in.DiscordID = "12345678901234567a" }},
		{"discord_id", func(in *accounts.CreateInput) { in.DiscordID = "123456789012345678901" }},
		{"discord_id", func(in *accounts.CreateInput) { in.DiscordID = "99999999999999999999" }}, // 20 digits past uint64
		{"note", func(in *accounts.CreateInput) { in.Note = strings.Repeat("x", 2001) }},
		{"note", func(in *accounts.CreateInput) { in.Note = "bell\a" }},
	}
	for i, c := range cases {
		in := valid
		c.modify(&in)
		_, err := s.Create(ctx, actor, in)
		var verr accounts.ValidationError
		if !errors.As(err, &verr) {
			t.Fatalf("case %d (%s): err = %v, want a ValidationError", i, c.field, err)
		}
		if len(verr) != 1 || verr[c.field] == "" {
			t.Errorf("case %d: errors = %v, want exactly one on %s", i, verr, c.field)
		}
	}
	if n := len(auditRows(t, d, "account.create")); n != 0 {
		t.Fatalf("%d audit rows after refused creations", n)
	}
	// Edges that are fine: 200 characters, 2000-character note, 17 and 20 digit ids, empty id.
	for _, in := range []accounts.CreateInput{
		{Name: strings.Repeat("é", 200), Email: "a@b.io", Note: strings.Repeat("n", 2000), DiscordID: "12345678901234567"},
		{Name: "X", Email: "b@b.io", DiscordID: "12345678901234567890"},
		{Name: "Y", Email: "c@b.io"},
	} {
		if _, err := s.Create(ctx, actor, in); err != nil {
			t.Errorf("create %s: %v", in.Email, err)
		}
	}
}

func TestCreateNormalizesAndAudits(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	a, err := s.Create(ctx, actor, accounts.CreateInput{Name: "  Nightfall Studios ", Email: " Ops@Nightfall.GG ", DiscordID: " 123456789012345678 ", Note: "line one\r\nline two"})
	if err != nil {
		t.Fatal(err)
	}
	want := accounts.Account{ID: a.ID, Name: "Nightfall Studios", Email: "ops@nightfall.gg", DiscordID: "123456789012345678",
		Note: "line one\nline two", Status: "active", CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Fatalf("created (-want +got):\n%s", diff)
	}
	got, err := s.Get(ctx, a.ID)
	if err != nil || !cmp.Equal(got, a) {
		t.Fatalf("get = %+v, %v", got, err)
	}
	wantAudit := []auditRow{{ActorKind: "staff", ActorID: "7", Action: "account.create", EntityType: "account", EntityID: strconv.FormatInt(a.ID, 10),
		After: view("Nightfall Studios", "ops@nightfall.gg", "123456789012345678", "line one\nline two", "active", "")}}
	if diff := cmp.Diff(wantAudit, auditRows(t, d, "account.create")); diff != "" {
		t.Fatalf("audit (-want +got):\n%s", diff)
	}
}

func TestDuplicateEmail(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	first := mustCreate(t, s, "First", "dup@example.com", "")
	_, err := s.Create(ctx, actor, accounts.CreateInput{Name: "Second", Email: "DUP@Example.com"})
	var verr accounts.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("err = %v", err)
	}
	want := fmt.Sprintf("This email is already used by account #%d.", first.ID)
	if verr["email"] != want {
		t.Fatalf("email error = %q, want %q", verr["email"], want)
	}
	// Updating another account to that email is refused the same way.
	other := mustCreate(t, s, "Other", "other@example.com", "")
	_, err = s.Update(ctx, actor, other.ID, accounts.UpdateInput{Name: "Other", Email: "Dup@example.com"}, "")
	if !errors.As(err, &verr) || verr["email"] != want {
		t.Fatalf("update: err = %v", err)
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	a := mustCreate(t, s, "Kestrel Labs", "team@kestrel.dev", "")
	got, err := s.Update(ctx, actor, a.ID, accounts.UpdateInput{Name: "Kestrel Labs Ltd", Email: "TEAM@kestrel.dev", DiscordID: "223456789012345678", Note: "moved to annual"}, "customer asked")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Kestrel Labs Ltd" || got.Email != "team@kestrel.dev" || got.DiscordID != "223456789012345678" || got.Note != "moved to annual" {
		t.Fatalf("updated = %+v", got)
	}
	want := []auditRow{{ActorKind: "staff", ActorID: "7", Action: "account.update", EntityType: "account", EntityID: strconv.FormatInt(a.ID, 10),
		Reason: "customer asked",
		Before: view("Kestrel Labs", "team@kestrel.dev", "", "", "active", ""),
		After:  view("Kestrel Labs Ltd", "team@kestrel.dev", "223456789012345678", "moved to annual", "active", "")}}
	if diff := cmp.Diff(want, auditRows(t, d, "account.update")); diff != "" {
		t.Fatalf("audit (-want +got):\n%s", diff)
	}
	// Saving the same values writes nothing.
	if _, err := s.Update(ctx, actor, a.ID, accounts.UpdateInput{Name: "Kestrel Labs Ltd", Email: "team@kestrel.dev", DiscordID: "223456789012345678", Note: "moved to annual"}, ""); err != nil {
		t.Fatal(err)
	}
	if n := len(auditRows(t, d, "account.update")); n != 1 {
		t.Fatalf("%d update audit rows after a no-op save", n)
	}
	var verr accounts.ValidationError
	if _, err := s.Update(ctx, actor, a.ID, accounts.UpdateInput{Name: "", Email: "x"}, ""); !errors.As(err, &verr) || verr["name"] == "" || verr["email"] == "" {
		t.Fatalf("invalid update: %v", err)
	}
	if _, err := s.Update(ctx, actor, 999999, accounts.UpdateInput{Name: "n", Email: "n@n.io"}, ""); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestSuspendAndReactivate(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	a := mustCreate(t, s, "quietmail.io", "admin@quietmail.io", "")
	for _, reason := range []string{"", "   ", strings.Repeat("r", 501)} {
		_, err := s.Suspend(ctx, actor, a.ID, reason)
		var verr accounts.ValidationError
		if !errors.As(err, &verr) || verr["reason"] == "" {
			t.Fatalf("suspend with reason %q: err = %v", reason, err)
		}
	}
	if got, _ := s.Get(ctx, a.ID); got.Status != "active" {
		t.Fatalf("refused suspension changed the status to %s", got.Status)
	}
	got, err := s.Suspend(ctx, actor, a.ID, " chargeback on invoice 1042 ")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Suspended() || got.SuspendedReason != "chargeback on invoice 1042" {
		t.Fatalf("suspended = %+v", got)
	}
	if _, err := s.Suspend(ctx, actor, a.ID, "again"); !errors.Is(err, accounts.ErrAlreadySuspended) {
		t.Fatalf("second suspend: %v", err)
	}
	if _, err := s.Reactivate(ctx, actor, a.ID, ""); err == nil {
		t.Fatal("reactivate without a reason was accepted")
	}
	got, err = s.Reactivate(ctx, actor, a.ID, "paid")
	if err != nil {
		t.Fatal(err)
	}
	if got.Suspended() || got.SuspendedReason != "" {
		t.Fatalf("reactivated = %+v", got)
	}
	if _, err := s.Reactivate(ctx, actor, a.ID, "again"); !errors.Is(err, accounts.ErrNotSuspended) {
		t.Fatalf("second reactivate: %v", err)
	}
	if _, err := s.Suspend(ctx, actor, 424242, "x"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	id := strconv.FormatInt(a.ID, 10)
	active := view("quietmail.io", "admin@quietmail.io", "", "", "active", "")
	suspended := view("quietmail.io", "admin@quietmail.io", "", "", "suspended", "chargeback on invoice 1042")
	want := []auditRow{{ActorKind: "staff", ActorID: "7", Action: "account.suspend", EntityType: "account", EntityID: id,
		Reason: "chargeback on invoice 1042", Before: active, After: suspended}}
	if diff := cmp.Diff(want, auditRows(t, d, "account.suspend")); diff != "" {
		t.Fatalf("suspend audit (-want +got):\n%s", diff)
	}
	want = []auditRow{{ActorKind: "staff", ActorID: "7", Action: "account.reactivate", EntityType: "account", EntityID: id,
		Reason: "paid", Before: suspended, After: active}}
	if diff := cmp.Diff(want, auditRows(t, d, "account.reactivate")); diff != "" {
		t.Fatalf("reactivate audit (-want +got):\n%s", diff)
	}
	if _, err := audit.Verify(ctx, d.Queries); err != nil {
		t.Fatal(err)
	}
}

func TestGetAndResolve(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	a := mustCreate(t, s, "Orbit RP Group", "owner@orbitrp.net", "")
	_, err := s.Get(ctx, a.ID+1)
	var nf interface{ NotFound() bool }
	if !errors.Is(err, accounts.ErrNotFound) || !errors.As(err, &nf) || !nf.NotFound() {
		t.Fatalf("get unknown: %v", err)
	}
	for _, ref := range []string{strconv.FormatInt(a.ID, 10), "#" + strconv.FormatInt(a.ID, 10), "owner@orbitrp.net", " OWNER@OrbitRP.net "} {
		got, err := s.Resolve(ctx, ref)
		if err != nil || got.ID != a.ID {
			t.Errorf("resolve %q = %d, %v", ref, got.ID, err)
		}
	}
	for _, ref := range []string{"", "abc", "0", "-1", "99999999999999999999", "nobody@orbitrp.net", "x\x00@y"} {
		if _, err := s.Resolve(ctx, ref); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("resolve %q: err = %v, want not found", ref, err)
		}
	}
}

func ids(items []accounts.Account) []int64 {
	out := make([]int64, len(items))
	for i, a := range items {
		out[i] = a.ID
	}
	return out
}

func list(t *testing.T, s *accounts.Service, p accounts.ListParams) []int64 {
	t.Helper()
	page, err := s.List(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return ids(page.Items)
}

func TestListSearch(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	night := mustCreate(t, s, "Nightfall Studios", "ops@nightfall.gg", "123456789012345678")
	blue := mustCreate(t, s, "Bluebird Hosting", "billing@bluebird.host", "")
	pct := mustCreate(t, s, "100% Uptime", "hello@uptime.example", "987654321098765432")
	under := mustCreate(t, s, "snake_case inc", "dev@snake.io", "")
	elodie := mustCreate(t, s, "Élodie Ärger", "elodie@arger.example", "")
	cases := []struct {
		q    string
		want []int64
	}{
		{"fall", []int64{night.ID}},               // name fragment
		{"NIGHTFALL stu", []int64{night.ID}},      // case-insensitive
		{"bluebird.host", []int64{blue.ID}},       // email fragment
		{"billing@BLUEBIRD", []int64{blue.ID}},    // email, case-insensitive
		{"123456789012345678", []int64{night.ID}}, // whole Discord ID: exact
		{"12345678901234567", nil},                // 17 digits: a whole id that nobody has
		{"54321", []int64{pct.ID}},                // Discord ID fragment
		{"%", []int64{pct.ID}},                    // wildcards match literally
		{"_", []int64{under.ID}},
		{"#" + strconv.FormatInt(blue.ID, 10), []int64{blue.ID}}, // account id
		{"nothing like it", nil},
		{"éLODIE äR", []int64{elodie.ID}}, // case-insensitive beyond ASCII
		{"studiosops", nil},               // no match across two fields
		{"inc dev", nil},
	}
	for _, c := range cases {
		got := list(t, s, accounts.ListParams{Query: c.q, Sort: accounts.SortOldest})
		if !slices.Equal(got, c.want) {
			t.Errorf("search %q = %v, want %v", c.q, got, c.want)
		}
	}
	// Searching by bare id also finds accounts whose fields contain the digits.
	if got := list(t, s, accounts.ListParams{Query: strconv.FormatInt(night.ID, 10)}); !slices.Contains(got, night.ID) {
		t.Errorf("search by id %d = %v", night.ID, got)
	}
	if _, err := s.List(ctx, accounts.ListParams{Query: strings.Repeat("q", 201)}); err == nil {
		t.Error("oversized query accepted")
	}
	// U+001F joins the searched fields (accounts.search_text).
	if _, err := s.List(ctx, accounts.ListParams{Query: "studios\x1fops"}); err == nil {
		t.Error("a query with the fields' separator accepted")
	}
}

// A search sorted by name pages like the whole list (the name sorts pick a
// page's ids in a subquery): forward 3 at a time through the matches,
// every match once, in name order, in both directions.
func TestListSearchSortedByNamePages(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	all := seedForPaging(t, s, d, 40)
	var matches []accounts.Account
	for _, a := range all {
		if strings.Contains(strings.ToLower(a.Name), "r") { // Bravo, charlie, bravo (no email has an r)
			matches = append(matches, a)
		}
	}
	for _, sort := range []accounts.Sort{accounts.SortNameAsc, accounts.SortNameDesc} {
		want := expectedOrder(matches, sort)
		var got []int64
		p := accounts.ListParams{Query: "R", Sort: sort, Limit: 3}
		for range 30 {
			page, err := s.List(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(page.Items)...)
			if page.Next == "" {
				break
			}
			p.Cursor = page.Next
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: paged %v\nwant %v", sort, got, want)
		}
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var all []accounts.Account
	for i := range 6 {
		a := mustCreate(t, s, "Account "+string(rune('A'+i)), fmt.Sprintf("a%d@example.com", i), "")
		if err := d.BackdateAccount(ctx, store.BackdateAccountParams{ID: a.ID, CreatedAt: base.AddDate(0, 0, i)}); err != nil {
			t.Fatal(err)
		}
		all = append(all, a)
	}
	for _, i := range []int{1, 4} {
		if _, err := s.Suspend(ctx, actor, all[i].ID, "test"); err != nil {
			t.Fatal(err)
		}
	}
	from, to := base.AddDate(0, 0, 2), base.AddDate(0, 0, 5)
	cases := []struct {
		name string
		p    accounts.ListParams
		want []int64
	}{
		{"suspended", accounts.ListParams{Status: "suspended"}, []int64{all[4].ID, all[1].ID}},
		{"active", accounts.ListParams{Status: "active"}, []int64{all[5].ID, all[3].ID, all[2].ID, all[0].ID}},
		{"from", accounts.ListParams{CreatedFrom: &from}, []int64{all[5].ID, all[4].ID, all[3].ID, all[2].ID}},
		{"to", accounts.ListParams{CreatedTo: &to}, []int64{all[4].ID, all[3].ID, all[2].ID, all[1].ID, all[0].ID}},
		{"range+status+search", accounts.ListParams{CreatedFrom: &from, CreatedTo: &to, Status: "active", Query: "account"}, []int64{all[3].ID, all[2].ID}},
	}
	for _, c := range cases {
		if got := list(t, s, c.p); !slices.Equal(got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
		// The count filters as the list does: exact under the cap ...
		if n, err := s.Count(ctx, c.p, 0); err != nil || n != (listcount.Count{N: int64(len(c.want))}) {
			t.Errorf("%s: count %+v, %v; want %d", c.name, n, err, len(c.want))
		}
	}
	// ... and "at least" past it (a lowered cap stands in for 10,000 rows).
	if n, err := s.Count(ctx, accounts.ListParams{Status: "active", Sort: accounts.SortNameAsc, Limit: 1}, 3); err != nil || n != (listcount.Count{N: 3, More: true}) {
		t.Errorf("capped count: %+v, %v", n, err)
	}
	var verr accounts.ValidationError
	if _, err := s.Count(ctx, accounts.ListParams{Status: "banned"}, 0); !errors.As(err, &verr) {
		t.Errorf("count of a bad status: %v", err)
	}
	for _, p := range []accounts.ListParams{{Status: "banned"}, {Sort: "price"}, {CreatedFrom: &to, CreatedTo: &from}} {
		if _, err := s.List(ctx, p); !errors.As(err, &verr) {
			t.Errorf("list %+v: err = %v", p, err)
		}
	}
}

// seedForPaging makes n accounts with many ties: names repeat (in different
// case) and created_at takes only a few distinct values.
func seedForPaging(t *testing.T, s *accounts.Service, d *db.DB, n int) []accounts.Account {
	t.Helper()
	words := []string{"alpha", "Bravo", "charlie", "Delta", "ALPHA", "echo", "bravo"}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []accounts.Account
	for i := range n {
		a := mustCreate(t, s, words[i%len(words)], fmt.Sprintf("p%03d@example.com", i), "")
		a.CreatedAt = base.Add(time.Duration(i%4) * time.Hour)
		if err := d.BackdateAccount(ctx, store.BackdateAccountParams{ID: a.ID, CreatedAt: a.CreatedAt}); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func expectedOrder(all []accounts.Account, sort accounts.Sort) []int64 {
	sorted := slices.Clone(all)
	slices.SortFunc(sorted, func(a, b accounts.Account) int {
		var c int
		switch sort {
		case accounts.SortNewest, accounts.SortOldest:
			c = a.CreatedAt.Compare(b.CreatedAt)
		default:
			c = strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		}
		if c == 0 {
			c = int(a.ID - b.ID)
		}
		if sort == accounts.SortNewest || sort == accounts.SortNameDesc {
			c = -c
		}
		return c
	})
	return ids(sorted)
}

func TestListSortsAndKeysetPaging(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	all := seedForPaging(t, s, d, 53)
	for _, sort := range accounts.Sorts {
		t.Run(string(sort), func(t *testing.T) {
			want := expectedOrder(all, sort)
			if got := list(t, s, accounts.ListParams{Sort: sort, Limit: 100}); !slices.Equal(got, want) {
				t.Fatalf("one page = %v\nwant %v", got, want)
			}
			// Forward, 7 at a time: no duplicates, no gaps.
			var got []int64
			var pages []accounts.Page
			p := accounts.ListParams{Sort: sort, Limit: 7}
			for {
				page, err := s.List(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				if len(pages) == 0 && page.Prev != "" {
					t.Fatal("first page has a Previous link")
				}
				if len(pages) > 0 && page.Prev == "" {
					t.Fatalf("page %d has no Previous link", len(pages)+1)
				}
				pages = append(pages, page)
				got = append(got, ids(page.Items)...)
				if page.Next == "" {
					break
				}
				p.Cursor = page.Next
				if len(pages) > 20 {
					t.Fatal("paging does not end")
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("paged forward = %v\nwant %v", got, want)
			}
			if len(pages) != 8 || len(pages[7].Items) != 4 {
				t.Fatalf("%d pages, last has %d", len(pages), len(pages[len(pages)-1].Items))
			}
			// Backward from the last page: every page as it was going forward.
			p.Cursor = pages[7].Prev
			for i := 6; i >= 0; i-- {
				page, err := s.List(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(ids(pages[i].Items), ids(page.Items)); diff != "" {
					t.Fatalf("page %d backwards (-forward +backward):\n%s", i+1, diff)
				}
				if (i == 0) != (page.Prev == "") || page.Next == "" {
					t.Fatalf("page %d backwards: prev %q next %q", i+1, page.Prev, page.Next)
				}
				p.Cursor = page.Prev
			}
		})
	}
}

func TestListPreviousNearTheStartShowsAFullFirstPage(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	all := seedForPaging(t, s, d, 12)
	want := expectedOrder(all, accounts.SortNewest)
	first, _ := s.List(ctx, accounts.ListParams{Limit: 5})
	second, _ := s.List(ctx, accounts.ListParams{Limit: 5, Cursor: first.Next})
	// Two accounts created before the second page's first row are removed
	// from the filter's view by suspending them; "Previous" still shows 5.
	for _, id := range want[:2] {
		if _, err := s.Suspend(ctx, actor, id, "test"); err != nil {
			t.Fatal(err)
		}
	}
	back, err := s.List(ctx, accounts.ListParams{Limit: 5, Status: "active", Cursor: second.Prev})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[2:7], ids(back.Items)); diff != "" || back.Prev != "" {
		t.Fatalf("previous (-want +got):\n%s prev=%q", diff, back.Prev)
	}
}

func TestListBadCursor(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	seedForPaging(t, s, d, 5)
	page, _ := s.List(ctx, accounts.ListParams{Limit: 2})
	for _, c := range []string{"garbage", "eyJzIjoibmV3ZXN0IiwiaSI6MH0", strings.Repeat("A", 3000)} {
		if _, err := s.List(ctx, accounts.ListParams{Cursor: c}); !errors.Is(err, accounts.ErrBadCursor) {
			t.Errorf("cursor %.20q: err = %v", c, err)
		}
	}
	// A cursor of another sort is refused too.
	if _, err := s.List(ctx, accounts.ListParams{Sort: accounts.SortNameAsc, Cursor: page.Next}); !errors.Is(err, accounts.ErrBadCursor) {
		t.Errorf("cursor of another sort: err = %v", err)
	}
}

func TestForEachCrossesBatches(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	// Bulk rows straight in (the service path is covered elsewhere).
	if _, err := d.Pool.Exec(ctx, `INSERT INTO accounts (name, email, created_at)
		SELECT 'Bulk ' || g, 'bulk' || g || '@example.com', '2026-01-01'::timestamptz + (g % 7) * interval '1 minute'
		FROM generate_series(1, 1203) g`); err != nil {
		t.Fatal(err)
	}
	var got []int64
	err := s.ForEach(ctx, accounts.ListParams{Sort: accounts.SortOldest, Cursor: "ignored", Limit: 3}, func(a accounts.Account) error {
		got = append(got, a.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	rows, _ := d.Pool.Query(ctx, "SELECT id FROM accounts ORDER BY created_at, id")
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		want = append(want, id)
	}
	if len(want) != 1203 || !slices.Equal(got, want) {
		t.Fatalf("ForEach visited %d accounts (want %d) or in another order", len(got), len(want))
	}
	stop := errors.New("stop")
	n := 0
	if err := s.ForEach(ctx, accounts.ListParams{}, func(accounts.Account) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("ForEach did not stop: %v after %d", err, n)
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	a := mustCreate(t, s, "One", "one@example.com", "")
	b := mustCreate(t, s, "Two", "two@example.com", "")
	mustCreate(t, s, "Three", "three@example.com", "")
	old := mustCreate(t, s, "Old", "old@example.com", "")
	if err := d.BackdateAccount(ctx, store.BackdateAccountParams{ID: b.ID, CreatedAt: time.Now().AddDate(0, 0, -3)}); err != nil {
		t.Fatal(err)
	}
	if err := d.BackdateAccount(ctx, store.BackdateAccountParams{ID: old.ID, CreatedAt: time.Now().AddDate(0, 0, -90)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Suspend(ctx, actor, a.ID, "test"); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 4 || st.Active != 3 || st.Suspended != 1 || st.Estimated {
		t.Fatalf("stats = %+v", st)
	}
	if len(st.Daily) != accounts.StatsDays || st.NewInPeriod() != 3 {
		t.Fatalf("daily = %v (sum %d)", st.Daily, st.NewInPeriod())
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if last := st.Daily[len(st.Daily)-1]; !last.Day.Equal(today) || last.Count != 2 {
		t.Fatalf("today = %+v", last)
	}
	if d3 := st.Daily[len(st.Daily)-4]; d3.Count != 1 {
		t.Fatalf("3 days ago = %+v", d3)
	}
}

func TestStatsEstimatesBigTables(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	if _, err := d.Pool.Exec(ctx, `INSERT INTO accounts (name, email, status, suspended_reason)
		SELECT 'Bulk ' || g, 'bulk' || g || '@example.com',
		       CASE WHEN g % 10 = 0 THEN 'suspended' ELSE 'active' END,
		       CASE WHEN g % 10 = 0 THEN 'test' ELSE '' END
		FROM generate_series(1, 12000) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pool.Exec(ctx, "ANALYZE accounts"); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	near := func(got, want int64) bool { return got > want*9/10 && got < want*11/10 }
	if !st.Estimated || !near(st.Total, 12000) || !near(st.Suspended, 1200) || st.Active != st.Total-st.Suspended {
		t.Fatalf("stats = %+v", st)
	}
	if st.NewInPeriod() != 12000 {
		t.Fatalf("new in period = %d", st.NewInPeriod())
	}
}
