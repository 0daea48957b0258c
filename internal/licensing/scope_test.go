package licensing

import (
	"errors"
	"testing"

	"lumdesk/internal/accounts"
)

// A caller scoped to account A reaches A's projects, and B's project is not
// found through every method, exactly like an unknown one; staff reach both.
func TestScopedServiceHidesOtherAccounts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := accounts.Only(f.project.AccountID)
	k, err := f.svc.In(a).CreateKey(ctx, cli, f.project.ID, KeyInput{Note: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	foreign := f.foreignProject()
	fk, err := f.svc.CreateKey(ctx, cli, foreign.ID, KeyInput{Note: "theirs"})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := f.svc.CreateScript(ctx, cli, foreign.ID, ScriptInput{Name: "Theirs"})
	if err != nil {
		t.Fatal(err)
	}
	in := f.svc.In(a)
	src := "print(1)"
	note := "taken"
	calls := map[string]func() error{
		"GetProject": func() error { _, err := in.GetProject(ctx, foreign.ID); return err },
		"CreateKey":  func() error { _, err := in.CreateKey(ctx, cli, foreign.ID, KeyInput{}); return err },
		"UpdateKey": func() error {
			_, err := in.UpdateKey(ctx, cli, foreign.ID, fk.UserKey, KeyPatch{Note: &note})
			return err
		},
		"DeleteKey": func() error { return in.DeleteKey(ctx, cli, foreign.ID, fk.UserKey, "") },
		"ListKeys":  func() error { _, err := in.ListKeys(ctx, KeyFilter{ProjectID: foreign.ID}); return err },
		"ResetHWID": func() error {
			_, err := in.ResetHWID(ctx, cli, foreign.ID, fk.UserKey, ResetOpts{Force: true})
			return err
		},
		"LinkDiscord": func() error {
			_, err := in.LinkDiscord(ctx, cli, foreign.ID, fk.UserKey, "123456789012345678", LinkOpts{Force: true})
			return err
		},
		"Blacklist": func() error {
			_, err := in.Blacklist(ctx, cli, foreign.ID, fk.UserKey, BlacklistInput{BanReason: "x"})
			return err
		},
		"UpdateScript": func() error {
			_, err := in.UpdateScript(ctx, cli, foreign.ID, fs.ID, ScriptUpdate{Source: &src})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrProjectNotFound) {
			t.Errorf("%s on another account's project: %v, want ErrProjectNotFound", name, err)
		}
	}
	if got, err := f.svc.GetKey(ctx, foreign.ID, fk.UserKey); err != nil || got.Note != "theirs" || got.Banned {
		t.Errorf("the foreign key changed: %+v %v", got, err)
	}
	// Without a project, a scoped list holds only the scope's keys.
	page, err := in.ListKeys(ctx, KeyFilter{Limit: 50})
	if err != nil || len(page.Keys) != 1 || page.Keys[0].UserKey != k.UserKey {
		t.Errorf("scoped list: %+v %v", page.Keys, err)
	}
	_, projects, err := in.AccountDetails(ctx)
	if err != nil || len(projects) != 1 || projects[0].Project.ID != f.project.ID {
		t.Errorf("scoped details: %v %v", projects, err)
	}
	// A handle bound to A's project still refuses B's.
	bound, p, err := in.Project(ctx, f.project.ID)
	if err != nil || p.ID != f.project.ID {
		t.Fatalf("bound: %v %v", p, err)
	}
	if _, err := bound.UpdateKey(ctx, cli, foreign.ID, fk.UserKey, KeyPatch{Note: &note}); !errors.Is(err, ErrProjectNotFound) {
		t.Errorf("bound handle reached another project: %v", err)
	}
	if _, err := bound.UpdateKey(ctx, cli, f.project.ID, k.UserKey, KeyPatch{Note: &note}); err != nil {
		t.Errorf("bound handle on its project: %v", err)
	}
	// Staff (every account) reach both; a key without an account reaches nothing.
	if _, err := f.svc.In(accounts.AllAccounts).GetProject(ctx, foreign.ID); err != nil {
		t.Errorf("staff scope: %v", err)
	}
	if _, err := f.svc.In(accounts.Only(0)).GetProject(ctx, f.project.ID); !errors.Is(err, ErrProjectNotFound) {
		t.Errorf("empty scope reached a project: %v", err)
	}
	if _, _, err := f.svc.In(accounts.Only(0)).AccountDetails(ctx); err == nil {
		t.Error("empty scope got account details")
	}
}

// Overview counts the scope's account's projects and keys only; the
// all-accounts scope names no account to sum up.
func TestScopedOverview(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := accounts.Only(f.project.AccountID)
	for _, hwid := range []string{"hw-1", ""} {
		if _, err := f.svc.CreateKey(ctx, cli, f.project.ID, KeyInput{Identifier: hwid}); err != nil {
			t.Fatal(err)
		}
	}
	foreign := f.foreignProject()
	if _, err := f.svc.CreateKey(ctx, cli, foreign.ID, KeyInput{}); err != nil {
		t.Fatal(err)
	}
	o, err := f.svc.In(a).Overview(ctx)
	if err != nil || o.Projects != 1 || o.Keys.Total != 2 || o.Keys.Active != 1 || o.Keys.Banned != 0 || o.LastActivity.IsZero() {
		t.Fatalf("overview of A: %+v %v", o, err)
	}
	if o, err := f.svc.In(accounts.Only(foreign.AccountID)).Overview(ctx); err != nil || o.Projects != 1 || o.Keys.Total != 1 {
		t.Fatalf("overview of the other account: %+v %v", o, err)
	}
	if _, err := f.svc.In(accounts.AllAccounts).Overview(ctx); !errors.Is(err, ErrAccountNotFound) {
		t.Errorf("all accounts: %v", err)
	}
	// Under CheapKeys keys each Overview reads anew: a new key counts at once.
	if _, err := f.svc.CreateKey(ctx, cli, f.project.ID, KeyInput{}); err != nil {
		t.Fatal(err)
	}
	if o, err := f.svc.In(a).Overview(ctx); err != nil || o.Keys.Total != 3 {
		t.Fatalf("overview of A after a third key: %+v %v", o, err)
	}
	// From CheapKeys keys on, the last answer is kept for OverviewMaxAge.
	if !cheapOverview(AccountOverview{Keys: UserCounts{Total: CheapKeys - 1}}) || cheapOverview(AccountOverview{Keys: UserCounts{Total: CheapKeys}}) {
		t.Error("cheapOverview does not draw the line at CheapKeys")
	}
}

// The portal's scoped reads and writes (keys by id, generate, unban,
// scripts, project lists and counts) refuse another account's objects like
// unknown ones and list only the scope's.
func TestScopedPortalMethodsHideOtherAccounts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := f.svc.In(accounts.Only(f.project.AccountID))
	foreign := f.foreignProject()
	fk, err := f.svc.CreateKey(ctx, cli, foreign.ID, KeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Blacklist(ctx, cli, foreign.ID, fk.UserKey, BlacklistInput{BanReason: "x"}); err != nil {
		t.Fatal(err)
	}
	fs, err := f.svc.CreateScript(ctx, cli, foreign.ID, ScriptInput{Name: "Theirs"})
	if err != nil {
		t.Fatal(err)
	}
	src := "print(1)"
	if _, err := f.svc.UpdateScript(ctx, cli, foreign.ID, fs.ID, ScriptUpdate{Source: &src}); err != nil {
		t.Fatal(err)
	}
	if _, err := in.GetKeyByID(ctx, fk.ID); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("GetKeyByID of another account's key: %v", err)
	}
	notFound := map[string]func() error{
		"GenerateKeys":   func() error { _, err := in.GenerateKeys(ctx, cli, foreign.ID, 2, KeyInput{}); return err },
		"Unban":          func() error { _, err := in.Unban(ctx, cli, foreign.ID, fk.UserKey, ""); return err },
		"GetScript":      func() error { _, err := in.GetScript(ctx, foreign.ID, fs.ID); return err },
		"ListScripts":    func() error { _, err := in.ListScripts(ctx, foreign.ID); return err },
		"ScriptVersions": func() error { _, err := in.ScriptVersions(ctx, foreign.ID, fs.ID); return err },
		"ScriptVersion":  func() error { _, err := in.ScriptVersion(ctx, foreign.ID, fs.ID, 1); return err },
		"CountKeys":      func() error { _, err := in.CountKeys(ctx, KeyFilter{ProjectID: foreign.ID}, 10); return err },
		"RecordKeyExport": func() error {
			return in.RecordKeyExport(ctx, cli, foreign.ID, nil)
		},
	}
	for name, call := range notFound {
		if err := call(); !errors.Is(err, ErrProjectNotFound) {
			t.Errorf("%s on another account's project: %v, want ErrProjectNotFound", name, err)
		}
	}
	if got, err := f.svc.GetKey(ctx, foreign.ID, fk.UserKey); err != nil || !got.Banned {
		t.Errorf("the foreign key changed: %+v %v", got, err)
	}
	// The scope's own objects work.
	keys, err := in.GenerateKeys(ctx, cli, f.project.ID, 3, KeyInput{Note: "batch"})
	if err != nil || len(keys) != 3 {
		t.Fatalf("generate: %v %v", keys, err)
	}
	if k, err := in.GetKeyByID(ctx, keys[0].ID); err != nil || k.UserKey != keys[0].UserKey {
		t.Errorf("GetKeyByID of own key: %+v %v", k, err)
	}
	if _, err := in.Blacklist(ctx, cli, f.project.ID, keys[0].UserKey, BlacklistInput{BanReason: "abuse"}); err != nil {
		t.Fatal(err)
	}
	if k, err := in.Unban(ctx, cli, f.project.ID, keys[0].UserKey, ""); err != nil || k.Banned {
		t.Errorf("unban own key: %+v %v", k, err)
	}
	page, err := in.ListProjects(ctx, ProjectFilter{})
	if err != nil || len(page.Projects) != 1 || page.Projects[0].ID != f.project.ID {
		t.Errorf("scoped projects: %+v %v", page.Projects, err)
	}
	counts, err := in.ProjectKeyCounts(ctx, []Project{f.project, foreign}, 100)
	if err != nil || counts[f.project.DBID] != 3 || counts[foreign.DBID] != 0 {
		t.Errorf("scoped key counts: %v %v", counts, err)
	}
	if n, err := in.CountKeys(ctx, KeyFilter{}, 100); err != nil || n.N != 3 {
		t.Errorf("scoped count: %+v %v", n, err)
	}
	if s, err := in.ListScripts(ctx, f.project.ID); err != nil || len(s) != 1 {
		t.Errorf("own scripts: %v %v", s, err)
	}
}
