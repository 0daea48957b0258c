package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/mail/address"
	"lumdesk/internal/mail/outbound"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
)

// Limits of one send.
const (
	MaxTo      = 50
	MaxCc      = 50
	MaxBcc     = 50
	MaxReplyTo = 10
	// IdempotencyKeep is how long an Idempotency-Key answers with its first message.
	IdempotencyKeep = 24 * time.Hour
	MinIdemKeyLen   = 8
	MaxIdemKeyLen   = 200
)

// Message and recipient statuses, and event types.
const (
	MsgQueued     = "queued"
	MsgDelivered  = "delivered"
	MsgPartial    = "partial" // some recipients delivered, some not
	MsgBounced    = "bounced"
	MsgFailed     = "failed"
	MsgSuppressed = "suppressed"

	RcptQueued     = "queued"
	RcptDelivered  = "delivered"
	RcptDeferred   = "deferred"
	RcptBounced    = "bounced"
	RcptFailed     = "failed"
	RcptSuppressed = "suppressed"

	EventComplained = "complained"
)

// EventTypes are the kinds of delivery event, in the order stats list them.
var EventTypes = []string{RcptQueued, RcptDelivered, RcptDeferred, RcptBounced, RcptFailed, RcptSuppressed, EventComplained}

// Errors of a send (the API's error codes in brackets).
var (
	// ErrAllSuppressed: every recipient is on the account's suppression list (all_recipients_suppressed).
	ErrAllSuppressed = errors.New("every recipient is on the suppression list")
	// ErrIdempotencyKeyReused: the key was used with another body within 24 hours (idempotency_key_reused).
	ErrIdempotencyKeyReused = errors.New("this Idempotency-Key was already used with another request body")
	ErrMessageNotFound      = notFound("message not found")
	ErrSuppressionNotFound  = notFound("suppression not found")
)

type notFound string

func (e notFound) Error() string  { return string(e) }
func (e notFound) NotFound() bool { return true }

// DeliveryQueue enqueues the delivery job of a message inside the send's
// transaction (jobs.Service), so a message exists exactly when its job does.
type DeliveryQueue interface {
	EnqueueMailDeliveryTx(ctx context.Context, tx pgx.Tx, messageID int64) error
}

// SetQueue sets where sends enqueue their delivery; call it at wiring time.
func (s *Service) SetQueue(q DeliveryQueue) { s.queue = q }

// SendInput is one message as the API takes it. Addresses are strings
// ("a@b.test" or "Name <a@b.test>"); everything is validated by Send.
type SendInput struct {
	FromEmail string // "": the app's default sender
	FromName  string
	To        []string
	Cc        []string
	Bcc       []string
	ReplyTo   []string
	Subject   string
	HTML      string
	Text      string
	Headers   map[string]string
	Tags      []outbound.Tag
	// Template names a template of the app's account (its slug or tpl_ id);
	// its parts rendered with Variables replace Subject, HTML and Text (the
	// send's Subject stays when the template has none).
	Template  string
	Variables map[string]any

	IdempotencyKey string // "" for none; else 8-200 characters
	RequestHash    []byte // identifies the request body for the key (apikeys.RequestHash)
}

// SendResult is the answer to a send.
type SendResult struct {
	MessageID string // msg_...
	Status    string // queued
	Replay    bool   // an earlier send with the same Idempotency-Key and body
}

type recipient struct {
	email string // as given, domain normalised
	kind  string // to, cc, bcc
}

// Send validates a message of the app (inside the scope), checks that its
// sender's domain may send, drops suppressed recipients (each with a
// suppressed event) and writes the message, its recipients, their events and
// the delivery job in one transaction. Nothing talks SMTP here.
func (s *Service) Send(ctx context.Context, scope accounts.Scope, appID int64, in SendInput) (_ SendResult, err error) {
	defer wrap(&err, "send mail")
	app, err := s.GetApp(ctx, scope, appID)
	if err != nil {
		return SendResult{}, err
	}
	now := s.clock()
	if in.IdempotencyKey != "" {
		if n := len(in.IdempotencyKey); n < MinIdemKeyLen || n > MaxIdemKeyLen || strings.ContainsFunc(in.IdempotencyKey, isCtl) {
			return SendResult{}, ValidationError{"Idempotency-Key": "Use 8 to 200 printable characters."}
		}
		if res, done, err := s.replay(ctx, s.db.Queries, app.ID, in, now); done || err != nil {
			return res, err
		}
	}
	tplID, tplVersion, err := s.renderTemplate(ctx, app.AccountID, &in)
	if err != nil {
		return SendResult{}, err
	}
	platform, err := s.isPlatformAccount(ctx, app.AccountID)
	if err != nil {
		return SendResult{}, err
	}
	var from *address.Address
	if platform {
		// The platform sends from PLATFORM_MAIL_FROM only, whatever the input
		// says; config checked it (it may sit at a single-label host such as
		// localhost, which a customer's sender may not).
		f := s.platformFrom()
		from = &f
	}
	msg, rcpts, fe := s.validateSend(app, in, from)
	if len(fe) > 0 {
		return SendResult{}, fe
	}
	var domainID *int64
	if !platform {
		dom, err := s.sendingDomain(ctx, app.AccountID, msg.From.Domain())
		if err != nil {
			return SendResult{}, err
		}
		domainID = &dom.ID
	}
	lower := make([]string, len(rcpts))
	for i, r := range rcpts {
		lower[i] = strings.ToLower(r.email)
	}
	supp, err := s.db.SuppressedAmong(ctx, store.SuppressedAmongParams{AccountID: app.AccountID, Emails: lower})
	if err != nil {
		return SendResult{}, err
	}
	suppressed := map[string]bool{}
	for _, e := range supp {
		suppressed[e] = true
	}
	if len(suppressed) == len(rcpts) {
		return SendResult{}, ErrAllSuppressed
	}
	if s.queue == nil {
		return SendResult{}, errors.New("no delivery queue is wired")
	}

	headers, _ := json.Marshal(nonNil(msg.Headers))
	tags, _ := json.Marshal(nonNilTags(msg.Tags))
	replyTo := make([]string, len(msg.ReplyTo))
	for i, a := range msg.ReplyTo {
		replyTo[i] = a.String()
	}
	queuedDetail := ""
	if tplID != "" {
		// The message keeps what it was rendered from on its queued events.
		queuedDetail = fmt.Sprintf("Rendered from template %s version %d.", tplID, tplVersion)
	}
	const suppressedDetail = "The address is on the account's suppression list."
	p := store.InsertMailMessageWithRecipientsParams{PublicID: "msg_" + ids.Token(24), AccountID: app.AccountID, AppID: app.ID,
		DomainID: domainID, FromEmail: msg.From.Email, FromName: msg.From.Name, ReplyTo: replyTo, Subject: msg.Subject,
		TextBody: msg.Text, HtmlBody: msg.HTML, Headers: headers, Tags: tags, Now: now,
		Emails: make([]string, len(rcpts)), Kinds: make([]string, len(rcpts)), Statuses: make([]string, len(rcpts)),
		Details: make([]string, len(rcpts))}
	for i, r := range rcpts {
		status, detail := RcptQueued, queuedDetail
		if suppressed[strings.ToLower(r.email)] {
			status, detail = RcptSuppressed, suppressedDetail
		}
		p.Emails[i], p.Kinds[i], p.Statuses[i], p.Details[i] = r.email, r.kind, status, detail
	}
	if in.IdempotencyKey != "" {
		p.IdempotencyKey, p.RequestHash = &in.IdempotencyKey, in.RequestHash
	}
	var out SendResult
	err = pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		if p.IdempotencyKey != nil {
			if err := q.ReleaseMailIdempotencyKey(ctx, store.ReleaseMailIdempotencyKeyParams{AppID: app.ID,
				IdempotencyKey: p.IdempotencyKey, Before: now.Add(-IdempotencyKeep)}); err != nil {
				return err
			}
		}
		// The message, its recipients and their events: one statement.
		row, err := q.InsertMailMessageWithRecipients(ctx, p)
		if db.IsNotFound(err) {
			// A concurrent send with the same key won; ours is its replay (or a reuse).
			res, done, err := s.replay(ctx, q, app.ID, in, now)
			if err == nil && !done {
				err = errors.New("idempotent message vanished")
			}
			out = res
			return err
		} else if err != nil {
			return err
		}
		for i, st := range p.Statuses {
			if st == RcptSuppressed {
				if err := s.announce(ctx, tx, app.ID, StatusEvent{MessageID: row.PublicID, Recipient: p.Emails[i],
					Status: RcptSuppressed, SMTPResponse: suppressedDetail}, now); err != nil {
					return err
				}
			}
		}
		out = SendResult{MessageID: row.PublicID, Status: MsgQueued}
		return s.queue.EnqueueMailDeliveryTx(ctx, tx, row.ID)
	})
	if err != nil {
		return SendResult{}, err
	}
	return out, nil
}

// replay answers a send whose Idempotency-Key was used within 24 hours:
// the first answer for the same body, ErrIdempotencyKeyReused for another.
func (s *Service) replay(ctx context.Context, q *store.Queries, appID int64, in SendInput, now time.Time) (SendResult, bool, error) {
	row, err := q.GetMailMessageByIdempotencyKey(ctx, store.GetMailMessageByIdempotencyKeyParams{AppID: appID, IdempotencyKey: &in.IdempotencyKey})
	if db.IsNotFound(err) || (err == nil && !row.CreatedAt.After(now.Add(-IdempotencyKeep))) {
		return SendResult{}, false, nil
	} else if err != nil {
		return SendResult{}, false, err
	}
	if !bytes.Equal(row.RequestHash, in.RequestHash) {
		return SendResult{}, true, ErrIdempotencyKeyReused
	}
	return SendResult{MessageID: row.PublicID, Status: MsgQueued, Replay: true}, true, nil
}

// validateSend checks every field (all problems at once) and returns the
// message as outbound will build it and its recipients, once each.
// A from given (the platform's) replaces the input's sender.
func (s *Service) validateSend(app App, in SendInput, from *address.Address) (outbound.Message, []recipient, ValidationError) {
	fe := ValidationError{}
	var m outbound.Message
	fromEmail, fromName := strings.TrimSpace(in.FromEmail), in.FromName
	if fromEmail == "" {
		fromEmail, fromName = app.DefaultFromEmail, app.DefaultFromName
		if in.FromName != "" {
			fromName = in.FromName
		}
	}
	switch {
	case from != nil:
		m.From = *from
	case fromEmail == "":
		fe["from"] = "from is required: the app has no default sender."
	default:
		if a, err := address.New(fromName, fromEmail); err != nil {
			fe["from"] = "from: " + reason(err)
		} else {
			m.From = a
		}
	}
	list := func(field string, raw []string, max int, required bool) []address.Address {
		switch {
		case len(raw) == 0 && required:
			fe[field] = field + " needs at least one recipient."
			return nil
		case len(raw) > max:
			fe[field] = fmt.Sprintf("%s takes at most %d addresses; %d were given.", field, max, len(raw))
			return nil
		}
		out := make([]address.Address, 0, len(raw))
		for i, r := range raw {
			a, err := address.Parse(r)
			if err != nil {
				fe[field] = fmt.Sprintf("%s[%d]: %s", field, i, reason(err))
				return nil
			}
			out = append(out, a)
		}
		return out
	}
	m.To = list("to", in.To, MaxTo, true)
	m.Cc = list("cc", in.Cc, MaxCc, false)
	m.Bcc = list("bcc", in.Bcc, MaxBcc, false)
	m.ReplyTo = list("reply_to", in.ReplyTo, MaxReplyTo, false)
	m.Subject, m.HTML, m.Text, m.Headers, m.Tags = in.Subject, in.HTML, in.Text, in.Headers, in.Tags
	if strings.ContainsAny(in.Subject, "\r\n") {
		fe["subject"] = "subject must not contain a line break."
	}
	if len(fe) == 0 {
		// outbound's own rules: subject, bodies, the header allow-list, tags,
		// and no CR/LF or control character in any header value.
		var oe *outbound.Error
		if err := m.Validate(); errors.As(err, &oe) {
			fe[oe.Field] = oe.Field + " " + oe.Reason + "."
		} else if err != nil {
			fe["message"] = err.Error()
		}
	}
	if len(fe) > 0 {
		return m, nil, fe
	}
	seen := map[string]bool{}
	var rcpts []recipient
	for _, l := range []struct {
		kind  string
		addrs []address.Address
	}{{"to", m.To}, {"cc", m.Cc}, {"bcc", m.Bcc}} {
		for _, a := range l.addrs {
			if k := strings.ToLower(a.Email); !seen[k] {
				seen[k] = true
				rcpts = append(rcpts, recipient{email: a.Email, kind: l.kind})
			}
		}
	}
	return m, rcpts, nil
}

func reason(err error) string {
	var ae *address.Error
	if errors.As(err, &ae) {
		return ae.Reason
	}
	return err.Error()
}

func isCtl(r rune) bool { return r < 0x20 || r == 0x7f }

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNilTags(t []outbound.Tag) []outbound.Tag {
	if t == nil {
		return []outbound.Tag{}
	}
	return t
}
