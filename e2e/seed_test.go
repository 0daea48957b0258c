package e2e

import (
	"context"
	"fmt"
	"testing"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
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
