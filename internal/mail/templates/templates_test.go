package templates

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/testdb"
)

var (
	ctx   = context.Background()
	cli   = audit.CLI("test")
	staff = audit.Staff(7, "ops@lumdesk.test")
)

type fixture struct {
	db          *db.DB
	svc         *Service
	acct, other int64
	now         time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := db.New(testdb.New(t))
	f := &fixture{db: d, now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	f.svc = NewService(d).WithClock(func() time.Time { return f.now })
	acc := accounts.NewService(d)
	for _, p := range []struct {
		id          *int64
		name, email string
	}{{&f.acct, "Acme", "ops@acme.test"}, {&f.other, "Globex", "ops@globex.test"}} {
		a, err := acc.Create(ctx, cli, accounts.CreateInput{Name: p.name, Email: p.email})
		if err != nil {
			t.Fatal(err)
		}
		*p.id = a.ID
	}
	return f
}

func (f *fixture) create(t *testing.T, scope accounts.Scope, slug string) Template {
	t.Helper()
	tpl, err := f.svc.Create(ctx, cli, scope, CreateInput{Slug: slug, Name: "Welcome email",
		Subject: "Welcome, {{user.name}}", HTML: "<p>Hi {{user.name}}</p>\n{{#items}}<li>{{.}}</li>{{/items}}\n", Text: "Hi {{user.name}}\n"})
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func fieldErrors(t *testing.T, err error) apperr.FieldErrors {
	t.Helper()
	var fe apperr.FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want field errors", err)
	}
	return fe
}

func ptr(s string) *string { return &s }

func TestCreateGetListAndAudit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	me := accounts.Only(f.acct)
	tpl := f.create(t, me, "welcome-email")
	if !strings.HasPrefix(tpl.ID, "tpl_") || len(tpl.ID) != 20 || tpl.Status != "active" || tpl.Version != 1 ||
		tpl.AccountID != f.acct || tpl.Slug != "welcome-email" || tpl.Name != "Welcome email" || !tpl.CreatedAt.Equal(f.now) {
		t.Fatalf("created %+v", tpl)
	}
	for _, ref := range []string{"welcome-email", tpl.ID} {
		got, err := f.svc.Get(ctx, me, ref)
		if err != nil || got.ID != tpl.ID || got.HTML != tpl.HTML {
			t.Fatalf("Get(%q) = %+v, %v", ref, got, err)
		}
	}
	// Staff name it by id; a slug alone is ambiguous across accounts.
	if got, err := f.svc.Get(ctx, accounts.AllAccounts, tpl.ID); err != nil || got.ID != tpl.ID {
		t.Fatalf("staff Get by id = %+v, %v", got, err)
	}
	if _, err := f.svc.Get(ctx, accounts.AllAccounts, "welcome-email"); fieldErrors(t, err)["template"] == "" {
		t.Fatalf("staff Get by slug: %v", err)
	}
	// Staff create for a named account; without one it is a field error.
	acctID := f.acct
	if _, err := f.svc.Create(ctx, staff, accounts.AllAccounts, CreateInput{AccountID: &acctID, Slug: "staff-made", Name: "S", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Create(ctx, staff, accounts.AllAccounts, CreateInput{Slug: "nobody", Name: "S", Text: "t"}); fieldErrors(t, err)["account"] == "" {
		t.Fatalf("no account: %v", err)
	}
	// A customer naming another account is told it does not exist.
	otherID := f.other
	if _, err := f.svc.Create(ctx, cli, me, CreateInput{AccountID: &otherID, Slug: "x", Name: "S", Text: "t"}); !errors.Is(err, ErrAccountNotFound) {
		t.Fatalf("create in another account: %v", err)
	}

	var n int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE entity_type = 'mail_template' AND entity_id = $1 AND action = 'mail_template.create'`, tpl.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("audit rows = %d, %v", n, err)
	}
}

func TestListPagesNewestFirstWithinScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	me := accounts.Only(f.acct)
	var made []string
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		made = append(made, f.create(t, me, s).Slug)
	}
	f.create(t, accounts.Only(f.other), "theirs")
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		p, err := f.svc.List(ctx, me, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range p.Templates {
			seen = append(seen, x.Slug)
		}
		if p.NextCursor == "" {
			if pages != 2 {
				t.Fatalf("%d pages", pages+1)
			}
			break
		}
		cursor = p.NextCursor
	}
	if strings.Join(seen, ",") != "e,d,c,b,a" {
		t.Fatalf("pages gave %v (made %v)", seen, made)
	}
	all, err := f.svc.List(ctx, accounts.AllAccounts, "", 0)
	if err != nil || len(all.Templates) != 6 || all.NextCursor != "" {
		t.Fatalf("staff list = %d, %q, %v", len(all.Templates), all.NextCursor, err)
	}
	if _, err := f.svc.List(ctx, me, "tpl_nope", 10); fieldErrors(t, err)["cursor"] == "" {
		t.Fatalf("bad cursor: %v", err)
	}
}

func TestOtherAccountsTemplateIsNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	theirs := f.create(t, accounts.Only(f.other), "welcome")
	me := accounts.Only(f.acct)
	for _, ref := range []string{"welcome", theirs.ID, "tpl_unknown000000000", "Not A Slug", ""} {
		if _, err := f.svc.Get(ctx, me, ref); !errors.Is(err, ErrTemplateNotFound) {
			t.Errorf("Get(%q) = %v", ref, err)
		}
		if _, err := f.svc.Update(ctx, cli, me, ref, UpdateInput{Name: ptr("Mine")}); !errors.Is(err, ErrTemplateNotFound) {
			t.Errorf("Update(%q) = %v", ref, err)
		}
		if err := f.svc.Delete(ctx, cli, me, ref, ""); !errors.Is(err, ErrTemplateNotFound) {
			t.Errorf("Delete(%q) = %v", ref, err)
		}
		if _, err := f.svc.Versions(ctx, me, ref, 0, 0); !errors.Is(err, ErrTemplateNotFound) {
			t.Errorf("Versions(%q) = %v", ref, err)
		}
		if _, err := f.svc.Render(ctx, me, ref, nil); !errors.Is(err, ErrTemplateNotFound) {
			t.Errorf("Render(%q) = %v", ref, err)
		}
	}
	if p, err := f.svc.List(ctx, me, "", 0); err != nil || len(p.Templates) != 0 {
		t.Fatalf("list shows %d of another account's, %v", len(p.Templates), err)
	}
	// The same slug in my account is mine, not a clash.
	if mine := f.create(t, me, "welcome"); mine.ID == theirs.ID {
		t.Fatal("same id")
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	me := accounts.Only(f.acct)
	f.create(t, me, "taken")
	long := strings.Repeat("a", 64)
	for _, c := range []struct {
		in    CreateInput
		field string
		msg   string
	}{
		{CreateInput{Slug: "", Name: "n", Text: "t"}, "slug", "Enter a slug"},
		{CreateInput{Slug: "Welcome", Name: "n", Text: "t"}, "slug", "lower-case"},
		{CreateInput{Slug: "-lead", Name: "n", Text: "t"}, "slug", "lower-case"},
		{CreateInput{Slug: "under_score", Name: "n", Text: "t"}, "slug", "lower-case"},
		{CreateInput{Slug: long, Name: "n", Text: "t"}, "slug", "1 to 63"},
		{CreateInput{Slug: "taken", Name: "n", Text: "t"}, "slug", "already has a template"},
		{CreateInput{Slug: "ok", Name: "", Text: "t"}, "name", "Enter a name"},
		{CreateInput{Slug: "ok", Name: "a\nb", Text: "t"}, "name", "one line"},
		{CreateInput{Slug: "ok", Name: strings.Repeat("n", 101), Text: "t"}, "name", "at most 100"},
		{CreateInput{Slug: "ok", Name: "n"}, "html", "HTML body, a text body"},
		{CreateInput{Slug: "ok", Name: "n", Subject: "Hi\r\nBcc: x@y.z", Text: "t"}, "subject", "Line 1, column 3: the subject must be one line"},
		{CreateInput{Slug: "ok", Name: "n", Subject: strings.Repeat("s", 999), Text: "t"}, "subject", "at most 998"},
		{CreateInput{Slug: "ok", Name: "n", HTML: "<p>\n  {{{name}}}</p>"}, "html", "Line 2, column 3: {{{…}}}"},
		{CreateInput{Slug: "ok", Name: "n", Text: "{{#a}}\n"}, "text", "Line 1, column 1: the section {{#a}} is never closed"},
	} {
		_, err := f.svc.Create(ctx, cli, me, c.in)
		if msg := fieldErrors(t, err)[c.field]; !strings.Contains(msg, c.msg) {
			t.Errorf("%+v: %s = %q, want %q (all: %v)", c.in, c.field, msg, c.msg, err)
		}
	}
	// Exactly 63 characters is a slug.
	if _, err := f.svc.Create(ctx, cli, me, CreateInput{Slug: long[:63], Name: "n", Text: "t"}); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateKeepsEveryVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	me := accounts.Only(f.acct)
	tpl := f.create(t, me, "welcome")
	f.now = f.now.Add(time.Hour)

	// PATCH: only the subject changes; the rest stays.
	got, err := f.svc.Update(ctx, staff, me, "welcome", UpdateInput{Subject: ptr("Hello {{user.name}}")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.Subject != "Hello {{user.name}}" || got.HTML != tpl.HTML || got.Text != tpl.Text || got.Name != tpl.Name ||
		!got.UpdatedAt.Equal(f.now) || !got.CreatedAt.Equal(tpl.CreatedAt) {
		t.Fatalf("after subject patch: %+v", got)
	}
	// Saving what is there already adds no version.
	if same, err := f.svc.Update(ctx, staff, me, tpl.ID, UpdateInput{Subject: ptr("Hello {{user.name}}"), Name: ptr(" Welcome email ")}); err != nil || same.Version != 2 {
		t.Fatalf("no-op update = %+v, %v", same, err)
	}
	// A rename of the slug moves the address; the old slug is gone.
	got, err = f.svc.Update(ctx, cli, me, tpl.ID, UpdateInput{Slug: ptr("welcome-v2"), Text: ptr("Bye")})
	if err != nil || got.Version != 3 || got.Slug != "welcome-v2" || got.Text != "Bye" {
		t.Fatalf("rename: %+v, %v", got, err)
	}
	if _, err := f.svc.Get(ctx, me, "welcome"); !errors.Is(err, ErrTemplateNotFound) {
		t.Fatalf("old slug: %v", err)
	}
	// An invalid patch changes nothing.
	f.create(t, me, "other")
	for _, in := range []UpdateInput{{Slug: ptr("other")}, {HTML: ptr("{{#x}}")}, {Name: ptr("")}, {Text: ptr(""), HTML: ptr(" ")}} {
		if _, err := f.svc.Update(ctx, cli, me, tpl.ID, in); len(fieldErrors(t, err)) == 0 {
			t.Fatalf("%+v accepted", in)
		}
	}

	vs, err := f.svc.Versions(ctx, me, tpl.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 || vs[0].Version != 3 || vs[2].Version != 1 {
		t.Fatalf("versions %+v", vs)
	}
	if vs[2].Subject != "Welcome, {{user.name}}" || vs[2].Actor != "test" || vs[1].Actor != "ops@lumdesk.test" || vs[1].ActorKind != audit.KindStaff ||
		vs[1].Subject != "Hello {{user.name}}" || vs[0].Text != "Bye" || !vs[1].CreatedAt.Equal(f.now) {
		t.Fatalf("versions hold %+v", vs)
	}
	if page, err := f.svc.Versions(ctx, me, tpl.ID, 3, 1); err != nil || len(page) != 1 || page[0].Version != 2 {
		t.Fatalf("page after 3: %+v, %v", page, err)
	}
	if v, err := f.svc.Version(ctx, me, tpl.ID, 1); err != nil || v.Text != tpl.Text {
		t.Fatalf("version 1 = %+v, %v", v, err)
	}
	for _, n := range []int{0, 4, -1} {
		if _, err := f.svc.Version(ctx, me, tpl.ID, n); !errors.Is(err, ErrVersionNotFound) {
			t.Fatalf("version %d: %v", n, err)
		}
	}

	var actions []string
	rows, err := f.db.Pool.Query(ctx, `SELECT action FROM audit_events WHERE entity_type = 'mail_template' AND entity_id = $1 ORDER BY id`, tpl.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		actions = append(actions, a)
	}
	if strings.Join(actions, ",") != "mail_template.create,mail_template.update,mail_template.update" {
		t.Fatalf("audit: %v", actions)
	}
}

func TestConcurrentUpdatesTakeDistinctVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	me := accounts.Only(f.acct)
	tpl := f.create(t, me, "busy")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.Update(ctx, cli, me, tpl.ID, UpdateInput{Text: ptr(strings.Repeat("x", i+1))})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.svc.Get(ctx, me, tpl.ID)
	if err != nil || got.Version != 9 {
		t.Fatalf("version %d after 8 updates, %v", got.Version, err)
	}
}

func TestDeleteIsSoftAndFreesTheSlug(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	me := accounts.Only(f.acct)
	tpl := f.create(t, me, "promo")
	if err := f.svc.Delete(ctx, staff, accounts.AllAccounts, tpl.ID, "customer asked"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Get(ctx, me, "promo"); !errors.Is(err, ErrTemplateNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := f.svc.Delete(ctx, cli, me, tpl.ID, ""); !errors.Is(err, ErrTemplateNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	again := f.create(t, me, "promo")
	if again.ID == tpl.ID || again.Version != 1 {
		t.Fatalf("recreated %+v", again)
	}
	var status string
	var versions int
	if err := f.db.Pool.QueryRow(ctx, `SELECT t.status, (SELECT count(*) FROM mail_template_versions v WHERE v.template_id = t.id)
		FROM mail_templates t WHERE public_id = $1`, tpl.ID).Scan(&status, &versions); err != nil || status != "deleted" || versions != 1 {
		t.Fatalf("deleted row: %q with %d versions, %v", status, versions, err)
	}
	var reason string
	if err := f.db.Pool.QueryRow(ctx, `SELECT reason FROM audit_events WHERE entity_id = $1 AND action = 'mail_template.delete'`, tpl.ID).Scan(&reason); err != nil || reason != "customer asked" {
		t.Fatalf("audit reason %q, %v", reason, err)
	}
}

func TestRenderStoredTemplate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	me := accounts.Only(f.acct)
	tpl := f.create(t, me, "welcome")
	got, err := f.svc.Render(ctx, me, "welcome", vars(t, `{"user": {"name": "Jo <script>"}, "items": ["a&b", "c"]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Rendered{TemplateID: tpl.ID, Version: 1, Subject: "Welcome, Jo <script>",
		HTML: "<p>Hi Jo &lt;script&gt;</p>\n<li>a&amp;b</li><li>c</li>\n", Text: "Hi Jo <script>\n"}
	if got != want {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	_, err = f.svc.Render(ctx, me, "welcome", vars(t, `{"items": []}`))
	var me2 *MissingVariableError
	if !errors.As(err, &me2) || me2.Name != "user.name" || me2.Part != PartSubject {
		t.Fatalf("missing: %v", err)
	}
	if _, err := f.svc.Render(ctx, me, "welcome", vars(t, `{"user": {"name": "x\r\nBcc: a@b.c"}}`)); !errors.Is(err, ErrRender) {
		t.Fatalf("header injection: %v", err)
	}
	// A save renders at once (the parsed parts are kept per version).
	if _, err := f.svc.Update(ctx, cli, me, tpl.ID, UpdateInput{HTML: ptr("<b>{{user.name}}</b>")}); err != nil {
		t.Fatal(err)
	}
	if r, err := f.svc.Render(ctx, me, "welcome", vars(t, `{"user": {"name": "A"}}`)); err != nil || r.HTML != "<b>A</b>" || r.Version != 2 {
		t.Fatalf("after an edit: %+v, %v", r, err)
	}
	// A template without a subject leaves it to the send.
	if _, err := f.svc.Create(ctx, cli, me, CreateInput{Slug: "nosubject", Name: "n", Text: "plain"}); err != nil {
		t.Fatal(err)
	}
	if r, err := f.svc.Render(ctx, me, "nosubject", nil); err != nil || r.Subject != "" || r.HTML != "" || r.Text != "plain" {
		t.Fatalf("no subject: %+v, %v", r, err)
	}
	// Previews of unsaved content answer syntax errors as Create does.
	if _, err := RenderContent(Content{HTML: "{{#a}}"}, nil); fieldErrors(t, err)["html"] == "" {
		t.Fatalf("preview of a broken draft: %v", err)
	}
}

func TestDiffBetweenVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	me := accounts.Only(f.acct)
	tpl := f.create(t, me, "welcome")
	if _, err := f.svc.Update(ctx, cli, me, tpl.ID, UpdateInput{Text: ptr("Hi {{user.name}}\nSee you soon\n")}); err != nil {
		t.Fatal(err)
	}
	d, err := f.svc.Diff(ctx, me, "welcome", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.From.Version != 1 || d.To.Version != 2 || d.Subject.Changed() || d.HTML.Changed() || d.Name.Changed() || !d.Text.Changed() ||
		d.Text.Added != 1 || d.Text.Removed != 0 || len(d.Text.Hunks) != 1 || d.Text.Hunks[0].Header != "@@ -1 +1,2 @@" {
		t.Fatalf("diff %+v", d)
	}
	// Backwards works too: the line is removed.
	if d, err := f.svc.Diff(ctx, me, "welcome", 2, 1); err != nil || d.Text.Removed != 1 || d.Text.Added != 0 {
		t.Fatalf("backwards diff %+v, %v", d.Text, err)
	}
	if _, err := f.svc.Diff(ctx, me, "welcome", 3, 1); !errors.Is(err, ErrVersionNotFound) {
		t.Fatalf("unknown version: %v", err)
	}
	if _, err := f.svc.Diff(ctx, accounts.Only(f.other), tpl.ID, 1, 2); !errors.Is(err, ErrTemplateNotFound) {
		t.Fatalf("other account: %v", err)
	}
}
