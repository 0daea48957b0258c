package e2e

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/licensing"
)

// A customer (developer) signs in to the portal, opens a license key of
// their project, resets its HWID through the confirmation dialog, and when
// their user's device has bound again, tries again and is told the
// cooldown is on, with when it ends; the key stays bound.
func TestPortalLuarmorResetHWIDCooldown(t *testing.T) {
	b := start(t)
	ctx, cli := context.Background(), audit.CLI("e2e")
	svc := b.Env.Licensing
	acc := b.Env.CreateAccount("Nightfall Studios")
	p, err := svc.CreateProject(ctx, cli, licensing.ProjectInput{AccountID: acc.ID, Name: "Nightfall Hub", ResetCooldown: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	script, err := svc.CreateScript(ctx, cli, p.ID, licensing.ScriptInput{Name: "Autofarm"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateKey(ctx, cli, p.ID, licensing.KeyInput{Note: "Nightfall owner"})
	if err != nil {
		t.Fatal(err)
	}
	run := func(hwid string) {
		t.Helper()
		res, err := svc.Check(ctx, licensing.CheckInput{ProjectID: p.ID, ScriptID: script.ID, ScriptKey: key.UserKey, HWID: hwid})
		if err != nil || !res.Allowed {
			t.Fatalf("loader check on %s: %+v %v", hwid, res, err)
		}
	}
	run("HWID-OLD-PC")
	email := "dev@nightfall.test"
	b.Env.CreateCustomer(acc.ID, email, customers.RoleDeveloper)

	b.open("/portal/login", `[data-testid="login-form"]`)
	b.fill(`[data-testid="login-form"] `, "email", email)
	b.fill(`[data-testid="login-form"] `, "password", servertest.Password)
	b.click(`[data-testid="login-submit"]`)
	b.waitPath(`^/portal$`)

	// From the project list to the key.
	b.open("/portal/luarmor", `[data-testid="project-row"]`)
	b.click(`[data-testid="project-row"] a`)
	b.waitPath(`^/portal/luarmor/projects/` + p.ID)
	b.click(`[data-testid="key-row"] [data-testid="key-link"]`)
	keyPath := "/portal/luarmor/keys/" + strconv.FormatInt(key.ID, 10)
	b.waitPath(`^` + keyPath + `$`)
	if txt := b.text(`[data-testid="cooldown"]`); !regexp.MustCompile(`24 hours[\s\S]*allowed now`).MatchString(txt) {
		t.Errorf("cooldown card before the reset: %q", txt)
	}

	// 1. Reset: confirm in the dialog; back on the key with a toast.
	b.click(`[data-testid="reset-hwid"]`)
	b.waitVisible(`dialog#reset-hwid[open]`)
	b.click(`dialog#reset-hwid button[type=submit]`)
	b.toast(`HWID of key .* reset`)
	b.waitText(`[data-testid="cooldown"]`, `On cooldown until`)
	if k, _ := svc.GetKeyByID(ctx, key.ID); k.Identifier != "" || k.TotalResets != 1 {
		t.Fatalf("after the reset: identifier %q, resets %d", k.Identifier, k.TotalResets)
	}

	// 2. The user's new device binds; resetting again hits the cooldown.
	run("HWID-NEW-PC")
	b.open(keyPath, `[data-testid="reset-hwid"]`)
	b.click(`[data-testid="reset-hwid"]`)
	b.waitVisible(`dialog#reset-hwid[open]`)
	if txt := b.text(`dialog#reset-hwid [data-testid="reset-cooldown"]`); !regexp.MustCompile(`On cooldown until`).MatchString(txt) {
		t.Errorf("the dialog does not warn of the cooldown: %q", txt)
	}
	b.allow(`status of 422 .*/reset-hwid`) // the refusal is the page with its message
	b.click(`dialog#reset-hwid button[type=submit]`)
	msg := b.waitText(`[data-testid="action-error"]`, `cooldown`)
	k, _ := svc.GetKeyByID(ctx, key.ID)
	ends := k.LastResetAt.Add(24 * time.Hour).UTC().Format("2006-01-02")
	if !regexp.MustCompile(`reset again at .*` + ends).MatchString(msg) {
		t.Errorf("cooldown message %q does not say when (%s)", msg, ends)
	}
	if k.Identifier != "HWID-NEW-PC" || k.TotalResets != 1 {
		t.Errorf("the refused reset changed the key: identifier %q, resets %d", k.Identifier, k.TotalResets)
	}
	// The failed action's dialog is shown again, to tick Force if meant.
	b.waitVisible(`dialog#reset-hwid[open] [data-testid="force"]`)
	b.screenshot("cooldown")

	// The portal's Luarmor pages fit 1280 px, 1024 px and a 390 px phone.
	for _, src := range []string{"print('v1')\n", "print('v2')\nprint('a fairly long line of Lua source to see that the code view scrolls inside its card')\n"} {
		if _, err := svc.UpdateScript(ctx, cli, p.ID, script.ID, licensing.ScriptUpdate{Source: &src}); err != nil {
			t.Fatal(err)
		}
	}
	scriptPath := "/portal/luarmor/projects/" + p.ID + "/scripts/" + script.ID
	pages := []string{"/portal/luarmor", "/portal/luarmor/projects/" + p.ID, keyPath, scriptPath, scriptPath + "?tab=versions",
		scriptPath + "?tab=diff", scriptPath + "?tab=upload", "/portal/luarmor/projects/" + p.ID + "/generate"}
	for _, vp := range []struct {
		w, h   int64
		mobile bool
	}{{1280, 900, false}, {1024, 800, false}, {390, 844, true}} {
		b.viewport(vp.w, vp.h, vp.mobile)
		for _, path := range pages {
			b.open(path, "#main")
			// Source lines scroll inside the code view and the diff, by design
			// (on a phone checkWidth passes over code, not lists); the page
			// itself never scrolls sideways.
			source := path == scriptPath || strings.HasSuffix(path, "tab=diff")
			checkWidth(b, path+" at "+strconv.FormatInt(vp.w, 10)+"px", vp.mobile || !source)
		}
	}
	// Dark mode, to look at (e2e/screenshots).
	eval[bool](b, `(localStorage.setItem('theme', 'dark'), true)`)
	b.open("/portal/luarmor/projects/"+p.ID, `[data-testid="key-row"]`)
	b.screenshot("project-dark-phone")
	b.viewport(1280, 900, false)
	b.open("/portal/luarmor/projects/"+p.ID, `[data-testid="key-row"]`)
	b.screenshot("project-dark")
	b.open(scriptPath+"?tab=diff", `[data-testid="diff"]`)
	b.screenshot("diff-dark")

	// 3. Edit the key's note in its dialog, then delete the key: the
	// delete stays disabled until the key's first 8 characters are typed.
	b.open(keyPath, `[data-testid="edit"]`)
	b.click(`[data-testid="edit"]`)
	b.waitVisible(`dialog#edit[open]`)
	b.fill(`dialog#edit `, "note", "Moved to the new PC")
	b.screenshot("edit-dark")
	b.click(`dialog#edit button[type=submit]`)
	b.toast(`Key .* saved`)
	b.waitText(`#main dl`, `Moved to the new PC`)
	b.click(`[data-testid="delete"]`)
	b.waitVisible(`dialog#delete[open]`)
	if !eval[bool](b, `document.querySelector('dialog#delete button[type=submit]').disabled`) {
		t.Error("delete is enabled before the key is typed")
	}
	b.fill(`dialog#delete `, "confirm", key.UserKey[:8])
	b.click(`dialog#delete button[type=submit]`)
	b.waitPath(`^/portal/luarmor/projects/` + p.ID + `$`)
	b.toast(`Key .* deleted`)
	if _, err := svc.GetKeyByID(ctx, key.ID); err == nil {
		t.Error("the key is still there")
	}
}
