package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
)

// demoAccount is one sample customer. Suspended, when set, is the reason.
type demoAccount struct {
	Name, Email, Discord, Note, Suspended string
}

// demoAccounts are the sample customers, newest first.
var demoAccounts = []demoAccount{
	{Name: "Nightfall Studios", Email: "ops@nightfall.gg", Discord: "284019375561932801", Note: "Largest Luarmor customer; prefers Discord over email."},
	{Name: "Bluebird Hosting", Email: "billing@bluebird.host", Note: "Resells Lumi VPS to their own clients."},
	{Name: "Kestrel Labs", Email: "team@kestrel.dev", Discord: "319204857731096577"},
	{Name: "quietmail.io", Email: "admin@quietmail.io", Suspended: "Bounce rate above 12% for three days; sending paused until the list is cleaned."},
	{Name: "Orbit RP Group", Email: "owner@orbitrp.net", Discord: "402771923650002945", Note: "Lumira: 3 Roblox groups."},
	{Name: "Priya Raman", Email: "priya.raman@fastmail.com"},
	{Name: "Harbor Analytics", Email: "dev@harbor.io", Note: "Transactional email for their dashboard alerts."},
	{Name: "Mateo García", Email: "mateo.garcia@proton.me", Discord: "551208394417152010"},
	{Name: "Voidline Scripts", Email: "contact@voidline.dev", Discord: "689302147755261953"},
	{Name: "Copperleaf Games", Email: "studio@copperleaf.games"},
	{Name: "Ava Thompson", Email: "ava.t@outlook.com"},
	{Name: "Ironclad Proxies", Email: "support@ironcladproxy.net", Suspended: "Chargeback on three deposits (case 88231); waiting on the card issuer."},
	{Name: "Lena Fischer", Email: "lena.fischer@posteo.de", Discord: "712450981128437761"},
	{Name: "Skyforge Interactive", Email: "hello@skyforge.io", Note: "Evaluating Lumio for their plugin store."},
	{Name: "Tomás Oliveira", Email: "tomas.oliveira@gmail.com"},
	{Name: "Pixel Harbor", Email: "team@pixelharbor.gg", Discord: "745019283746521089"},
	{Name: "Northwind Mail", Email: "postmaster@northwindmail.com"},
	{Name: "Yuki Tanaka", Email: "yuki.tanaka@icloud.com", Discord: "803344129875546112"},
	{Name: "Emberfall RP", Email: "admins@emberfallrp.com", Discord: "826611094522380298", Note: "Ranking automation for a 40k-member group."},
	{Name: "Gridlock Hosting", Email: "noc@gridlock.host"},
	{Name: "Samuel Okafor", Email: "sam.okafor@hey.com"},
	{Name: "Lumen Extensions", Email: "publish@lumen-ext.dev", Discord: "851230984477121537"},
	{Name: "Redwood Labs", Email: "accounts@redwoodlabs.co"},
	{Name: "Chloé Martin", Email: "chloe.martin@orange.fr"},
	{Name: "Spectre Scripts", Email: "owner@spectrescripts.net", Discord: "872239458810019841", Suspended: "Key sharing: one license used from 214 HWIDs in a day."},
	{Name: "Atlas Domains", Email: "registrar@atlasdomains.io", Note: "Bulk domain purchases through the Lumi API."},
	{Name: "Jonas Berg", Email: "jonas.berg@tutanota.com", Discord: "903318276645003264"},
	{Name: "Maple Street Bakery", Email: "orders@maplestreetbakery.ca"},
	{Name: "Obsidian Works", Email: "dev@obsidianworks.gg", Discord: "918827365102944256"},
	{Name: "Fatima Al-Sayed", Email: "fatima.alsayed@gmail.com"},
	{Name: "Cobalt Relay", Email: "ops@cobaltrelay.net"},
	{Name: "Riverside Roleplay", Email: "staff@riversiderp.org", Discord: "934410298871652352"},
	{Name: "Daniel Kim", Email: "dan.kim@fastmail.com"},
	{Name: "Starlight Modding", Email: "team@starlightmods.dev", Discord: "950023847112263680"},
	{Name: "Helix Newsletter", Email: "editor@helixletter.com", Note: "Weekly newsletter, ~18k recipients."},
	{Name: "Zofia Nowak", Email: "zofia.nowak@wp.pl"},
	{Name: "Tidewater Cloud", Email: "billing@tidewater.cloud"},
	{Name: "Arcadia Builders", Email: "hello@arcadiabuilders.gg", Discord: "1012938475620110346"},
	{Name: "Marcus Webb", Email: "marcus.webb@yahoo.com"},
	{Name: "Foxglove Studio", Email: "studio@foxglove.art", Discord: "1043301928475501568"},
}

// seedAccounts creates the sample customers that are missing, through the
// service (so they are audited), spreads their creation over the last
// HistoryDays and suspends the ones that have a reason.
func seedAccounts(ctx context.Context, d Deps) error {
	if d.Accounts == nil {
		return nil
	}
	now := time.Now().UTC()
	for i, da := range demoAccounts {
		_, err := d.Accounts.GetByEmail(ctx, da.Email)
		if err == nil {
			continue // already seeded
		}
		if !errors.Is(err, accounts.ErrNotFound) {
			return fmt.Errorf("demo account %s: %w", da.Email, err)
		}
		a, err := d.Accounts.Create(ctx, actor, accounts.CreateInput{Name: da.Name, Email: da.Email, DiscordID: da.Discord, Note: da.Note})
		if err != nil {
			return fmt.Errorf("demo account %s: %w", da.Email, err)
		}
		// Demo data only: a plausible history instead of 40 sign-ups this second.
		created := now.Add(-time.Duration(i) * (HistoryDays - 1) * 24 * time.Hour / time.Duration(len(demoAccounts))).
			Add(-time.Duration(i*7%19) * time.Hour).Add(-time.Duration(i*13%60) * time.Minute)
		if err := d.DB.BackdateAccount(ctx, store.BackdateAccountParams{ID: a.ID, CreatedAt: created}); err != nil {
			return fmt.Errorf("demo account %s: backdate: %w", da.Email, err)
		}
		if da.Suspended != "" {
			if _, err := d.Accounts.Suspend(ctx, actor, a.ID, da.Suspended); err != nil {
				return fmt.Errorf("demo account %s: suspend: %w", da.Email, err)
			}
		}
	}
	return nil
}
