package demo

import (
	"context"
	"errors"
	"fmt"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/mail"
)

// demoKey is one sample API key. Email "" makes an operator key; Revoke, when
// set, is the reason it was revoked; UsedFrom, when set, is a first request.
type demoKey struct {
	Email, Product, Name string
	Scopes               []string
	RateLimit            int
	CapCents             int64
	Signing              bool
	Revoke               string
	UsedFrom             string
	App                  string // Lumora: the demo app (demoMailApps) the key sends for
}

var demoKeys = []demoKey{
	{Email: "ops@nightfall.gg", Product: apikeys.Luarmor, Name: "Nightfall loader backend", Scopes: []string{"keys:read", "keys:write"}, RateLimit: 120, UsedFrom: "203.0.113.24"},
	{Email: "contact@voidline.dev", Product: apikeys.Luarmor, Name: "Voidline Discord bot", Scopes: []string{"keys:read", "keys:write", "scripts:write"}},
	{Email: "team@kestrel.dev", Product: apikeys.Lumio, Name: "Kestrel CI", Scopes: []string{"extensions:read", "extensions:write"}, UsedFrom: "198.51.100.7"},
	{Email: "hello@skyforge.io", Product: apikeys.Lumio, Name: "Skyforge trial", Scopes: []string{"extensions:read"}, Revoke: "Trial ended; the customer asked us to remove access."},
	{Email: "registrar@atlasdomains.io", Product: apikeys.LumiDomains, Name: "Atlas bulk purchases", Scopes: []string{"domains:read", "domains:write", "domains:buy", "deposits:write"}, CapCents: 50000, Signing: true, UsedFrom: "192.0.2.80"},
	{Email: "billing@bluebird.host", Product: apikeys.LumiHosting, Name: "Bluebird reseller panel", Scopes: []string{"vps:read", "vps:write", "vps:buy"}, CapCents: 20000},
	{Email: "noc@gridlock.host", Product: apikeys.LumiHosting, Name: "Gridlock monitoring", Scopes: []string{"vps:read"}, Revoke: "Key posted in a public GitHub issue."},
	{Email: "ops@cobaltrelay.net", Product: apikeys.LumiProxy, Name: "Cobalt proxy rotation", Scopes: []string{"proxy:read", "proxy:write"}},
	{Email: "dev@harbor.io", Product: apikeys.Lumora, Name: "Harbor alert mailer", Scopes: []string{"email:send", "email:read"}, RateLimit: 600, UsedFrom: "203.0.113.150", App: "Harbor alerts"},
	{Email: "editor@helixletter.com", Product: apikeys.Lumora, Name: "Helix newsletter", Scopes: []string{"email:send", "templates:manage"}, App: "Helix newsletter"},
	{Email: "owner@orbitrp.net", Product: apikeys.Lumira, Name: "Orbit in-game ranker", Scopes: []string{"ranking:write", "ranking:read", "notify:send"}, UsedFrom: "198.51.100.201"},
	{Email: "admins@emberfallrp.com", Product: apikeys.Lumira, Name: "Emberfall old bot", Scopes: []string{"ranking:write"}, Revoke: "Replaced by the new bot; old host decommissioned."},
	{Product: apikeys.LumiDomains, Name: "Lumi operator console"},
}

// seedAPIKeys adds the sample keys once (none of their names exist yet).
// Their secrets are discarded: nobody needs them, and they are never printed.
func seedAPIKeys(ctx context.Context, d Deps) error {
	names := make([]string, len(demoKeys))
	for i, k := range demoKeys {
		names[i] = k.Name
	}
	if done, err := d.APIKeys.AnyNamed(ctx, names); err != nil || done {
		return err
	}
	for _, k := range demoKeys {
		in := apikeys.CreateInput{Product: k.Product, Name: k.Name, Scopes: k.Scopes, RateLimitPerMinute: k.RateLimit, WithSigningSecret: k.Signing}
		if k.CapCents > 0 {
			in.DailySpendCapCents = &k.CapCents
		}
		if k.Email == "" {
			in.Operator = true
		} else {
			acc, err := d.APIKeys.ResolveAccount(ctx, k.Email)
			if errors.Is(err, apikeys.ErrAccountNotFound) {
				continue // the sample accounts changed; skip its keys
			}
			if err != nil {
				return fmt.Errorf("demo api key %q: %w", k.Name, err)
			}
			if acc.Status != "active" {
				continue
			}
			in.AccountID = &acc.ID
			if k.App != "" && d.Mail != nil {
				if in.MailAppID, err = demoAppID(ctx, d, acc.ID, k.App); err != nil {
					return fmt.Errorf("demo api key %q: %w", k.Name, err)
				}
			}
		}
		created, err := d.APIKeys.Create(ctx, actor, in)
		if err != nil {
			return fmt.Errorf("demo api key %q: %w", k.Name, err)
		}
		if k.UsedFrom != "" {
			if _, err := d.APIKeys.Verify(ctx, k.Product, created.Secret, k.UsedFrom); err != nil {
				return fmt.Errorf("demo api key %q: first use: %w", k.Name, err)
			}
		}
		if k.Revoke != "" {
			if _, err := d.APIKeys.Revoke(ctx, actor, created.Key.ID, k.Revoke); err != nil {
				return fmt.Errorf("demo api key %q: revoke: %w", k.Name, err)
			}
		}
	}
	return nil
}

// demoAppID is the id of the account's Lumora app of that name (nil when
// the seed made none: the key is then the account's, unbound).
func demoAppID(ctx context.Context, d Deps, accountID int64, name string) (*int64, error) {
	apps, err := d.Mail.ListApps(ctx, accounts.Only(accountID), 0, mail.MaxListLimit)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		if a.Name == name {
			return &a.ID, nil
		}
	}
	return nil, nil
}
