package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/platform/money"
)

// demoWallet is the Lumi money story of a demo account over the last 30
// days: its opening top-up, roughly what one purchase costs, and what it buys.
type demoWallet struct {
	Email   string
	Opening money.Cents
	Spend   money.Cents
	Items   []string // "domain:atlas-market.com", "vps:bb-eu-1" ...
}

var demoWallets = []demoWallet{
	{Email: "registrar@atlasdomains.io", Opening: 450_00, Spend: 12_99, Items: []string{"domain:atlas-market.com", "domain:atlasfinds.net", "domain:shopatlas.io", "domain:atlas.gg"}},
	{Email: "billing@bluebird.host", Opening: 400_00, Spend: 24_00, Items: []string{"vps:bb-eu-1", "vps:bb-eu-2", "vps:bb-us-1", "proxy:bb-resi-50"}},
	{Email: "noc@gridlock.host", Opening: 250_00, Spend: 18_00, Items: []string{"vps:grid-fra-1", "vps:grid-fra-2", "domain:gridlock.host"}},
	{Email: "billing@tidewater.cloud", Opening: 300_00, Spend: 32_00, Items: []string{"vps:tide-ams-4", "vps:tide-ams-5"}},
	{Email: "ops@cobaltrelay.net", Opening: 120_00, Spend: 9_50, Items: []string{"proxy:cobalt-dc-10", "proxy:cobalt-resi-5"}},
	{Email: "ops@nightfall.gg", Opening: 60_00, Spend: 11_00, Items: []string{"domain:nightfall.gg", "domain:nightfallhub.com"}},
	{Email: "priya.raman@fastmail.com", Opening: 25_00, Spend: 6_00, Items: []string{"proxy:priya-resi-1"}},
}

// financeTeam is the demo's two finance users: the first moves money, the
// second approves what is above the approval limit.
type financeTeam struct{ first, second audit.Actor }

func (t financeTeam) approve(ctx context.Context, svc *billing.Service, r *billing.AdjustmentRequest) error {
	_, _, err := svc.Approve(ctx, t.second, r.ID, "Statement checked")
	return err
}

// walletRun is one wallet being seeded.
type walletRun struct {
	demoWallet
	n        int
	account  int64
	rng      *rand.Rand
	firstBuy int64
}

// seedBilling writes HistoryDays of deposits, purchases, renewals and refunds
// for the demo wallets through the billing service (on a clock set to each
// past day), then an open sandbox deposit per wallet and a top-up above the
// approval limit that waits for a second finance user. A wallet whose
// account already has a balance is left alone.
func seedBilling(ctx context.Context, d Deps) error {
	if d.Billing == nil || d.Accounts == nil {
		return nil
	}
	fin, err := d.DB.GetStaffUserByEmail(ctx, "finance@lumdesk.local")
	if err != nil {
		return fmt.Errorf("demo billing: finance user: %w", err)
	}
	finance := audit.Staff(fin.ID, fin.Email)
	// The second pair of eyes, for the history's money moves above the
	// approval limit (BILLING_APPROVAL_LIMIT may be anything, 0 included).
	fin2, err := d.DB.GetStaffUserByEmail(ctx, "finance2@lumdesk.local")
	if err != nil {
		return fmt.Errorf("demo billing: second finance user: %w", err)
	}
	team := financeTeam{finance, audit.Staff(fin2.ID, fin2.Email)}
	api := audit.Actor{Kind: audit.KindAPIKey, Label: "Lumi reseller API (demo)"}
	var runs []*walletRun
	for i, w := range demoWallets {
		acc, err := d.Accounts.GetByEmail(ctx, w.Email)
		if errors.Is(err, accounts.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("demo billing %s: %w", w.Email, err)
		}
		bal, err := d.Billing.Balance(ctx, acc.ID)
		if err != nil {
			return fmt.Errorf("demo billing %s: %w", w.Email, err)
		}
		if bal.UpdatedAt.IsZero() {
			runs = append(runs, &walletRun{demoWallet: w, n: i, account: acc.ID, rng: rand.New(rand.NewPCG(uint64(i)+1, 42))})
		}
	}
	// Day by day across the wallets, so that ids and times rise together.
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var now time.Time
	svc := d.Billing.WithClock(func() time.Time { return now })
	for day := HistoryDays - 1; day >= 1; day-- {
		for slot, w := range runs {
			now = today.AddDate(0, 0, -day).Add(time.Duration(8+slot)*time.Hour + time.Duration(w.rng.IntN(60))*time.Minute)
			if err := w.step(ctx, svc, day, team, api); err != nil {
				return fmt.Errorf("demo billing %s: %w", w.Email, err)
			}
		}
	}
	for _, w := range runs {
		if _, err := d.Billing.CreateDeposit(ctx, api, billing.DepositInput{AccountID: w.account, Amount: (w.Spend * 4).String(),
			Provider: billing.ProviderSandboxCrypto, Note: "Awaiting payment"}); err != nil {
			return fmt.Errorf("demo billing %s: %w", w.Email, err)
		}
		if w.n == 1 {
			if _, err := d.Billing.ManualTopUp(ctx, finance, billing.ManualInput{AccountID: w.account, Amount: "1250.00",
				Reason: "Wire transfer ref. BB-2291 (quarterly prepayment)"}); err != nil {
				return fmt.Errorf("demo billing %s: %w", w.Email, err)
			}
		}
	}
	return nil
}

// step is one day of a wallet: the opening top-up on the first day, then
// now and then a purchase or renewal through the API, a paid crypto deposit,
// or a refund of the first purchase.
func (w *walletRun) step(ctx context.Context, svc *billing.Service, day int, team financeTeam, api audit.Actor) error {
	finance := team.first
	if day == HistoryDays-1 {
		out, err := svc.ManualTopUp(ctx, finance, billing.ManualInput{AccountID: w.account, Amount: w.Opening.String(), Reason: "Opening balance (bank transfer)"})
		if err == nil && out.Pending() {
			err = team.approve(ctx, svc, out.Request)
		}
		return err
	}
	if day == 6 && w.firstBuy != 0 && w.n%2 == 0 {
		_, err := svc.Refund(ctx, finance, billing.RefundInput{EntryID: w.firstBuy, Reason: "Provisioning failed; the customer asked for the money back"})
		return err
	}
	switch k := w.rng.IntN(10); {
	case k < 5:
		item := w.Items[w.rng.IntN(len(w.Items))]
		typ, id, _ := strings.Cut(item, ":")
		kind := billing.KindPurchase
		if w.rng.IntN(3) == 0 {
			kind = billing.KindRenewal
		}
		amount := w.Spend + money.Cents(w.rng.Int64N(int64(w.Spend)/2+1))
		e, err := svc.Debit(ctx, api, billing.DebitInput{AccountID: w.account, Amount: amount, Kind: kind, CauseType: typ, CauseID: id,
			IdempotencyKey: fmt.Sprintf("demo-%d-%d", w.account, day), Reason: id})
		if errors.Is(err, billing.ErrInsufficientFunds) {
			return nil
		}
		if err == nil && w.firstBuy == 0 {
			w.firstBuy = e.ID
		}
		return err
	case k < 7 && day%4 == 0:
		dep, err := svc.CreateDeposit(ctx, api, billing.DepositInput{AccountID: w.account, Amount: (w.Spend * money.Cents(3+w.rng.IntN(4))).String(),
			Provider: billing.ProviderSandboxCrypto})
		if err != nil {
			return err
		}
		res, err := svc.MarkDepositPaid(ctx, finance, dep.ID, "Seen on the sandbox chain")
		if err == nil && res.Request != nil {
			err = team.approve(ctx, svc, res.Request)
		}
		return err
	}
	return nil
}
