package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/audit"
	"lumdesk/internal/demo"
	"lumdesk/internal/licensing"
)

// Staff open the Discord sandbox console of the demo (the demo guild is
// linked to Nightfall's project by the seed), post the key panel as the
// server manager, and as alice redeem the seed's unredeemed key through
// the Redeem key modal, then reset its HWID once a loader has bound one.
func TestDiscordSandboxRedeemAndReset(t *testing.T) {
	b := startFor(t, 3*time.Minute, servertest.Demo)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, b.Env.DemoDeps()); err != nil {
		t.Fatal(err)
	}
	page, err := b.Env.Licensing.ListKeys(ctx, licensing.KeyFilter{Search: demo.DiscordKeyNote, Limit: 1})
	if err != nil || len(page.Keys) != 1 {
		t.Fatalf("the demo's Discord key: %v (%d keys)", err, len(page.Keys))
	}
	key := page.Keys[0]
	if key.DiscordID != "" || key.Identifier != "" {
		t.Fatalf("the demo's Discord key is not fresh: %+v", key)
	}
	b.staff("support")

	// The status page: sandbox mode, the demo guild's links.
	b.open("/discord", `[data-testid="bot-status"]`)
	b.waitText(`[data-testid="bot-mode"]`, `^Sandbox`)
	b.waitText(`[data-testid="discord-links"] [data-testid="guild-id"]`, `^900000000000000001$`)
	b.screenshot("status")

	// As the manager (the console's default member), post the panel.
	b.click(`[data-testid="open-sandbox"]`)
	b.waitVisible(`[data-testid="sandbox-form"]`)
	b.selectValue(`#sandbox-user`, "manager")
	b.selectValue(`#sandbox-cmd`, "luarmor panel")
	b.click(`[data-testid="sandbox-send"]`)
	redeem := `#sandbox-log [data-testid="dc-button"][data-custom-id="luarmor:redeem"]`
	b.waitVisible(redeem)
	b.screenshot("panel")

	// As alice, press Redeem key and give the key in the modal.
	b.selectValue(`#sandbox-user`, "alice")
	b.click(redeem)
	modal := `#sandbox-log [data-testid="dc-modal"] `
	b.waitVisible(modal + `input:not([type=hidden])`)
	field := eval[string](b, `document.querySelector('#sandbox-log [data-testid="dc-modal"] input:not([type=hidden])').name`)
	b.fill(modal, field, key.UserKey)
	b.screenshot("redeem-modal")
	b.click(modal + `[data-testid="modal-submit"]`)
	last := `#sandbox-log > [data-testid="exchange"]:last-of-type `
	b.waitText(last+`[data-testid="exchange-action"]`, `^alice\s+submitted`)
	answer := b.waitText(last+`[data-testid="bot-message"]`, `(?i)expire`)
	if !b.exists(last + `[data-testid="ephemeral"]`) {
		t.Errorf("the redeem answer is not ephemeral: %q", answer)
	}
	redeemed, err := b.Env.Licensing.ListKeys(ctx, licensing.KeyFilter{UserKey: key.UserKey, Limit: 1})
	if err != nil || len(redeemed.Keys) != 1 || redeemed.Keys[0].DiscordID != "100000000000000002" || redeemed.Keys[0].AuthExpire == nil {
		t.Fatalf("after the redeem: %+v, %v", redeemed.Keys, err)
	}

	// A loader binds a HWID, then alice resets it from the panel.
	scripts, err := b.Env.Licensing.ListScripts(ctx, key.ProjectID)
	if err != nil {
		t.Fatal(err)
	}
	var script licensing.Script
	for _, s := range scripts {
		if !s.FFA {
			script = s
			break
		}
	}
	loader := audit.Actor{Kind: audit.KindAnonymous, Label: "loader", IP: "203.0.113.9"}
	if _, err := b.Env.Licensing.Check(ctx, licensing.CheckInput{ProjectID: key.ProjectID, ScriptID: script.ID, ScriptKey: key.UserKey,
		HWID: "HWID-E2E-DISCORD", Actor: loader}); err != nil {
		t.Fatal(err)
	}
	bound, err := b.Env.Licensing.ListKeys(ctx, licensing.KeyFilter{UserKey: key.UserKey, Limit: 1})
	if err != nil || bound.Keys[0].Identifier != "HWID-E2E-DISCORD" {
		t.Fatalf("the loader bound no HWID: %+v, %v", bound.Keys, err)
	}
	b.click(`#sandbox-log [data-testid="dc-button"][data-custom-id="luarmor:reset"]`)
	b.waitText(last+`[data-testid="exchange-action"]`, `^alice\s+pressed Reset HWID`)
	answer = b.waitText(last+`[data-testid="bot-message"]`, `(?i)reset`)
	after, err := b.Env.Licensing.ListKeys(ctx, licensing.KeyFilter{UserKey: key.UserKey, Limit: 1})
	if err != nil || after.Keys[0].Identifier != "" || after.Keys[0].TotalResets != 1 {
		t.Fatalf("after the reset (%q): %+v, %v", answer, after.Keys, err)
	}
	b.screenshot("reset")
	eval[bool](b, `(document.documentElement.classList.add('dark'), true)`)
	b.screenshot("reset-dark")
	eval[bool](b, `(document.documentElement.classList.remove('dark'), true)`)

	// The same console on a phone, and in dark mode.
	b.viewport(390, 844, true)
	b.screenshot("phone")
	eval[bool](b, `(localStorage.setItem('theme', 'dark'), true)`)
	b.open("/discord/sandbox", `[data-testid="sandbox-form"]`)
	b.screenshot("phone-dark")
	b.viewport(1280, 900, false)
	b.open("/discord", `[data-testid="bot-status"]`)
	b.screenshot("status-dark")
}

// selectValue chooses an option of a select and tells the page it changed.
func (b *B) selectValue(sel, value string) {
	b.t.Helper()
	s, _ := json.Marshal(sel)
	v, _ := json.Marshal(value)
	ok := eval[bool](b, `(() => { const e = document.querySelector(`+string(s)+`); if (!e) return false;
		e.value = `+string(v)+`; e.dispatchEvent(new Event('change', {bubbles: true})); return e.value === `+string(v)+`; })()`)
	if !ok {
		b.t.Fatalf("select %s: no option %s", sel, strings.TrimSpace(value))
	}
}
