package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
)

// The support desk's Luarmor flow: find a key by the customer's Discord ID,
// reset its HWID, blacklist it, unban it (each through its dialog, with a
// reason, swapping the header in place), and see every step in the key's
// History tab.
func TestLicensingSupportFlow(t *testing.T) {
	b := start(t)
	ctx, cli := context.Background(), audit.CLI("e2e")
	svc := b.Env.Licensing
	acc, err := b.Env.Accounts.Create(ctx, cli, accounts.CreateInput{Name: "Nightfall Studios", Email: "ops@nightfall.gg"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.CreateProject(ctx, cli, licensing.ProjectInput{AccountID: acc.ID, Name: "Nightfall Hub", ResetCooldown: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	script, err := svc.CreateScript(ctx, cli, p.ID, licensing.ScriptInput{Name: "Autofarm"})
	if err != nil {
		t.Fatal(err)
	}
	const discord = "284019375561932801"
	var key licensing.Key
	for i := range 6 {
		in := licensing.KeyInput{Identifier: "HWID-" + strconv.Itoa(i), Note: "batch " + strconv.Itoa(i)}
		if i == 3 {
			in.DiscordID, in.Note = discord, "Nightfall owner"
		}
		k, err := svc.CreateKey(ctx, cli, p.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			key = k
		}
	}
	if _, err := svc.Check(ctx, licensing.CheckInput{ProjectID: p.ID, ScriptID: script.ID, ScriptKey: key.UserKey, HWID: "HWID-3"}); err != nil {
		t.Fatal(err)
	}
	b.staff("support")
	keyPath := "/luarmor/keys/" + strconv.FormatInt(key.ID, 10)

	// 0. A list longer than its page shows its rows, then its count.
	b.open("/luarmor/keys?q=batch&limit=2", `[data-testid="result-count"]:not([data-pending])`)
	if got := b.text(`[data-testid="result-count"]`); got != "5 keys" {
		t.Errorf("the deferred count reads %q, want 5 keys", got)
	}
	// One that cannot be read says so (the same placeholder, asking a path
	// that answers 404).
	b.allow(`/luarmor/no-such-page`)
	eval[bool](b, `(() => {
		const p = document.createElement('p');
		p.id = 'failing-count';
		p.className = 'invisible [&.htmx-request]:visible';
		p.setAttribute('data-pending', '');
		p.setAttribute('hx-get', '/luarmor/no-such-page');
		p.setAttribute('hx-trigger', 'load');
		p.textContent = 'Counting…';
		document.querySelector('[data-testid="list-bar"]').append(p);
		htmx.process(p);
		return true;
	})()`)
	b.waitVisible(`#failing-count:not([data-pending])`)
	if got := b.text(`#failing-count`); got != "Count unavailable" {
		t.Errorf("a count that failed reads %q", got)
	}

	// 1. Find the key by the Discord ID: the search swaps the results in.
	b.open("/luarmor/keys", `[data-testid="key-row"]`)
	b.do("search", chromedp.SendKeys(chromedp.CSS(`[data-testid="key-filters"] input[name=q]`), discord))
	b.waitPath(`q=` + discord)
	row := `[data-testid="key-row"][data-id="` + strconv.FormatInt(key.ID, 10) + `"]`
	b.waitVisible(row)
	if n := eval[int](b, `document.querySelectorAll('[data-testid="key-row"]').length`); n != 1 {
		t.Errorf("search by Discord ID shows %d keys, want 1", n)
	}
	b.screenshot("search")
	b.click(row + ` [data-testid="key-link"]`)
	b.waitPath("^" + keyPath + "$")
	b.waitVisible(`[data-testid="key-header"]`)
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__e2eSamePage = true`))
	b.screenshot("key")

	// 2. Reset the HWID.
	b.click(`[data-testid="action-reset-hwid"]`)
	dialog := `dialog#key-reset-hwid-dialog[open] `
	b.waitVisible(dialog + `textarea[name=reason]`)
	if b.exists(dialog + `input[name=force]`) {
		t.Error("support is offered a forced reset")
	}
	b.fill(dialog, "reason", "Customer bought a new PC")
	b.screenshot("reset-dialog")
	b.click(dialog + `button[type=submit]`)
	b.do("reset dialog closes", chromedp.WaitNotPresent(chromedp.CSS(`dialog#key-reset-hwid-dialog[open]`)))
	b.waitText(`[data-testid="key-header"] [data-status]`, `^Reset$`)
	b.waitText(`[data-testid="cooldown-ends"]`, `On cooldown until`)
	b.toast(`(?i)HWID .* reset`)
	licdSettled(b)

	// 3. Blacklist it, with the reason the user will see.
	b.click(`[data-testid="action-blacklist"]`)
	dialog = `dialog#key-blacklist-dialog[open] `
	b.waitVisible(dialog + `input[name=ban_reason]`)
	b.fill(dialog, "ban_reason", "Key shared on a forum")
	b.fill(dialog, "reason", "Ticket 4512: key posted publicly")
	b.screenshot("blacklist-dialog")
	b.click(dialog + `button[type=submit]`)
	b.do("blacklist dialog closes", chromedp.WaitNotPresent(chromedp.CSS(`dialog#key-blacklist-dialog[open]`)))
	b.waitText(`[data-testid="banned-notice"]`, `Key shared on a forum`)
	b.toast(`(?i)blacklisted`)
	licdSettled(b)
	b.screenshot("banned")
	// The reason typed in the console is what the product API reports.
	apiKey, err := b.Env.APIKeys.Create(ctx, cli, apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &acc.ID})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", b.Env.URL+"/api/luarmor/v3/projects/"+p.ID+"/users?user_key="+key.UserKey, nil)
	req.Header.Set("Authorization", apiKey.Secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var users struct {
		Users []struct {
			Banned    any    `json:"banned"`
			BanReason string `json:"ban_reason"`
		} `json:"users"`
	}
	err = json.NewDecoder(resp.Body).Decode(&users)
	resp.Body.Close()
	if err != nil || len(users.Users) != 1 || users.Users[0].BanReason != "Key shared on a forum" {
		t.Errorf("API users of the key: %+v %v, want ban_reason %q", users, err, "Key shared on a forum")
	}

	// 4. Unban it.
	b.click(`[data-testid="action-unban"]`)
	dialog = `dialog#key-unban-dialog[open] `
	b.waitVisible(dialog + `textarea[name=reason]`)
	b.fill(dialog, "reason", "Appeal accepted")
	b.click(dialog + `button[type=submit]`)
	b.do("unban dialog closes", chromedp.WaitNotPresent(chromedp.CSS(`dialog#key-unban-dialog[open]`)))
	b.waitVisible(`[data-testid="action-blacklist"]`)
	if b.exists(`[data-testid="banned-notice"]`) {
		t.Error("the key still shows as blacklisted after the unban")
	}
	b.toast(`(?i)unbanned`)
	licdSettled(b)
	if !eval[bool](b, `window.__e2eSamePage === true`) {
		t.Error("an action reloaded the page; it should swap the header with htmx")
	}
	b.checkConsole("after the actions")

	// 5. Every step is in the History tab, with its reason.
	b.click(`.tabs a[href="` + keyPath + `?tab=history"]`)
	b.waitVisible(`[data-testid="history-fragment"] [data-testid="history-item"]`)
	acts := historyActions(b, `[data-testid="history-fragment"]`)
	for _, want := range []string{"license_key.reset_hwid", "license_key.blacklist", "license_key.unban"} {
		if !slices.Contains(acts, want) {
			t.Errorf("History tab: actions %v, want %s", acts, want)
		}
	}
	reasons := b.text(`[data-testid="history-fragment"]`)
	for _, want := range []string{"Customer bought a new PC", "Ticket 4512: key posted publicly", "Appeal accepted"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("History tab does not show the reason %q", want)
		}
	}
	b.screenshot("history")

	// The account's Luarmor tab loads the plan card: support reads it, and
	// only the plan's editors (admin) get its form.
	b.open("/accounts/"+strconv.FormatInt(acc.ID, 10)+"?tab=luarmor", `[data-testid="luarmor-plan"]`)
	if got := strings.TrimSpace(b.text(`[data-testid="plan-max-users"]`)); got != "No limit" {
		t.Errorf("plan card max users %q, want No limit", got)
	}
	if n := eval[int](b, `document.querySelectorAll('[data-testid="plan-form"]').length`); n != 0 {
		t.Errorf("support sees %d plan forms, want none", n)
	}
	b.screenshot("account-luarmor")

	// The same pages on a phone.
	b.viewport(390, 844, true)
	b.open(keyPath, `[data-testid="key-header"]`)
	b.screenshot("key-phone")
	b.open("/luarmor/keys?q="+discord, `[data-testid="key-row"]`)
	b.screenshot("search-phone")
}

// licdSettled waits until htmx has settled what it swapped in: until then
// the new header's links are plain links (htmx processes them on settle).
func licdSettled(b *B) {
	b.t.Helper()
	for deadline := time.Now().Add(stepTimeout); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		if eval[bool](b, `document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping, .htmx-request') === null`) {
			return
		}
	}
	b.t.Fatal("htmx did not settle")
}
