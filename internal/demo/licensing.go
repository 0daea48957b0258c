package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/db"
)

// demoProject is a Luarmor project of a demo account, with its scripts and
// how many keys it gets.
type demoProject struct {
	Email, Name string
	Cooldown    time.Duration
	Scripts     []demoScript
	Keys        int
	// The account's Luarmor plan: max users (keys) per project and script
	// updates per month, set with room above what the seed uses.
	MaxUsers, Obfuscations int
}

type demoScript struct {
	Name     string
	FFA      bool
	Versions []string
}

var demoProjects = []demoProject{
	{Email: "ops@nightfall.gg", Name: "Nightfall Hub", Cooldown: 24 * time.Hour, Keys: 150, MaxUsers: 500, Obfuscations: 100, Scripts: []demoScript{
		{Name: "Main loader", Versions: []string{
			"-- Nightfall Hub loader\nlocal hub = loadstring(game:HttpGet(\"https://cdn.nightfall.gg/hub.lua\"))()\nhub:init()\n",
			"-- Nightfall Hub loader\nlocal hub = loadstring(game:HttpGet(\"https://cdn.nightfall.gg/hub.lua\"))()\nhub:init({ theme = \"dark\" })\nhub:notify(\"Loaded\")\n",
		}},
		{Name: "Auto farm", Versions: []string{"-- auto farm\nwhile task.wait(1) do\n  farm()\nend\n"}},
		{Name: "Free trial", FFA: true, Versions: []string{"print(\"Nightfall trial\")\n"}},
	}},
	// Voidline is near its plan's limits: 50 of 60 users.
	{Email: "contact@voidline.dev", Name: "Voidline Premium", Cooldown: 12 * time.Hour, Keys: 50, MaxUsers: 60, Obfuscations: 10, Scripts: []demoScript{
		{Name: "Premium", Versions: []string{"-- Voidline premium\nrequire(script.Core).start()\n"}},
	}},
}

// seedLicensing creates the demo projects, scripts and about 200 keys in
// every status, through the service (so each step is in the audit history).
// A project that exists already is left alone.
func seedLicensing(ctx context.Context, d Deps) error {
	if d.Licensing == nil || d.Accounts == nil {
		return nil
	}
	for _, dp := range demoProjects {
		acc, err := d.Accounts.GetByEmail(ctx, dp.Email)
		if errors.Is(err, accounts.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("demo licensing %s: %w", dp.Email, err)
		}
		_, found, err := d.Licensing.FindProject(ctx, acc.ID, dp.Name)
		if err != nil {
			return fmt.Errorf("demo licensing %s: %w", dp.Name, err)
		}
		if !found {
			if err := seedProject(ctx, d.DB, d.Licensing, acc.ID, dp); err != nil {
				return fmt.Errorf("demo licensing %s: %w", dp.Name, err)
			}
		}
		if err := seedPlan(ctx, d.Licensing, acc.ID, dp); err != nil {
			return fmt.Errorf("demo licensing plan of %s: %w", dp.Email, err)
		}
	}
	return nil
}

// seedPlan gives the account its demo plan unless one was set (by staff,
// or an earlier seed), after the projects so the seed never meets a limit.
func seedPlan(ctx context.Context, svc *licensing.Service, accountID int64, dp demoProject) error {
	p, err := svc.GetPlan(ctx, accountID)
	if err != nil || p.UpdatedAt != nil {
		return err
	}
	_, err = svc.SetPlan(ctx, actor, accountID, licensing.PlanInput{MaxUsers: dp.MaxUsers, Obfuscations: dp.Obfuscations, Reason: "Demo plan"})
	return err
}

var demoNotes = []string{"", "", "", "Bought on Sellix", "Reseller: ZeroDay", "Giveaway winner", "Lifetime", "Paid via PayPal", "Trial extended by support", "VIP"}

func seedProject(ctx context.Context, d *db.DB, svc *licensing.Service, accountID int64, dp demoProject) error {
	p, err := svc.CreateProject(ctx, actor, licensing.ProjectInput{AccountID: accountID, Name: dp.Name, ResetCooldown: dp.Cooldown, UsersCanReset: true})
	if err != nil {
		return err
	}
	var main licensing.Script
	for i, ds := range dp.Scripts {
		ffa := ds.FFA
		s, err := svc.CreateScript(ctx, actor, p.ID, licensing.ScriptInput{Name: ds.Name, FFA: &ffa, Heartbeat: true})
		if err != nil {
			return err
		}
		for _, src := range ds.Versions {
			if s, err = svc.UpdateScript(ctx, actor, p.ID, s.ID, licensing.ScriptUpdate{Source: &src}); err != nil {
				return err
			}
		}
		if i == 0 {
			main = s
		}
	}
	rng := rand.New(rand.NewPCG(uint64(accountID), 7))
	loader := audit.Actor{Kind: audit.KindAnonymous, Label: "loader", IP: "203.0.113.7", UserAgent: "Roblox/WinInet"}
	run := func(k licensing.Key, hwid string, times int) error {
		for range times {
			if _, err := svc.Check(ctx, licensing.CheckInput{ProjectID: p.ID, ScriptID: main.ID, ScriptKey: k.UserKey, HWID: hwid, Actor: loader}); err != nil {
				return err
			}
		}
		return nil
	}
	sharedHWID := fmt.Sprintf("HWID-%016X", rng.Uint64())
	for i := range dp.Keys {
		in := licensing.KeyInput{Note: demoNotes[rng.IntN(len(demoNotes))]}
		switch i % 10 {
		case 0, 1, 2:
			days := []int{7, 30, 90}[rng.IntN(3)]
			in.KeyDays = &days
		case 3:
			in.AuthExpire = &licensing.Expiry{At: time.Now().Add(time.Duration(10+rng.IntN(200)) * 24 * time.Hour)}
		}
		if i%3 == 0 {
			in.DiscordID = fmt.Sprintf("%d", 300_000_000_000_000_000+rng.Int64N(700_000_000_000_000_000))
		}
		k, err := svc.CreateKey(ctx, actor, p.ID, in)
		if err != nil {
			return err
		}
		hwid := fmt.Sprintf("HWID-%016X", rng.Uint64())
		if i == 7 || i == 8 {
			hwid = sharedHWID // one HWID on two keys (a support signal)
		}
		switch {
		case i%10 == 9: // never used: stock
		case i%25 == 4: // banned after use, with the HWID ("active but banned")
			if err := run(k, hwid, 1+rng.IntN(20)); err != nil {
				return err
			}
			in := licensing.BlacklistInput{BanReason: []string{"Key sharing", "Chargeback", "Exploiting"}[rng.IntN(3)]}
			if i%2 == 0 {
				until := time.Now().Add(time.Duration(24+rng.IntN(24*14)) * time.Hour)
				in.Expire = &until
			}
			if _, err := svc.Blacklist(ctx, actor, p.ID, k.UserKey, in); err != nil {
				return err
			}
		case i%25 == 14: // banned before any use
			if _, err := svc.Blacklist(ctx, actor, p.ID, k.UserKey, licensing.BlacklistInput{BanReason: "Leaked key"}); err != nil {
				return err
			}
		case i%12 == 5: // reset: used, then the HWID was reset
			if err := run(k, hwid, 1+rng.IntN(30)); err != nil {
				return err
			}
			if _, err := svc.ResetHWID(ctx, actor, p.ID, k.UserKey, licensing.ResetOpts{Force: true, Reason: "New PC"}); err != nil {
				return err
			}
		default: // active
			if err := run(k, hwid, 1+rng.IntN(40)); err != nil {
				return err
			}
			if i%8 == 1 && in.DiscordID == "" {
				id := fmt.Sprintf("%d", 400_000_000_000_000_000+rng.Int64N(500_000_000_000_000_000))
				if _, err := svc.LinkDiscord(ctx, actor, p.ID, k.UserKey, id, licensing.LinkOpts{}); err != nil {
					return err
				}
			}
		}
		// One key with many resets (a support signal).
		if i == 11 {
			for r := range 4 {
				if _, err := svc.ResetHWID(ctx, actor, p.ID, k.UserKey, licensing.ResetOpts{Force: true, Reason: "Keeps changing PCs"}); err != nil {
					return err
				}
				if err := run(k, fmt.Sprintf("%s-%d", hwid, r), 1); err != nil {
					return err
				}
			}
		}
	}
	if err := svc.FlushExecutions(ctx); err != nil {
		return err
	}
	// Demo data only: keys bought over the history, not all this second.
	if err := d.BackdateDemoLicenseKeys(ctx, store.BackdateDemoLicenseKeysParams{ProjectID: p.DBID, Hours: (HistoryDays - 1) * 24}); err != nil {
		return err
	}
	days := make([]licensing.DayCount, HistoryDays-1)
	for i := range days {
		days[i] = licensing.DayCount{Day: time.Now().AddDate(0, 0, -(i + 1)), Count: int64(200 + rng.IntN(800) + (len(days)-i)*15)}
	}
	return svc.BulkLoadProjectExecutions(ctx, p.ID, days)
}
