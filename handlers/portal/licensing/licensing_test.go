package licensing_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/licensing"
)

var cli = audit.CLI("test")

// tenant is an account with a project (1 hour reset cooldown), a script
// with two versions and keys.
type tenant struct {
	account accounts.Account
	project licensing.Project
	script  licensing.Script
	bound   licensing.Key // has a HWID
	fresh   licensing.Key // no HWID
}

func newTenant(t *testing.T, env *servertest.Env, name, note string) tenant {
	t.Helper()
	ctx := context.Background()
	tn := tenant{account: env.CreateAccount(name)}
	var err error
	tn.project, err = env.Licensing.CreateProject(ctx, cli, licensing.ProjectInput{AccountID: tn.account.ID, Name: name + " Hub", ResetCooldown: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	tn.script, err = env.Licensing.CreateScript(ctx, cli, tn.project.ID, licensing.ScriptInput{Name: name + " Main"})
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"print('one')\nprint('two')\n", "print('one')\nprint('three')\n"} {
		if _, err := env.Licensing.UpdateScript(ctx, cli, tn.project.ID, tn.script.ID, licensing.ScriptUpdate{Source: &src}); err != nil {
			t.Fatal(err)
		}
	}
	tn.bound, err = env.Licensing.CreateKey(ctx, cli, tn.project.ID, licensing.KeyInput{Identifier: "hwid-" + name, DiscordID: "1234567890123", Note: note})
	if err != nil {
		t.Fatal(err)
	}
	tn.fresh, err = env.Licensing.CreateKey(ctx, cli, tn.project.ID, licensing.KeyInput{Note: note + " spare"})
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

func projectPath(tn tenant) string   { return "/portal/luarmor/projects/" + tn.project.ID }
func keyPath(k licensing.Key) string { return "/portal/luarmor/keys/" + strconv.FormatInt(k.ID, 10) }
func scriptPath(tn tenant) string    { return projectPath(tn) + "/scripts/" + tn.script.ID }

func TestPagesRender(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Alpha", "alpha note")
	c := env.AsCustomer(a.account.ID, customers.RoleReadOnly)

	r := c.Get("/portal/luarmor")
	r.Want(t, http.StatusOK, "projects")
	if r.Doc.Find(`[data-testid=project-row][data-id="`+a.project.ID+`"]`).Length() != 1 {
		t.Errorf("project list lacks the project: %s", r.Text("main"))
	}
	if !strings.Contains(r.Text("main"), "1 project on this page") {
		t.Errorf("project list's footer: %s", r.Text("main"))
	}
	r = c.Get(projectPath(a))
	r.Want(t, http.StatusOK, "project")
	if n := r.Doc.Find("[data-testid=key-row]").Length(); n != 2 {
		t.Errorf("project lists %d keys, want 2", n)
	}
	if !r.Has("[data-testid=script-row]") || !r.Has("[data-testid=export-csv]") {
		t.Error("project page lacks scripts or export")
	}
	if r.Has("[data-testid=generate-link]") {
		t.Error("read-only user sees Generate")
	}
	// Search by HWID, Discord ID, note, key; status filter.
	for q, want := range map[string]int{"hwid-Alpha": 1, "1234567890123": 1, "alpha note": 2, a.fresh.UserKey[:12]: 1, "nothing-like-this": 0} {
		r = c.Get(projectPath(a) + "?q=" + url.QueryEscape(q))
		r.Want(t, http.StatusOK, "search "+q)
		if n := r.Doc.Find("[data-testid=key-row]").Length(); n != want {
			t.Errorf("search %q: %d keys, want %d", q, n, want)
		}
	}
	r = c.Get(projectPath(a) + "?status=reset")
	if n := r.Doc.Find("[data-testid=key-row]").Length(); n != 1 || r.Doc.Find("[data-testid=key-row]").AttrOr("data-key", "") != a.fresh.UserKey {
		t.Errorf("status=reset lists %d keys", n)
	}
	r = c.Get(projectPath(a) + "?status=nonsense&after=garbage")
	r.Want(t, http.StatusUnprocessableEntity, "bad filters")
	if !strings.Contains(r.Body, "Status is Active, Reset or Blacklisted") || !strings.Contains(r.Body, "page link is not valid") {
		t.Errorf("bad filters not explained: %s", r.Text("main"))
	}
	r = c.Get(keyPath(a.bound))
	r.Want(t, http.StatusOK, "key")
	if !strings.Contains(r.Text("[data-testid=cooldown]"), "1 hour") || r.Has("[data-testid=reset-hwid]") {
		t.Errorf("key page: cooldown %q, read-only sees actions %v", r.Text("[data-testid=cooldown]"), r.Has("[data-testid=reset-hwid]"))
	}
	r = c.Get(scriptPath(a))
	r.Want(t, http.StatusOK, "script")
	if !strings.Contains(r.Text("[data-testid=code-view]"), "three") {
		t.Errorf("code view: %s", r.Text("[data-testid=code-view]"))
	}
	r = c.Get(scriptPath(a) + "?tab=versions")
	if n := r.Doc.Find("[data-testid=version-row]").Length(); n != 2 {
		t.Errorf("versions: %d", n)
	}
	r = c.Get(scriptPath(a) + "?tab=diff&from=1&to=2")
	r.Want(t, http.StatusOK, "diff")
	if d := r.Text("[data-testid=diff]"); !strings.Contains(d, "two") || !strings.Contains(d, "three") {
		t.Errorf("diff: %q", d)
	}
	r = c.Get(scriptPath(a) + "?tab=diff&from=1&to=9")
	r.Want(t, http.StatusUnprocessableEntity, "diff of a missing version")
	if !r.Has("[data-testid=diff-error]") {
		t.Error("no diff error")
	}
	if r := c.Get(scriptPath(a) + "?tab=upload"); r.Status != http.StatusNotFound {
		t.Errorf("read-only upload tab: %d", r.Status)
	}
	// Home card figures.
	r = c.Get("/portal")
	if txt := r.Text("[data-testid=home-products]"); !strings.Contains(txt, "Blacklisted") || !strings.Contains(txt, "Projects") {
		t.Errorf("home card: %s", txt)
	}
}

func TestEmptyAccount(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Empty")
	c := env.AsCustomer(acc.ID, customers.RoleOwner)
	r := c.Get("/portal/luarmor")
	r.Want(t, http.StatusOK, "projects")
	if !r.Has("[data-testid=projects-empty]") {
		t.Error("no empty state")
	}
	if r := c.Get("/portal/luarmor?before=zzz"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad cursor: %d", r.Status)
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Alpha", "n")
	for _, role := range []customers.Role{customers.RoleBilling, customers.RoleReadOnly} {
		c := env.AsCustomer(a.account.ID, role)
		for _, path := range []string{keyPath(a.bound) + "/reset-hwid", keyPath(a.bound) + "/blacklist", keyPath(a.bound) + "/unban",
			keyPath(a.bound) + "/edit", keyPath(a.bound) + "/delete", projectPath(a) + "/generate", scriptPath(a) + "/versions"} {
			form := url.Values{"ban_reason": {"x"}, "count": {"1"}, "script": {"x"}, "note": {"x"}, "confirm": {a.bound.UserKey[:8]}}
			if r := c.PostForm(path, form); r.Status != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", role, path, r.Status)
			}
		}
		if r := c.Get(projectPath(a) + "/generate"); r.Status != http.StatusForbidden {
			t.Errorf("%s generate form: %d", role, r.Status)
		}
		if r := c.Get(projectPath(a)); r.Status != http.StatusOK {
			t.Errorf("%s reads the project: %d", role, r.Status)
		}
	}
	k, _ := env.Licensing.GetKeyByID(context.Background(), a.bound.ID)
	if k.Identifier == "" || k.Banned || k.Note != "n" {
		t.Errorf("refused roles changed the key: %+v", k)
	}
	for _, role := range []customers.Role{customers.RoleDeveloper, customers.RoleOwner} {
		c := env.AsCustomer(a.account.ID, role)
		r := c.PostForm(projectPath(a)+"/generate", url.Values{"count": {"2"}, "key_days": {"30"}, "note": {string(role) + " batch"}})
		r.Want(t, http.StatusOK, string(role)+" generate")
		if n := r.Doc.Find("[data-testid=generated-key]").Length(); n != 2 {
			t.Errorf("%s generated %d keys shown", role, n)
		}
	}
	page, err := env.Licensing.ListKeys(context.Background(), licensing.KeyFilter{ProjectID: a.project.ID, Search: "batch"})
	if err != nil || len(page.Keys) != 4 || page.Keys[0].KeyDays == nil || *page.Keys[0].KeyDays != 30 {
		t.Errorf("generated keys: %v %v", len(page.Keys), err)
	}
}

func TestResetHWIDCooldown(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Alpha", "n")
	c := env.AsCustomer(a.account.ID, customers.RoleDeveloper)
	c.Get(keyPath(a.bound))
	r := c.PostForm(keyPath(a.bound)+"/reset-hwid", nil)
	r.Want(t, http.StatusSeeOther, "first reset")
	k, _ := env.Licensing.GetKeyByID(context.Background(), a.bound.ID)
	if k.Identifier != "" || k.TotalResets != 1 {
		t.Fatalf("after reset: %+v", k)
	}
	// Bind a new device, then reset again: the cooldown answers clearly.
	hw := "hwid-new"
	if _, err := env.Licensing.UpdateKey(context.Background(), cli, a.project.ID, k.UserKey, licensing.KeyPatch{Identifier: &hw}); err != nil {
		t.Fatal(err)
	}
	r = c.PostForm(keyPath(a.bound)+"/reset-hwid", nil)
	r.Want(t, http.StatusUnprocessableEntity, "reset on cooldown")
	msg := r.Text("[data-testid=action-error]")
	ends := k.LastResetAt.Add(time.Hour).UTC().Format("2006-01-02")
	if !strings.Contains(msg, "cooldown") || !strings.Contains(msg, ends) || !strings.Contains(msg, "1 hour") {
		t.Errorf("cooldown message %q lacks when (%s)", msg, ends)
	}
	if k2, _ := env.Licensing.GetKeyByID(context.Background(), a.bound.ID); k2.Identifier != hw {
		t.Errorf("refused reset changed the key: %+v", k2)
	}
	// Force, as the API's force option, resets anyway (audited as forced).
	r = c.PostForm(keyPath(a.bound)+"/reset-hwid", url.Values{"force": {"on"}})
	r.Want(t, http.StatusSeeOther, "forced reset")
	if n := env.AuditCount("license_key.reset_hwid_force", strconv.FormatInt(a.bound.ID, 10)); n != 1 {
		t.Errorf("forced reset audit rows: %d", n)
	}
	// No HWID to reset: a conflict with a message, not a 500.
	r = c.PostForm(keyPath(a.fresh)+"/reset-hwid", nil)
	r.Want(t, http.StatusConflict, "reset without HWID")
	if !strings.Contains(r.Text("[data-testid=action-error]"), "no HWID") {
		t.Errorf("no-HWID message: %q", r.Text("[data-testid=action-error]"))
	}
}

func TestBlacklistAndUnban(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Alpha", "n")
	c := env.AsCustomer(a.account.ID, customers.RoleOwner)
	c.Get(keyPath(a.bound))
	r := c.PostForm(keyPath(a.bound)+"/blacklist", url.Values{"ban_reason": {"  "}})
	r.Want(t, http.StatusUnprocessableEntity, "blacklist without reason")
	if !strings.Contains(r.Text(".field-error"), "reason") {
		t.Errorf("no field message: %q", r.Text(".field-error"))
	}
	r = c.PostForm(keyPath(a.bound)+"/blacklist", url.Values{"ban_reason": {"sharing"}, "ban_expire": {"not a date"}})
	r.Want(t, http.StatusUnprocessableEntity, "blacklist with bad expiry")
	r = c.PostForm(keyPath(a.bound)+"/blacklist", url.Values{"ban_reason": {"sharing"}})
	r.Want(t, http.StatusSeeOther, "blacklist")
	k, _ := env.Licensing.GetKeyByID(context.Background(), a.bound.ID)
	if !k.Banned || k.BanReason != "sharing" {
		t.Fatalf("not banned: %+v", k)
	}
	r = c.Get(keyPath(a.bound))
	if !r.Has("[data-testid=unban]") {
		t.Error("no unban button on a banned key")
	}
	r = c.PostForm(keyPath(a.bound)+"/unban", nil)
	r.Want(t, http.StatusSeeOther, "unban")
	if k, _ := env.Licensing.GetKeyByID(context.Background(), a.bound.ID); k.Banned {
		t.Error("still banned")
	}
	r = c.PostForm(keyPath(a.bound)+"/unban", nil)
	r.Want(t, http.StatusConflict, "unban a key not banned")
}

// Editing a key (the API's PATCH) and deleting it from its page: bad
// input comes back in the dialog with the fields as sent, and a delete
// wants the key's first 8 characters typed.
func TestEditAndDeleteKey(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Alpha", "first note")
	ctx := context.Background()
	c := env.AsCustomer(a.account.ID, customers.RoleDeveloper)
	r := c.Get(keyPath(a.bound))
	r.Want(t, http.StatusOK, "key page")
	if got := r.Doc.Find("dialog#edit textarea[name=note]").Text(); got != "first note" {
		t.Errorf("edit dialog's note %q", got)
	}

	r = c.PostForm(keyPath(a.bound)+"/edit", url.Values{"note": {"kept as sent"}, "auth_expire": {"tomorrow"}, "discord_id": {"1234567890123"}})
	r.Want(t, http.StatusUnprocessableEntity, "bad expiry")
	if !r.Has("dialog#edit[data-autoopen]") || r.Text(".field-error#f-auth_expire-msg") == "" ||
		r.Doc.Find("dialog#edit textarea[name=note]").Text() != "kept as sent" {
		t.Errorf("bad expiry: dialog open %v, message %q", r.Has("dialog#edit[data-autoopen]"), r.Text(".field-error#f-auth_expire-msg"))
	}
	r = c.PostForm(keyPath(a.bound)+"/edit", url.Values{"note": {"x"}, "discord_id": {"not-a-snowflake"}})
	r.Want(t, http.StatusUnprocessableEntity, "bad Discord ID")
	if r.Text(".field-error#f-discord_id-msg") == "" {
		t.Error("bad Discord ID: no message under the field")
	}
	if k, _ := env.Licensing.GetKeyByID(ctx, a.bound.ID); k.Note != "first note" {
		t.Errorf("a refused edit changed the note to %q", k.Note)
	}

	until := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Minute)
	r = c.PostForm(keyPath(a.bound)+"/edit", url.Values{"note": {"renewed"}, "auth_expire": {until.Format("2006-01-02T15:04")},
		"discord_id": {"284019375561932801"}})
	r.Want(t, http.StatusSeeOther, "edit")
	k, err := env.Licensing.GetKeyByID(ctx, a.bound.ID)
	if err != nil || k.Note != "renewed" || k.DiscordID != "284019375561932801" || k.AuthExpire == nil || !k.AuthExpire.Equal(until) {
		t.Errorf("after the edit: %+v %v", k, err)
	}
	// The expiry cleared: the key never expires.
	r = c.PostForm(keyPath(a.bound)+"/edit", url.Values{"note": {"renewed"}, "discord_id": {"284019375561932801"}})
	r.Want(t, http.StatusSeeOther, "clear the expiry")
	if k, _ := env.Licensing.GetKeyByID(ctx, a.bound.ID); k.AuthExpire != nil {
		t.Errorf("expiry not cleared: %v", k.AuthExpire)
	}

	r = c.PostForm(keyPath(a.fresh)+"/delete", url.Values{"confirm": {"nope"}})
	r.Want(t, http.StatusUnprocessableEntity, "delete without the key typed")
	if !r.Has("dialog#delete[data-autoopen]") || !strings.Contains(r.Text("[data-testid=action-error]"), a.fresh.UserKey[:8]) {
		t.Errorf("delete refusal: %q", r.Text("[data-testid=action-error]"))
	}
	r = c.PostForm(keyPath(a.fresh)+"/delete", url.Values{"confirm": {a.fresh.UserKey[:8]}})
	r.Want(t, http.StatusSeeOther, "delete")
	if loc := r.Header.Get("Location"); loc != projectPath(a) {
		t.Errorf("after the delete: %s", loc)
	}
	if _, err := env.Licensing.GetKeyByID(ctx, a.fresh.ID); !errors.Is(err, licensing.ErrKeyNotFound) {
		t.Errorf("deleted key: %v", err)
	}
	if r := c.Get(keyPath(a.fresh)); r.Status != http.StatusNotFound {
		t.Errorf("deleted key's page: %d", r.Status)
	}
}

func TestGenerateBadInputAndPlanLimit(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Alpha", "n")
	c := env.AsCustomer(a.account.ID, customers.RoleDeveloper)
	r := c.Get(projectPath(a) + "/generate")
	r.Want(t, http.StatusOK, "generate form")
	for _, form := range []url.Values{{"count": {""}}, {"count": {"0"}}, {"count": {"100000"}}, {"count": {"x"}}, {"count": {"2"}, "key_days": {"-3"}}} {
		r = c.PostForm(projectPath(a)+"/generate", form)
		r.Want(t, http.StatusUnprocessableEntity, "generate "+form.Encode())
		if !r.Has(".field-error") {
			t.Errorf("generate %v: no field message", form)
		}
	}
	if _, err := env.Licensing.SetPlan(context.Background(), cli, a.account.ID, licensing.PlanInput{MaxUsers: 3, Obfuscations: licensing.Unlimited, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	r = c.PostForm(projectPath(a)+"/generate", url.Values{"count": {"5"}})
	r.Want(t, http.StatusUnprocessableEntity, "generate over the plan")
	if !r.Has("[role=alert]") || r.Has("[data-testid=generated-key]") {
		t.Errorf("plan limit: %s", r.Text("[role=alert]"))
	}
	r = c.PostForm(projectPath(a)+"/generate", url.Values{"count": {"1"}})
	r.Want(t, http.StatusOK, "generate within the plan")
}

func TestUploadVersion(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Alpha", "n")
	c := env.AsCustomer(a.account.ID, customers.RoleDeveloper)
	r := c.Get(scriptPath(a) + "?tab=upload")
	r.Want(t, http.StatusOK, "upload tab")
	r = c.PostForm(scriptPath(a)+"/versions", url.Values{"script": {"   "}})
	r.Want(t, http.StatusUnprocessableEntity, "empty upload")
	if !r.Has("[data-testid=script-error]") {
		t.Error("empty upload: no message")
	}
	r = c.PostForm(scriptPath(a)+"/versions", url.Values{"script": {"print('pasted')"}})
	r.Want(t, http.StatusSeeOther, "pasted upload")
	// A file upload wins over the textarea.
	post := func(content []byte) *servertest.Response {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		_ = w.WriteField("csrf", c.CSRF)
		_ = w.WriteField("script", "ignored")
		fw, _ := w.CreateFormFile("file", "main.lua")
		_, _ = fw.Write(content)
		_ = w.Close()
		return c.Do(http.MethodPost, scriptPath(a)+"/versions", &body, http.Header{"Content-Type": {w.FormDataContentType()}})
	}
	r = post([]byte("print('from file')\n"))
	r.Want(t, http.StatusSeeOther, "file upload")
	v, err := env.Licensing.ScriptVersion(context.Background(), a.project.ID, a.script.ID, 0)
	if err != nil || v.Version != 4 || !strings.Contains(v.Source, "from file") {
		t.Errorf("current version: %d %q %v", v.Version, v.Source, err)
	}
	r = post(bytes.Repeat([]byte("a"), licensing.MaxScriptLen+1))
	r.Want(t, http.StatusUnprocessableEntity, "too big a file")
	if !strings.Contains(r.Text("[data-testid=file-error]"), "at most") {
		t.Errorf("size message: %q", r.Text("[data-testid=file-error]"))
	}
	r = post([]byte{0xff, 0xfe, 'x'})
	if r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
		t.Errorf("invalid UTF-8 file: %d", r.Status)
	}
}

// The portal's script page is the console's in the portal's face: its
// facts link under /portal, a developer sets the flags without a reason,
// and it has no audit history tab.
func TestScriptFlags(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Alpha", "n")
	dev := env.AsCustomer(a.account.ID, customers.RoleDeveloper)
	r := dev.Get(scriptPath(a))
	r.Want(t, http.StatusOK, "script page")
	if !r.Has("[data-testid=save-flags]") || r.Has("[data-testid=flags-form] input[name=reason]") {
		t.Errorf("flags form: save %v, reason field %v", r.Has("[data-testid=save-flags]"), r.Has("input[name=reason]"))
	}
	if href := r.Doc.Find("[data-testid=script-header] dd a.link").AttrOr("href", ""); href != projectPath(a) {
		t.Errorf("project link %q, want %q", href, projectPath(a))
	}
	r.Doc.Find("main a[href]").Each(func(_ int, l *goquery.Selection) {
		if h := l.AttrOr("href", ""); strings.HasPrefix(h, "/luarmor") || strings.Contains(h, "tab=history") {
			t.Errorf("portal script page links to %s", h)
		}
	})
	if r := dev.Get(scriptPath(a) + "?tab=history"); r.Status != http.StatusNotFound {
		t.Errorf("history tab: %d, want 404", r.Status)
	}
	if r := dev.Get(scriptPath(a) + "?tab=upload"); r.Has("[data-testid=upload-form] input[name=reason]") || !r.Has("[data-testid=upload-form] input[type=file]") {
		t.Error("upload form: a reason field, or no file field")
	}

	r = dev.PostForm(scriptPath(a), url.Values{"silent": {"on"}, "heartbeat": {"on"}})
	r.Want(t, http.StatusSeeOther, "save flags")
	if loc := r.Header.Get("Location"); loc != scriptPath(a) {
		t.Errorf("after saving: %s", loc)
	}
	s, err := env.Licensing.GetScript(context.Background(), a.project.ID, a.script.ID)
	if err != nil || !s.Silent || !s.Heartbeat || s.FFA || s.Lightning {
		t.Errorf("flags %+v %v", s, err)
	}
	if r := dev.Get(scriptPath(a)); !r.Has("[data-testid=flag-silent][checked]") || r.Has("[data-testid=flag-ffa][checked]") {
		t.Error("the page does not show the saved flags")
	}

	ro := env.AsCustomer(a.account.ID, customers.RoleReadOnly)
	if r := ro.Get(scriptPath(a)); r.Has("[data-testid=save-flags]") || !r.Has("[data-testid=flags-form] fieldset[disabled]") {
		t.Error("a read-only member can edit the flags")
	}
	if r := ro.PostForm(scriptPath(a), url.Values{"ffa": {"on"}}); r.Status != http.StatusForbidden {
		t.Errorf("read-only flags: %d, want 403", r.Status)
	}
	if s, _ := env.Licensing.GetScript(context.Background(), a.project.ID, a.script.ID); s.FFA {
		t.Error("a read-only member changed the flags")
	}
}

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v: %q", err, body)
	}
	return rows
}

func TestExportCSV(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Alpha", "n")
	b := newTenant(t, env, "Beta", "n")
	c := env.AsCustomer(a.account.ID, customers.RoleReadOnly)
	r := c.Get(projectPath(a) + "/keys.csv")
	r.Want(t, http.StatusOK, "export")
	rows := readCSV(t, r.Body)
	if len(rows) != 3 || rows[0][0] != "user_key" {
		t.Fatalf("csv rows: %v", rows)
	}
	// The console's columns without its internal id and the project.
	if h := strings.Join(rows[0], ","); h != "user_key,identifier,discord_id,note,status,banned,ban_reason,ban_expire,key_days,"+
		"auth_expire,expired,total_resets,last_reset_at,total_executions,last_execution_at,created_at" || len(rows[1]) != len(rows[0]) {
		t.Errorf("csv header %q, a row of %d cells", h, len(rows[1]))
	}
	got := map[string]bool{rows[1][0]: true, rows[2][0]: true}
	if !got[a.bound.UserKey] || !got[a.fresh.UserKey] || strings.Contains(r.Body, b.bound.UserKey) || strings.Contains(r.Body, b.fresh.UserKey) {
		t.Errorf("csv holds the wrong keys: %v", rows)
	}
	r = c.Get(projectPath(a) + "/keys.csv?status=reset")
	if rows := readCSV(t, r.Body); len(rows) != 2 || rows[1][0] != a.fresh.UserKey {
		t.Errorf("filtered csv: %v", rows)
	}
	if r := c.Get(projectPath(a) + "/keys.csv?status=bogus"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad filter export: %d", r.Status)
	}
	if env.AuditCount("license_key.export", "") != 2 {
		t.Errorf("export audits: %d", env.AuditCount("license_key.export", ""))
	}
}

// Account B's customer asking for account A's project, script and key ids
// gets 404, as for unknown ids; A's keys never show in B's lists, search
// or CSV; and B's changes never reach A's keys.
func TestIsolation(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Alpha", "shared-word")
	b := newTenant(t, env, "Beta", "shared-word")
	c := env.AsCustomer(b.account.ID, customers.RoleOwner)
	c.Get("/portal/luarmor")
	gets := []string{projectPath(a), projectPath(a) + "/keys.csv", projectPath(a) + "/generate", scriptPath(a),
		scriptPath(a) + "?tab=diff", keyPath(a.bound), keyPath(a.fresh),
		projectPath(b) + "/scripts/" + a.script.ID, "/portal/luarmor/keys/999999999", "/portal/luarmor/projects/nope"}
	for _, p := range gets {
		if r := c.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("GET %s as B: %d, want 404", p, r.Status)
		}
	}
	posts := map[string]url.Values{
		keyPath(a.bound) + "/reset-hwid": {"force": {"on"}},
		keyPath(a.bound) + "/blacklist":  {"ban_reason": {"x"}},
		keyPath(a.bound) + "/unban":      nil,
		projectPath(a) + "/generate":     {"count": {"1"}},
		scriptPath(a) + "/versions":      {"script": {"print('pwned')"}},
		scriptPath(a):                    {"ffa": {"on"}},
		keyPath(a.bound) + "/edit":       {"note": {"pwned"}},
		keyPath(a.fresh) + "/delete":     {"confirm": {a.fresh.UserKey[:8]}},
	}
	for p, form := range posts {
		if r := c.PostForm(p, form); r.Status != http.StatusNotFound {
			t.Errorf("POST %s as B: %d, want 404", p, r.Status)
		}
	}
	ctx := context.Background()
	if k, _ := env.Licensing.GetKeyByID(ctx, a.bound.ID); k.Identifier == "" || k.Banned {
		t.Errorf("A's key changed: %+v", k)
	}
	if v, _ := env.Licensing.ScriptVersion(ctx, a.project.ID, a.script.ID, 0); v.Version != 2 {
		t.Errorf("A's script got version %d", v.Version)
	}
	if s, _ := env.Licensing.GetScript(ctx, a.project.ID, a.script.ID); s.FFA {
		t.Error("A's script's flags changed")
	}
	if k, err := env.Licensing.GetKeyByID(ctx, a.fresh.ID); err != nil || k.Note != a.fresh.Note {
		t.Errorf("A's spare key: %+v %v", k, err)
	}
	if page, _ := env.Licensing.ListKeys(ctx, licensing.KeyFilter{ProjectID: a.project.ID}); len(page.Keys) != 2 {
		t.Errorf("A has %d keys", len(page.Keys))
	}
	// B's lists, search and CSV hold only B's.
	pages := []string{"/portal/luarmor", projectPath(b), projectPath(b) + "?q=shared-word", projectPath(b) + "?q=" + a.bound.UserKey,
		projectPath(b) + "?q=hwid-Alpha", projectPath(b) + "/keys.csv", projectPath(b) + "/keys.csv?q=shared-word", "/portal"}
	for _, p := range pages {
		r := c.Get(p)
		if r.Status >= 400 {
			t.Errorf("GET %s: %d", p, r.Status)
		}
		body := r.Body
		if strings.Contains(p, "?q=") && !strings.Contains(p, ".csv") {
			body = r.Text("[data-testid=keys-results]") // the search box echoes the query
		}
		for _, leak := range []string{a.bound.UserKey, a.fresh.UserKey, a.project.ID, "hwid-Alpha", "Alpha Hub"} {
			if strings.Contains(body, leak) {
				t.Errorf("GET %s as B shows A's %q", p, leak)
			}
		}
	}
	r := c.Get(projectPath(b) + "?q=shared-word")
	if n := r.Doc.Find("[data-testid=key-row]").Length(); n != 2 {
		t.Errorf("B's search lists %d keys, want B's 2", n)
	}
}

// A project's key list longer than a page shows its rows, then asks for
// its count by its own URL; the answer counts the customer's filtered keys
// and never another account's project.
func TestProjectKeysCountFollows(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Alpha", "alpha note")
	b := newTenant(t, env, "Beta", "alpha note")
	if _, err := env.Licensing.GenerateKeys(context.Background(), cli, a.project.ID, 50, licensing.KeyInput{Note: "batch"}); err != nil {
		t.Fatal(err)
	}
	c := env.AsCustomer(a.account.ID, customers.RoleReadOnly)
	count := c.Count

	r := c.Get(projectPath(a))
	r.Want(t, http.StatusOK, "project")
	from := r.PendingCount()
	if from != projectPath(a) {
		t.Fatalf("deferred count from %q, want %q", from, projectPath(a))
	}
	if got := count(from).Text(`[data-testid="result-count"]`); got != "52 keys" {
		t.Errorf("count = %q, want 52 keys", got)
	}
	if got := count(projectPath(a) + "?q=batch&status=nonsense").Text(`[data-testid="result-count"]`); got != "50 keys" {
		t.Errorf("count of batch (a refused status dropped) = %q, want 50 keys", got)
	}
	// A page that holds every match counts itself.
	r = c.Get(projectPath(a) + "?q=" + url.QueryEscape("alpha note"))
	if got := r.Text(`[data-testid="result-count"]`); got != "2 keys" || r.Has(`[data-pending]`) {
		t.Errorf("search count = %q", got)
	}
	// Another account's project is not found, for the count as for the page.
	if r := count(projectPath(b)); r.Status != http.StatusNotFound || r.Has(`[data-testid="result-count"]`) {
		t.Errorf("another account's count: %d %q", r.Status, r.Text(`[data-testid="result-count"]`))
	}
}

// Bulk actions on the keys selected on a project's page: a confirmation
// that lists them (another account's id left out), then each key's result,
// through the same rules as one key's page.
func TestBulkKeys(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Alpha", "n")
	b := newTenant(t, env, "Beta", "n")
	ctx := context.Background()
	c := env.AsCustomer(a.account.ID, customers.RoleDeveloper)
	bulk := projectPath(a) + "/keys/bulk"
	if r := c.Get(projectPath(a)); !r.Has("[data-testid=bulk-bar] [data-testid=bulk-blacklist]") || r.Doc.Find("input[name=ids][data-select-row]").Length() != 2 {
		t.Fatal("the project page has no bulk bar or row checkboxes")
	}
	if r := env.AsCustomer(a.account.ID, customers.RoleReadOnly).Get(projectPath(a)); r.Has("[data-testid=bulk-bar]") || r.Has("input[name=ids]") {
		t.Error("read-only sees the bulk bar")
	}
	ids := func(extra ...string) []string {
		return append([]string{strconv.FormatInt(a.bound.ID, 10), strconv.FormatInt(a.fresh.ID, 10)}, extra...)
	}
	selected := ids(strconv.FormatInt(b.bound.ID, 10), "abc", strconv.FormatInt(a.bound.ID, 10))
	r := c.PostForm(bulk, url.Values{"action": {"blacklist"}, "ids": selected})
	r.Want(t, http.StatusOK, "confirmation")
	if n := r.Doc.Find("[data-testid=bulk-key]").Length(); n != 2 || strings.Contains(r.Body, b.bound.UserKey) {
		t.Errorf("confirmation lists %d keys (another account's shown: %v)", n, strings.Contains(r.Body, b.bound.UserKey))
	}
	r = c.PostForm(bulk, url.Values{"action": {"blacklist"}, "ids": ids(), "confirm": {"yes"}})
	r.Want(t, http.StatusUnprocessableEntity, "blacklist without a reason")
	if r.Text(".field-error") == "" {
		t.Error("no message for the missing reason")
	}
	run := func(action string, extra url.Values) map[string]string {
		t.Helper()
		form := url.Values{"action": {action}, "ids": ids(), "confirm": {"yes"}}
		for k, v := range extra {
			form[k] = v
		}
		r := c.PostForm(bulk, form)
		r.Want(t, http.StatusOK, action)
		got := map[string]string{}
		r.Doc.Find("[data-testid=bulk-result]").Each(func(_ int, s *goquery.Selection) {
			msg := "ok"
			if s.AttrOr("data-ok", "") != "true" {
				msg = strings.TrimSpace(s.Find("td").Last().Text())
			}
			got[s.AttrOr("data-key", "")] = msg
		})
		return got
	}
	if got := run("blacklist", url.Values{"ban_reason": {"chargeback"}}); got[a.bound.UserKey] != "ok" || got[a.fresh.UserKey] != "ok" {
		t.Errorf("blacklist: %v", got)
	}
	if k, _ := env.Licensing.GetKeyByID(ctx, a.fresh.ID); !k.Banned || k.BanReason != "chargeback" {
		t.Errorf("after the blacklist: %+v", k)
	}
	if got := run("reset-hwid", nil); got[a.bound.UserKey] == "ok" {
		t.Errorf("reset of a banned key: %v", got)
	}
	if got := run("unban", nil); got[a.bound.UserKey] != "ok" || got[a.fresh.UserKey] != "ok" {
		t.Errorf("unban: %v", got)
	}
	got := run("reset-hwid", nil)
	if got[a.bound.UserKey] != "ok" || !strings.Contains(strings.ToLower(got[a.fresh.UserKey]), "hwid") {
		t.Errorf("reset: %v", got)
	}
	if got := run("delete", nil); got[a.bound.UserKey] != "ok" || got[a.fresh.UserKey] != "ok" {
		t.Errorf("delete: %v", got)
	}
	if _, err := env.Licensing.GetKeyByID(ctx, a.bound.ID); !errors.Is(err, licensing.ErrKeyNotFound) {
		t.Errorf("deleted key: %v", err)
	}

	for what, form := range map[string]url.Values{
		"another account's key only": {"action": {"delete"}, "ids": {strconv.FormatInt(b.fresh.ID, 10)}, "confirm": {"yes"}},
		"no key":                     {"action": {"delete"}, "confirm": {"yes"}},
		"an unknown action":          {"action": {"explode"}, "ids": {strconv.FormatInt(b.fresh.ID, 10)}},
	} {
		if r := c.PostForm(bulk, form); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", what, r.Status)
		}
	}
	if _, err := env.Licensing.GetKeyByID(ctx, b.fresh.ID); err != nil {
		t.Errorf("another account's key: %v", err)
	}
	other := env.AsCustomer(b.account.ID, customers.RoleOwner)
	if r := other.PostForm(bulk, url.Values{"action": {"delete"}, "ids": {strconv.FormatInt(b.fresh.ID, 10)}, "confirm": {"yes"}}); r.Status != http.StatusNotFound {
		t.Errorf("another account's project: %d, want 404", r.Status)
	}
	ro := env.AsCustomer(a.account.ID, customers.RoleReadOnly)
	if r := ro.PostForm(bulk, url.Values{"action": {"unban"}, "ids": ids(), "confirm": {"yes"}}); r.Status != http.StatusForbidden {
		t.Errorf("read-only: %d, want 403", r.Status)
	}
}
