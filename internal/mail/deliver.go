package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"lumdesk/db/store"
	"lumdesk/internal/mail/address"
	"lumdesk/internal/mail/outbound"
	"lumdesk/internal/platform/db"
)

// DefaultRetryFor is how long deferred mail is retried (LUMORA_RETRY_FOR).
const DefaultRetryFor = 24 * time.Hour

// Transport hands a signed message to an SMTP server (outbound.Sender).
type Transport interface {
	Send(ctx context.Context, mailFrom string, rcpts []string, raw []byte) []outbound.RecipientResult
}

// SetTransport sets where Deliver sends (the relay of LUMORA_SMTP_URL or the
// sandbox inbox) and how long deferred mail is retried; call it at wiring time.
func (s *Service) SetTransport(t Transport, retryFor time.Duration) {
	if retryFor <= 0 {
		retryFor = DefaultRetryFor
	}
	s.transport, s.retryFor = t, retryFor
}

// ErrNoTransport: the process has no SMTP transport (River retries the job).
var ErrNoTransport = errors.New("no SMTP transport is configured for Lumora delivery")

// Deliver makes one delivery attempt for the message's recipients that are
// due (queued, or deferred whose next attempt has come): it builds the MIME
// message, signs it with the sending domain's DKIM key, sends it, and
// records each recipient's outcome with an event (a 5xx also suppresses the
// address). It returns when the next attempt is due (zero: nothing is left
// to do). Running it twice is harmless: recipients already decided, or not
// due yet, are not sent to again.
func (s *Service) Deliver(ctx context.Context, messageID int64) (retryAt time.Time, err error) {
	defer wrap(&err, "deliver mail message %d", messageID)
	if s.transport == nil {
		return time.Time{}, ErrNoTransport
	}
	msg, err := s.db.GetMailMessage(ctx, messageID)
	if db.IsNotFound(err) {
		return time.Time{}, nil // deleted since: nothing to deliver
	} else if err != nil {
		return time.Time{}, err
	}
	rcpts, err := s.db.ListMailRecipients(ctx, messageID)
	if err != nil {
		return time.Time{}, err
	}
	now := s.clock()
	var due []store.MailRecipient
	for _, r := range rcpts {
		if pending(r) && !r.NextAttemptAt.After(now) {
			due = append(due, r)
		}
	}
	if len(due) == 0 {
		return nextDue(rcpts), nil
	}
	raw, smtpID, buildErr := s.compose(ctx, msg, rcpts, due, now)
	var results []outbound.RecipientResult
	if buildErr != nil {
		// Only a sending domain deleted since the send gets here (the send
		// validated everything else): nothing can be sent, ever.
		results = make([]outbound.RecipientResult, len(due))
		for i, r := range due {
			results[i] = outbound.RecipientResult{Email: r.Email, Status: "failed", Text: buildErr.Error()}
		}
	} else {
		emails := make([]string, len(due))
		for i, r := range due {
			emails[i] = r.Email
		}
		results = s.transport.Send(ctx, msg.FromEmail, emails, raw)
	}
	byEmail := map[string]store.MailRecipient{}
	for _, r := range due {
		byEmail[r.Email] = r
	}
	var outs []attemptOutcome
	decided := map[int64]attemptOutcome{}
	for _, res := range results {
		if r, ok := byEmail[res.Email]; ok {
			o := s.decide(msg, r, res, now)
			outs = append(outs, o)
			decided[r.ID] = o
		}
	}
	// The recipients as this attempt leaves them: only a delivery changes
	// a recipient, and River runs one job of a message at a time, so the
	// rows read above with the outcomes applied are what the table holds.
	for i, r := range rcpts {
		if o, ok := decided[r.ID]; ok {
			r.Status, r.Attempts, r.NextAttemptAt = o.status, o.attempts, o.next
			rcpts[i] = r
		}
	}
	// pgx.BeginFunc rather than db.Tx: the webhooks of the outcomes are
	// enqueued in this transaction too, which takes the pgx.Tx itself.
	err = pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := s.record(ctx, tx, q, msg, outs, now); err != nil {
			return err
		}
		if msg.DomainID == nil && buildErr == nil && nextDue(rcpts).IsZero() {
			// Platform mail (it names no domain, and composed) carries
			// one-time links: once it is sent, or never will be, its
			// bodies go, so the links do not outlive the mail.
			if err := q.ForgetMailBodies(ctx, store.ForgetMailBodiesParams{ID: messageID, Note: PlatformBodyForgotten}); err != nil {
				return err
			}
		}
		return q.SetMailMessageStatus(ctx, store.SetMailMessageStatusParams{ID: messageID, Status: messageStatus(rcpts),
			SmtpMessageID: firstNonEmpty(smtpID, msg.SmtpMessageID), Now: now})
	})
	if err != nil {
		return time.Time{}, err
	}
	return nextDue(rcpts), nil
}

// attemptOutcome is what one attempt means for one recipient.
type attemptOutcome struct {
	r        store.MailRecipient
	res      outbound.RecipientResult
	status   string // the recipient's new status, also its event's type
	attempts int32
	next     *time.Time // the next attempt (deferred)
	detail   string     // the event's detail
}

// decide decides a recipient's new state after an attempt.
func (s *Service) decide(msg store.MailMessage, r store.MailRecipient, res outbound.RecipientResult, now time.Time) attemptOutcome {
	o := attemptOutcome{r: r, res: res, attempts: r.Attempts + 1, detail: smtpDetail(res)}
	switch res.Status {
	case outbound.Delivered:
		o.status = RcptDelivered
	case outbound.Bounced:
		o.status = RcptBounced
	case outbound.Deferred:
		at, giveUp := outbound.NextAttempt(msg.CreatedAt, int(o.attempts), now, s.retryFor)
		if giveUp {
			o.status = RcptFailed
			o.detail = "Gave up after " + strconv.Itoa(int(o.attempts)) + " attempts over " + s.retryFor.String() + "; last reply: " + o.detail
		} else {
			o.status, o.next = RcptDeferred, &at
		}
	default:
		o.status = RcptFailed
	}
	return o
}

// record writes the recipients' outcomes of an attempt: a bounce's
// suppression, every recipient's state and event (one statement for all),
// and their webhooks, in tx (q's transaction).
func (s *Service) record(ctx context.Context, tx pgx.Tx, q *store.Queries, msg store.MailMessage, outs []attemptOutcome, now time.Time) error {
	if len(outs) == 0 {
		return nil
	}
	p := store.RecordMailAttemptsParams{MessageID: msg.ID, AppID: msg.AppID, AccountID: msg.AccountID, Now: now}
	for _, o := range outs {
		if o.status == RcptBounced {
			if _, err := q.InsertMailSuppression(ctx, store.InsertMailSuppressionParams{AccountID: msg.AccountID, Email: o.r.Email,
				Reason: ReasonHardBounce, Origin: msg.PublicID + ": " + o.detail, Now: now}); err != nil {
				return err
			}
		}
		next := now // any value: has_next says whether it counts
		if o.next != nil {
			next = *o.next
		}
		p.Ids = append(p.Ids, o.r.ID)
		p.Statuses = append(p.Statuses, o.status)
		p.Attempts = append(p.Attempts, o.attempts)
		p.HasNext = append(p.HasNext, o.next != nil)
		p.NextAt = append(p.NextAt, next)
		p.Codes = append(p.Codes, int32(o.res.Code))
		p.SmtpTexts = append(p.SmtpTexts, truncateText(o.res.Text, 500))
		p.Emails = append(p.Emails, o.r.Email)
		p.EventTypes = append(p.EventTypes, o.status)
		p.Details = append(p.Details, truncateText(o.detail, 1000))
	}
	if err := q.RecordMailAttempts(ctx, p); err != nil {
		return err
	}
	for _, o := range outs {
		var smtpCode *int
		if o.res.Code != 0 {
			c := o.res.Code
			smtpCode = &c
		}
		if err := s.announce(ctx, tx, msg.AppID, StatusEvent{MessageID: msg.PublicID, Recipient: o.r.Email, Status: o.status,
			SMTPCode: smtpCode, SMTPResponse: truncateText(o.res.Text, 500)}, now); err != nil {
			return err
		}
	}
	return nil
}

// compose builds and signs the message for this attempt. The headers name
// every To and Cc recipient (suppressed ones too: the message reads as it
// was written); the envelope carries only the due ones.
func (s *Service) compose(ctx context.Context, msg store.MailMessage, all, due []store.MailRecipient, now time.Time) ([]byte, string, error) {
	// A customer's message names its sending domain; the platform's names
	// none, and one whose domain was deleted since has lost it.
	platform := false
	if msg.DomainID == nil {
		// Look again: another process (the CLI's `customer invite`) may
		// have made the platform account since this one found none.
		s.forgetPlatformAbsence()
		p, err := s.isPlatformAccount(ctx, msg.AccountID)
		if err != nil {
			return nil, "", err
		}
		if !p {
			return nil, "", errors.New("the sending domain was removed")
		}
		platform = true
	}
	from := address.Address{Name: msg.FromName, Email: msg.FromEmail} // PLATFORM_MAIL_FROM, checked by config
	if !platform {
		var err error
		if from, err = address.New(msg.FromName, msg.FromEmail); err != nil {
			return nil, "", err
		}
	}
	m := outbound.Message{From: from, Subject: msg.Subject, Text: msg.TextBody, HTML: msg.HtmlBody}
	for _, r := range all {
		a := address.Address{Email: r.Email}
		switch r.Kind {
		case "to":
			m.To = append(m.To, a)
		case "cc":
			m.Cc = append(m.Cc, a)
		}
	}
	for _, r := range due {
		if r.Kind == "bcc" {
			m.Bcc = append(m.Bcc, address.Address{Email: r.Email})
		}
	}
	if len(m.To) == 0 { // every To was a duplicate of nothing: cannot happen, but Build needs one
		m.To = []address.Address{{Email: due[0].Email}}
	}
	for _, rt := range msg.ReplyTo {
		if a, err := address.Parse(rt); err == nil {
			m.ReplyTo = append(m.ReplyTo, a)
		}
	}
	if err := json.Unmarshal(msg.Headers, &m.Headers); err != nil {
		return nil, "", fmt.Errorf("stored headers: %w", err)
	}
	if err := json.Unmarshal(msg.Tags, &m.Tags); err != nil {
		return nil, "", fmt.Errorf("stored tags: %w", err)
	}
	built, err := outbound.Build(m, now)
	if err != nil {
		return nil, "", err
	}
	if platform {
		// The platform holds no key for PLATFORM_MAIL_FROM's domain: its mail goes unsigned.
		return built.Raw, built.MessageID, nil
	}
	selector, signer, err := s.DKIMKey(ctx, *msg.DomainID)
	if errors.Is(err, ErrDomainNotFound) {
		return nil, "", errors.New("the sending domain was removed")
	} else if err != nil {
		return nil, "", err
	}
	signed, err := outbound.Sign(built.Raw, outbound.DKIMKey{Domain: from.Domain(), Selector: selector, Signer: signer})
	if err != nil {
		return nil, "", err
	}
	return signed, built.MessageID, nil
}

func pending(r store.MailRecipient) bool {
	return (r.Status == RcptQueued || r.Status == RcptDeferred) && r.NextAttemptAt != nil
}

// nextDue is the earliest next attempt of a pending recipient (zero: none).
func nextDue(rcpts []store.MailRecipient) time.Time {
	var t time.Time
	for _, r := range rcpts {
		if pending(r) && (t.IsZero() || r.NextAttemptAt.Before(t)) {
			t = *r.NextAttemptAt
		}
	}
	return t
}

// messageStatus sums up the recipients: queued while any waits; delivered
// when all were (suppressed ones aside); partial when some were; else the
// outcome of the first recipient.
func messageStatus(rcpts []store.MailRecipient) string {
	delivered, undelivered := 0, ""
	for _, r := range rcpts {
		switch {
		case pending(r):
			return MsgQueued
		case r.Status == RcptDelivered:
			delivered++
		case r.Status == RcptSuppressed:
		case undelivered == "":
			undelivered = r.Status
		}
	}
	switch {
	case delivered > 0 && undelivered == "":
		return MsgDelivered
	case delivered > 0:
		return MsgPartial
	case undelivered != "":
		return undelivered
	}
	return MsgSuppressed
}

func smtpDetail(res outbound.RecipientResult) string {
	parts := []string{}
	if res.Code != 0 {
		parts = append(parts, strconv.Itoa(res.Code))
	}
	if res.EnhancedCode != "" {
		parts = append(parts, res.EnhancedCode)
	}
	if res.Text != "" {
		parts = append(parts, res.Text)
	}
	return strings.Join(parts, " ")
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut]
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
