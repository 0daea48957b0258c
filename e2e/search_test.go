package e2e

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
	"lumdesk/internal/mail"
)

// The palette finds what support pastes: Ctrl+K, a partial key, HWID or
// domain, arrows to the result, Enter opens its page; one Escape closes it.
func TestPaletteFindsKeysAndDomains(t *testing.T) {
	b := start(t)
	ctx := context.Background()
	env := b.Env
	acc, err := env.Accounts.Create(ctx, audit.CLI("e2e"), accounts.CreateInput{Name: "Palette Customer", Email: "palette@customer.example"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.Licensing.CreateProject(ctx, audit.CLI("e2e"), licensing.ProjectInput{AccountID: acc.ID, Name: "Palette Hub", Reason: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	// Several keys, so the one wanted is not alone in its group.
	var key licensing.Key
	for i := range 3 {
		k, err := env.Licensing.CreateKey(ctx, audit.CLI("e2e"), p.ID, licensing.KeyInput{Identifier: fmt.Sprintf("HWID-PALETTE-%d-c0ffee", i), Reason: "e2e"})
		if err != nil {
			t.Fatal(err)
		}
		key = k
	}
	var domainID int64
	for _, name := range []string{"palette-shop.com", "palette-shop-old.net"} {
		if err := env.DB.Pool.QueryRow(ctx, `INSERT INTO lumi_domains (account_id, name, status) VALUES ($1, $2, 'active') RETURNING id`, acc.ID, name).Scan(&domainID); err != nil {
			t.Fatal(err)
		}
	}
	keyPath := "/luarmor/keys/" + strconv.FormatInt(key.ID, 10)
	domainPath := "/lumi/domains/" + strconv.FormatInt(domainID, 10)
	b.staff("support")

	input := `dialog#palette input[name=q]`
	openAndType := func(q string) {
		t.Helper()
		b.open("/", `#sidebar`)
		b.keys("k", chromedp.ModifierCtrl)
		b.waitVisible(`dialog#palette[open] input[name=q]`)
		b.do("type "+q, chromedp.SendKeys(chromedp.CSS(input), q))
	}
	// arrowTo presses ArrowDown until the link to href is the active one.
	arrowTo := func(href string) {
		t.Helper()
		sel := `#palette-results a[href="` + href + `"]`
		b.waitVisible(sel)
		idx := eval[int](b, `Array.from(document.querySelectorAll('#palette-results a')).findIndex(a => a.getAttribute('href') === '`+href+`')`)
		for range idx {
			b.keys(kb.ArrowDown)
		}
		if !b.exists(sel + `.is-active`) {
			t.Fatalf("after %d ArrowDown the result %s is not the active one", idx, href)
		}
	}

	// 1. Part of the key; one Escape closes the palette, text and all.
	openAndType(key.UserKey[3:14])
	b.waitVisible(`#palette-results a[href="` + keyPath + `"]`)
	b.screenshot("palette-key")
	b.keys(kb.Escape)
	b.do("palette closed by one Escape", chromedp.WaitNotPresent(chromedp.CSS(`dialog#palette[open]`)))

	// 2. Part of the HWID: arrow to the key, Enter opens its page.
	openAndType("PALETTE-2-c0f")
	arrowTo(keyPath)
	b.keys("\r")
	b.waitPath("^" + keyPath + "$")

	// 3. Part of a domain name, with a look-alike in the same group.
	openAndType("ette-shop")
	arrowTo(domainPath)
	b.keys("\r")
	b.waitPath("^" + domainPath + "$")
}

// Every kind the palette promises is found by part of its value: accounts
// by email, API keys by prefix, VPS by IP, proxies by host, staff by name,
// pages by title (as an admin, who may see them all).
func TestPaletteFindsEveryKindByAPartialValue(t *testing.T) {
	b := start(t)
	ctx := context.Background()
	env := b.Env
	acc, err := env.Accounts.Create(ctx, audit.CLI("e2e"), accounts.CreateInput{Name: "Kinds Customer", Email: "kinds-billing@zephyr.example"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := env.APIKeys.Create(ctx, audit.CLI("e2e"), apikeys.CreateInput{Product: "lumi-domains", AccountID: &acc.ID, Name: "Palette key", Scopes: []string{"domains:read"}})
	if err != nil {
		t.Fatal(err)
	}
	var vpsID, proxyID int64
	if err := env.DB.Pool.QueryRow(ctx, `INSERT INTO lumi_vps (account_id, plan, hostname, ip, status) VALUES ($1, 'vps-s', 'kinds-box.example', '198.51.100.77', 'active') RETURNING id`, acc.ID).Scan(&vpsID); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Pool.QueryRow(ctx, `INSERT INTO lumi_proxies (account_id, plan, type, country, host, port, status) VALUES ($1, 'px-1', 'http', 'DE', 'px-kinds-frankfurt.example', 8080, 'active') RETURNING id`, acc.ID).Scan(&proxyID); err != nil {
		t.Fatal(err)
	}
	app, err := env.Mail.CreateApp(ctx, audit.CLI("e2e"), accounts.AllAccounts, mail.AppInput{AccountID: &acc.ID, Name: "Zephyr receipts"})
	if err != nil {
		t.Fatal(err)
	}
	dom, err := env.Mail.AddDomain(ctx, audit.CLI("e2e"), accounts.AllAccounts, mail.DomainInput{AccountID: &acc.ID, Name: "send.zephyr-kinds.example"})
	if err != nil {
		t.Fatal(err)
	}
	sam, _ := env.CreateStaff("samira.kinds@lumdesk.test", "support")
	b.staff("admin")

	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	for _, tc := range []struct{ kind, q, href string }{
		{"account by email", "billing@zephyr", "/accounts/" + id(acc.ID)},
		{"API key by prefix", key.Key.Prefix[:len(key.Key.Prefix)-2], "/apikeys/" + id(key.Key.ID)},
		{"VPS by IP", "100.77", "/lumi/vps/" + id(vpsID)},
		{"proxy by host", "kinds-frank", "/lumi/proxies/" + id(proxyID)},
		{"staff by email", "samira.kin", "/staff/" + id(sam.ID)},
		{"page by title", "Audit", "/audit"},
		{"mail app by name", "yr receip", "/lumora/apps/" + id(app.ID)},
		{"sending domain by name", "d.zephyr-kin", "/lumora/domains/" + id(dom.ID)},
	} {
		b.open("/", `#sidebar`)
		b.keys("k", chromedp.ModifierCtrl)
		b.waitVisible(`dialog#palette[open] input[name=q]`)
		b.do("type "+tc.q, chromedp.SendKeys(chromedp.CSS(`dialog#palette input[name=q]`), tc.q))
		sel := `#palette-results a[href="` + tc.href + `"]`
		b.do(tc.kind, chromedp.WaitVisible(chromedp.CSS(sel)))
	}
}
