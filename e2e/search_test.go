package e2e

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
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
