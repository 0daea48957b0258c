package mail

// What the staff console reads beyond the API's methods: list counts, the
// message log across accounts with its filters, and the area's counters.

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/mail/address"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/listcount"
)

// MessageStatuses are the statuses a message can have, in the order filters list them.
var MessageStatuses = []string{"queued", "delivered", "partial", "bounced", "failed", "suppressed"}

// namePrefix turns a search into a LIKE prefix: lower case, with LIKE's own
// wildcards escaped so "a_b" finds "a_b…" only; nil when empty.
func namePrefix(q string) *string {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return nil
	}
	q = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
	return &q
}

func domainStatus(st string) (*string, error) {
	switch st {
	case "":
		return nil, nil
	case StatusPending, StatusVerified, StatusFailing:
		return &st, nil
	}
	return nil, ValidationError{"status": "Status is one of pending, verified, failing."}
}

// CountDomains counts ListDomains' results up to limitTo (listcount).
func (s *Service) CountDomains(ctx context.Context, f DomainFilter, limitTo int) (_ listcount.Count, err error) {
	defer wrap(&err, "count mail domains")
	status, err := domainStatus(f.Status)
	if err != nil {
		return listcount.Count{}, err
	}
	var out listcount.Count
	err = s.db.Read(ctx, func(q *store.Queries) (err error) {
		out, err = listcount.Run(ctx, limitTo, func(ctx context.Context, lim int32) (int64, error) {
			return q.CountMailDomains(ctx, store.CountMailDomainsParams{AccountID: f.Scope.Filter(), Status: status,
				Q: namePrefix(f.Query), BeforeID: positive(f.BeforeID), Lim: lim})
		})
		return err
	})
	return out, err
}

// MessageFilter selects a page of the message log, newest first.
type MessageFilter struct {
	Scope     accounts.Scope
	AppID     int64  // 0: every app
	Status    string // "" or one of MessageStatuses
	Recipient string // "" or an exact address (any case)
	Domain    string // "" or the from address's domain
	Since     *time.Time
	Until     *time.Time
	BeforeID  int64 // 0: from the newest; else the last id of the previous page
	Limit     int   // 1..200, 0 = 50
}

func (s *Service) messageParams(f MessageFilter) (store.ListMailMessagesPageParams, error) {
	p := store.ListMailMessagesPageParams{AccountID: f.Scope.Filter(), AppID: positive(f.AppID), Since: f.Since, Until: f.Until,
		BeforeID: positive(f.BeforeID), Lim: clampLimit(f.Limit)}
	fe := ValidationError{}
	if f.Status != "" {
		ok := false
		for _, st := range MessageStatuses {
			ok = ok || st == f.Status
		}
		if !ok {
			fe["status"] = "Status is one of " + strings.Join(MessageStatuses, ", ") + "."
		}
		p.Status = &f.Status
	}
	if r := strings.ToLower(strings.TrimSpace(f.Recipient)); r != "" {
		p.Recipient = &r
	}
	if d := strings.TrimSpace(f.Domain); d != "" {
		n, err := NormalizeDomain(d)
		if err != nil {
			fe["domain"] = "Domain must be a domain name, such as example.com."
		}
		n = strings.ToLower(n)
		p.Domain = &n
	}
	if f.Since != nil && f.Until != nil && !f.Until.After(*f.Since) {
		fe["until"] = "The end of the time range must come after its start."
	}
	if len(fe) > 0 {
		return p, fe
	}
	return p, nil
}

// ListMessages is a page of the message log inside the scope.
func (s *Service) ListMessages(ctx context.Context, f MessageFilter) (_ []Message, err error) {
	defer wrap(&err, "list mail messages")
	p, err := s.messageParams(f)
	if err != nil {
		return nil, err
	}
	var rows []store.ListMailMessagesPageRow
	err = s.db.Read(ctx, func(q *store.Queries) (err error) {
		rows, err = q.ListMailMessagesPage(ctx, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]Message, len(rows))
	for i, r := range rows {
		out[i] = messageFromRow(r.MailMessage)
		out[i].AccountName, out[i].AppName = r.AccountName, r.AppName
	}
	return out, nil
}

// CountMessages counts ListMessages' results up to limitTo (listcount).
func (s *Service) CountMessages(ctx context.Context, f MessageFilter, limitTo int) (_ listcount.Count, err error) {
	defer wrap(&err, "count mail messages")
	p, err := s.messageParams(f)
	if err != nil {
		return listcount.Count{}, err
	}
	var out listcount.Count
	err = s.db.Read(ctx, func(q *store.Queries) (err error) {
		out, err = listcount.Run(ctx, limitTo, func(ctx context.Context, lim int32) (int64, error) {
			return q.CountMailMessages(ctx, store.CountMailMessagesParams{AccountID: p.AccountID, AppID: p.AppID, Status: p.Status,
				Domain: p.Domain, Recipient: p.Recipient, Since: p.Since, Until: p.Until, BeforeID: p.BeforeID, Lim: lim})
		})
		return err
	})
	return out, err
}

// Overview is the area's counters.
type Overview struct {
	MessagesToday  listcount.Count // since midnight UTC
	Delivered      int64           // deliveries over RateDays
	Bounced        int64           // bounces over RateDays
	RateDays       int
	FailingDomains int64
}

// BounceRate is bounces per delivery attempt that ended (0..1); ok is false
// when nothing ended in the window.
func (o Overview) BounceRate() (float64, bool) {
	if o.Delivered+o.Bounced == 0 {
		return 0, false
	}
	return float64(o.Bounced) / float64(o.Delivered+o.Bounced), true
}

// OverviewCounts counts today's messages, the bounce rate of the last seven
// days and the failing domains, across every account.
func (s *Service) OverviewCounts(ctx context.Context) (_ Overview, err error) {
	defer wrap(&err, "mail overview")
	now := s.clock()
	const days = 7
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	r, err := s.db.MailOverviewCounts(ctx, store.MailOverviewCountsParams{MessagesSince: today, RateSince: now.AddDate(0, 0, -days)})
	if err != nil {
		return Overview{}, err
	}
	o := Overview{MessagesToday: listcount.Count{N: r.Messages}, Delivered: r.Delivered, Bounced: r.Bounced, RateDays: days,
		FailingDomains: r.FailingDomains}
	if r.Messages > listcount.Cap {
		o.MessagesToday = listcount.Count{N: listcount.Cap, More: true}
	}
	return o, nil
}

// CountApps counts ListApps' results (the scope's apps) up to limitTo.
func (s *Service) CountApps(ctx context.Context, scope accounts.Scope, limitTo int) (_ listcount.Count, err error) {
	defer wrap(&err, "count mail apps")
	return listcount.Run(ctx, limitTo, func(ctx context.Context, lim int32) (int64, error) {
		return s.db.CountMailApps(ctx, store.CountMailAppsParams{AccountID: scope.Filter(), Lim: lim})
	})
}

// CountSuppressions counts ListSuppressions' results (one account's) up to limitTo.
func (s *Service) CountSuppressions(ctx context.Context, scope accounts.Scope, f SuppressionFilter, limitTo int) (_ listcount.Count, err error) {
	defer wrap(&err, "count mail suppressions")
	if !scope.Allows(f.AccountID) {
		return listcount.Count{}, ErrAccountNotFound
	}
	f.BeforeID = 0
	p, err := f.params()
	if err != nil {
		return listcount.Count{}, err
	}
	return listcount.Run(ctx, limitTo, func(ctx context.Context, lim int32) (n int64, err error) {
		err = s.db.Read(ctx, func(q *store.Queries) (err error) {
			p.Lim = lim
			n, err = q.CountMailSuppressions(ctx, store.CountMailSuppressionsParams(p))
			return err
		})
		return n, err
	})
}

// DayTotals is one UTC day's sent (accepted), delivered and bounced counts.
type DayTotals struct {
	Day                      time.Time
	Sent, Delivered, Bounced int64
}

// DailyTotals counts every app's events per UTC day for days days from
// from (a UTC midnight), one entry per day, empty days included.
func (s *Service) DailyTotals(ctx context.Context, from time.Time, days int) (_ []DayTotals, err error) {
	defer wrap(&err, "mail daily totals")
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	rows, err := s.db.MailDailyTotals(ctx, store.MailDailyTotalsParams{Since: from, Until: from.AddDate(0, 0, days)})
	if err != nil {
		return nil, err
	}
	out := make([]DayTotals, days)
	for i := range out {
		out[i].Day = from.AddDate(0, 0, i)
	}
	for _, r := range rows {
		i := int(r.Day.Time.UTC().Sub(from).Hours() / 24)
		if i < 0 || i >= days {
			continue
		}
		switch r.Type {
		case "queued":
			out[i].Sent += r.N
		case "delivered":
			out[i].Delivered += r.N
		case "bounced":
			out[i].Bounced += r.N
		}
	}
	return out, nil
}

// LiftSuppression lets the account send to email again, whatever put it on
// the list (a hard bounce included, which the API refuses): staff say why,
// and the history of the account keeps what was lifted and the reason.
func (s *Service) LiftSuppression(ctx context.Context, actor audit.Actor, scope accounts.Scope, accountID int64, email, reason string) (err error) {
	defer wrap(&err, "lift mail suppression")
	if !scope.Allows(accountID) {
		return ErrSuppressionNotFound
	}
	fe := ValidationError{}
	email = strings.TrimSpace(email)
	if email == "" {
		fe["email"] = "Enter the suppressed address."
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		fe["reason"] = "Say why the address may receive mail again."
	} else if len(reason) > 500 {
		fe["reason"] = "Keep the reason under 500 characters."
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.Tx(ctx, func(q *store.Queries) error {
		row, err := q.DeleteMailSuppression(ctx, store.DeleteMailSuppressionParams{AccountID: accountID, Email: email})
		if db.IsNotFound(err) {
			return ErrSuppressionNotFound
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "mail_suppression.lift", EntityType: audit.EntityAccount,
			EntityID: strconv.FormatInt(accountID, 10), Reason: reason,
			Before: map[string]any{"suppressed_email": row.Email, "suppression_reason": row.Reason, "origin": row.Origin}})
	})
}

// MaxSuppressionReason bounds the reason staff give when they add or lift a
// suppression (kept in the account's history).
const MaxSuppressionReason = 500

// AddSuppression puts an address on the account's list by hand (reason
// code manual), as staff do in the console: the address must be a valid
// mailbox, staff say why, and the account's history keeps the address and
// the reason, in the same transaction. An address already listed (in any
// letter case, whatever put it there) is refused with a field message.
func (s *Service) AddSuppression(ctx context.Context, actor audit.Actor, scope accounts.Scope, accountID int64, email, reason string) (err error) {
	defer wrap(&err, "add mail suppression")
	if !scope.Allows(accountID) {
		return ErrAccountNotFound
	}
	fe := ValidationError{}
	var addr string
	if strings.TrimSpace(email) == "" {
		fe["email"] = "Enter the address to suppress."
	} else if a, aerr := address.New("", email); aerr != nil {
		fe["email"] = suppressionAddressMessage(aerr)
	} else {
		addr = a.Email
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		fe["reason"] = "Say why the account must stop sending to this address."
	case !utf8.ValidString(reason) || strings.ContainsFunc(reason, unicode.IsControl):
		fe["reason"] = "Use one line of text without control characters."
	case utf8.RuneCountInString(reason) > MaxSuppressionReason:
		fe["reason"] = "Keep the reason under " + strconv.Itoa(MaxSuppressionReason) + " characters."
	}
	if len(fe) > 0 {
		return fe
	}
	origin := "added by " + actorLabel(actor)
	return s.db.Tx(ctx, func(q *store.Queries) error {
		if _, err := q.GetAccount(ctx, accountID); db.IsNotFound(err) {
			return ErrAccountNotFound
		} else if err != nil {
			return err
		}
		n, err := q.InsertMailSuppression(ctx, store.InsertMailSuppressionParams{AccountID: accountID, Email: addr,
			Reason: ReasonManual, Origin: origin, Now: s.clock()})
		if err != nil {
			return err
		}
		if n == 0 {
			return ValidationError{"email": "This account already suppresses " + addr + "."}
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "mail_suppression.add", EntityType: audit.EntityAccount,
			EntityID: strconv.FormatInt(accountID, 10), Reason: reason,
			After: map[string]any{"suppressed_email": addr, "suppression_reason": ReasonManual, "origin": origin}})
	})
}

// suppressionAddressMessage says why an address was refused, for the form.
func suppressionAddressMessage(err error) string {
	var ae *address.Error
	if errors.As(err, &ae) && ae.Reason != address.NotAnAddress {
		return "Enter one plain address such as name@example.com (" + ae.Reason + ")."
	}
	return "Enter one plain address such as name@example.com."
}

// actorLabel names who acted, for a row's origin.
func actorLabel(a audit.Actor) string {
	if a.Label != "" {
		return a.Label
	}
	if a.Kind != "" {
		return a.Kind
	}
	return "staff"
}
