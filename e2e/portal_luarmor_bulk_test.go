package e2e

import (
	"context"
	"testing"
	"time"

	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/licensing"
)

// A developer selects keys on the project's page (a click on a row's box
// selects it without opening the key), blacklists them with one reason,
// and sees each key's result.
func TestPortalLuarmorBulkBlacklist(t *testing.T) {
	b := start(t)
	ctx, cli := context.Background(), audit.CLI("e2e")
	svc := b.Env.Licensing
	acc := b.Env.CreateAccount("Nightfall Studios")
	p, err := svc.CreateProject(ctx, cli, licensing.ProjectInput{AccountID: acc.ID, Name: "Nightfall Hub", ResetCooldown: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var keys []licensing.Key
	for _, note := range []string{"chargeback one", "chargeback two", "keeps working"} {
		k, err := svc.CreateKey(ctx, cli, p.ID, licensing.KeyInput{Note: note})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	b.portalUser(acc.ID, customers.RoleDeveloper)
	path := "/portal/luarmor/projects/" + p.ID
	b.open(path, `[data-testid="bulk-bar"]`)
	if !eval[bool](b, `document.querySelector('[data-testid="bulk-blacklist"]').disabled`) {
		t.Error("Blacklist is enabled with nothing selected")
	}
	for _, k := range keys[:2] {
		b.click(`tr[data-key="` + k.UserKey + `"] input[data-select-row]`)
	}
	b.waitText(`[data-selected-count]`, `^2$`)
	if got := eval[string](b, `location.pathname`); got != path {
		t.Fatalf("a click on a row's box opened %s", got)
	}
	b.click(`[data-testid="bulk-blacklist"]`)
	b.waitVisible(`[data-testid="bulk-confirm"]`)
	b.fill(`[data-testid="bulk-confirm"] `, "ban_reason", "Chargeback")
	b.screenshot("confirm")
	b.click(`[data-testid="bulk-submit"]`)
	b.waitText(`[data-testid="bulk-summary"]`, `Done for all 2 keys`)
	b.screenshot("results")
	for i, k := range keys {
		got, _ := svc.GetKeyByID(ctx, k.ID)
		if got.Banned != (i < 2) {
			t.Errorf("key %d (%s): banned %v", i, k.Note, got.Banned)
		}
	}
}
