package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
)

// seedAccounts creates n accounts through the domain service (not the UI),
// for flows that need something in the lists.
func seedAccounts(t *testing.T, b *B, n int) []accounts.Account {
	t.Helper()
	svc := accounts.NewService(b.Env.DB)
	names := []string{"Northwind Traders", "Bluefin Labs", "Kestrel Games", "Orchid Hosting", "Tidewater Studio", "Quarry Analytics"}
	var out []accounts.Account
	for i := range n {
		name := names[i%len(names)]
		if i >= len(names) {
			name += fmt.Sprintf(" %d", i/len(names)+1)
		}
		a, err := svc.Create(context.Background(), audit.CLI("e2e"), accounts.CreateInput{
			Name: name, Email: fmt.Sprintf("owner%d@customer%d.example", i, i), DiscordID: fmt.Sprintf("1234567890123456%02d", i),
		})
		if err != nil {
			t.Fatalf("seed account %d: %v", i, err)
		}
		out = append(out, a)
	}
	return out
}

// seedKeys creates a customer (name) with one Luarmor project and n keys
// noted "row 0", "row 1"..., for flows that work the key list.
func seedKeys(t *testing.T, b *B, name string, n int) {
	t.Helper()
	ctx, cli := context.Background(), audit.CLI("e2e")
	acc, err := b.Env.Accounts.Create(ctx, cli, accounts.CreateInput{Name: name + " Customer", Email: "keys@" + strings.ToLower(name) + ".example"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Env.Licensing.CreateProject(ctx, cli, licensing.ProjectInput{AccountID: acc.ID, Name: name + " Hub", Reason: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := b.Env.Licensing.CreateKey(ctx, cli, p.ID, licensing.KeyInput{Note: fmt.Sprintf("row %d", i), Reason: "e2e"}); err != nil {
			t.Fatal(err)
		}
	}
}
