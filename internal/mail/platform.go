package mail

import (
	"cmp"
	"context"
	"strconv"
	"sync"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/mail/address"
	"lumdesk/internal/platform/db"
)

// lumdesk's own mail (invitations, password resets, alerts) goes through
// the same pipeline as customers' mail, from a built-in app of a built-in
// account. Without a schema flag for it, the account is known by its
// address, under .invalid (RFC 2606), which no customer can own.
const (
	PlatformAccountEmail = accounts.PlatformMailEmail
	PlatformAccountName  = "lumdesk platform mail (built-in)"
	PlatformAppName      = "Platform mail"
	PlatformSenderName   = "lumdesk"
	// PlatformBodyForgotten is a platform message's text once delivery is
	// over: its body held a one-time link (Deliver).
	PlatformBodyForgotten = "(Not kept: platform mail holds one-time links, so its body is dropped once it is sent.)"
	// DefaultPlatformFrom is PLATFORM_MAIL_FROM's default.
	DefaultPlatformFrom = "lumdesk@localhost"
)

// platformState caches the built-in account and app ids, shared by the
// copies WithClock makes.
type platformState struct {
	mu        sync.Mutex
	accountID int64
	appID     int64
	// What isPlatformAccount last read: the account's id once it exists
	// (an account's id never changes), or its absence until absentUntil.
	foundID     int64
	absentUntil time.Time
}

// platformAbsentFor is how long isPlatformAccount trusts that there is no
// platform account yet, for sending. This process's own platform mail makes
// it first (platformApp), so only another process's can go unseen, for this
// long; delivery looks again (compose).
const platformAbsentFor = time.Minute

// SendPlatform sends lumdesk's own mail to one address from
// Settings.PlatformFrom (PLATFORM_MAIL_FROM), which needs no verified
// domain and is not DKIM-signed (the platform holds no key for it). It is
// stored, suppressed, delivered and logged like any message, under the
// built-in platform app, made on first use.
func (s *Service) SendPlatform(ctx context.Context, to, subject, text, html string) (_ SendResult, err error) {
	defer wrap(&err, "send platform mail")
	appID, err := s.platformApp(ctx)
	if err != nil {
		return SendResult{}, err
	}
	return s.Send(ctx, accounts.AllAccounts, appID, SendInput{To: []string{to}, Subject: subject, Text: text, HTML: html})
}

// PlatformAppID is the built-in platform app (made now if missing).
func (s *Service) PlatformAppID(ctx context.Context) (int64, error) { return s.platformApp(ctx) }

func (s *Service) platformApp(ctx context.Context) (int64, error) {
	p := s.platform
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.appID != 0 {
		return p.appID, nil
	}
	actor := audit.System("platform mail")
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		acc, err := q.GetAccountByEmail(ctx, PlatformAccountEmail)
		if db.IsNotFound(err) {
			acc, err = q.CreateAccount(ctx, store.CreateAccountParams{Name: PlatformAccountName, Email: PlatformAccountEmail,
				Note: "Built in: the sender of lumdesk's own mail (PLATFORM_MAIL_FROM). Not a customer."})
			if err != nil {
				return err
			}
			if err := audit.Record(ctx, q, actor, audit.Event{Action: "account.create", EntityType: audit.EntityAccount,
				EntityID: strconv.FormatInt(acc.ID, 10), After: map[string]any{"name": acc.Name, "email": acc.Email}}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		apps, err := q.ListMailApps(ctx, store.ListMailAppsParams{Limit: MaxListLimit, AccountID: &acc.ID})
		if err != nil {
			return err
		}
		for _, a := range apps {
			if a.Name == PlatformAppName {
				p.accountID, p.appID = acc.ID, a.ID
				return nil
			}
		}
		app, err := q.InsertMailApp(ctx, store.InsertMailAppParams{AccountID: acc.ID, Name: PlatformAppName,
			DefaultFromEmail: s.set.PlatformFrom, DefaultFromName: PlatformSenderName, Now: s.clock()})
		if err != nil {
			return err
		}
		p.accountID, p.appID = acc.ID, app.ID
		return audit.Record(ctx, q, actor, audit.Event{Action: "mail_app.create", EntityType: audit.EntityMailApp,
			EntityID: strconv.FormatInt(app.ID, 10), After: appFromRow(app)})
	})
	if err != nil {
		p.accountID, p.appID = 0, 0
		return 0, err
	}
	return p.appID, nil
}

// isPlatformAccount reports whether accountID is the built-in platform
// account, whose mail needs no verified domain.
func (s *Service) isPlatformAccount(ctx context.Context, accountID int64) (bool, error) {
	p := s.platform
	p.mu.Lock()
	known := cmp.Or(p.accountID, p.foundID)
	absent := time.Now().Before(p.absentUntil)
	p.mu.Unlock()
	if known != 0 {
		return accountID == known, nil
	}
	if absent {
		return false, nil
	}
	acc, err := s.db.GetAccountByEmail(ctx, PlatformAccountEmail)
	if db.IsNotFound(err) {
		p.mu.Lock()
		p.absentUntil = time.Now().Add(platformAbsentFor)
		p.mu.Unlock()
		return false, nil
	} else if err != nil {
		return false, err
	}
	p.mu.Lock()
	p.foundID = acc.ID
	p.mu.Unlock()
	return acc.ID == accountID, nil
}

// forgetPlatformAbsence makes the next isPlatformAccount read the account
// again, where it would trust having found none a moment ago.
func (s *Service) forgetPlatformAbsence() {
	s.platform.mu.Lock()
	s.platform.absentUntil = time.Time{}
	s.platform.mu.Unlock()
}

// platformFrom is the platform sender as an address; PLATFORM_MAIL_FROM is
// checked by config (it may be at a single-label host like localhost,
// which customer addresses may not).
func (s *Service) platformFrom() address.Address {
	return address.Address{Name: PlatformSenderName, Email: s.set.PlatformFrom}
}
