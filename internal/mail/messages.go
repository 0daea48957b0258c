package mail

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/mail/address"
	"lumdesk/internal/platform/db"
)

// Suppression reasons.
const (
	ReasonHardBounce  = "hard_bounce"
	ReasonComplaint   = "complaint"
	ReasonManual      = "manual"
	ReasonUnsubscribe = "unsubscribe"
)

// ErrHardBounceSuppression: a hard bounce is lifted by staff with a reason,
// not through the API.
var ErrHardBounceSuppression = errors.New("a hard-bounce suppression is removed by staff in the console, with a reason")

// Message is a sent message as the log and the API show it.
type Message struct {
	ID            int64
	PublicID      string
	AccountID     int64
	AppID         int64
	AccountName   string // filled by the console's message log
	AppName       string
	FromEmail     string
	FromName      string
	Subject       string
	Status        string
	SMTPMessageID string
	// Headers are the custom headers the send asked for; the ones delivery
	// adds (Message-ID, DKIM-Signature) are made at each attempt, not stored.
	Headers   map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Recipient is one recipient of a message and where its delivery stands.
type Recipient struct {
	Email         string
	Kind          string // to, cc, bcc
	Status        string
	Attempts      int
	NextAttemptAt *time.Time
	LastSMTPCode  int
	LastSMTPText  string
	UpdatedAt     time.Time
}

// Event is one thing that happened to a message's recipient.
type Event struct {
	ID        int64
	MessageID string // msg_...
	Subject   string // the message's (the log only)
	Recipient string
	Type      string
	At        time.Time
	Detail    string
}

// MessageDetail is a message with its recipients and event timeline.
type MessageDetail struct {
	Message    Message
	Recipients []Recipient
	Events     []Event
}

func messageFromRow(r store.MailMessage) Message {
	m := Message{ID: r.ID, PublicID: r.PublicID, AccountID: r.AccountID, AppID: r.AppID, FromEmail: r.FromEmail,
		FromName: r.FromName, Subject: r.Subject, Status: r.Status, SMTPMessageID: r.SmtpMessageID,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	var h map[string]string
	if json.Unmarshal(r.Headers, &h) == nil && len(h) > 0 { // Send writes a JSON object; anything else shows none
		m.Headers = h
	}
	return m
}

// GetMessage is the message with that public id, if it is inside the scope.
func (s *Service) GetMessage(ctx context.Context, scope accounts.Scope, publicID string) (_ MessageDetail, err error) {
	defer wrap(&err, "get mail message %q", publicID)
	return s.getMessage(ctx, publicID, func(m store.MailMessage) bool { return scope.Allows(m.AccountID) })
}

// GetAppMessage is the message with that public id if the app sent it and
// the app is inside the scope. An API key carries its app's permissions
// (the spec), so a message of another app, of the key's own account too, is
// ErrMessageNotFound exactly as an unknown id, as its logs and stats are.
func (s *Service) GetAppMessage(ctx context.Context, scope accounts.Scope, appID int64, publicID string) (_ MessageDetail, err error) {
	defer wrap(&err, "get mail message %q of app %d", publicID, appID)
	return s.getMessage(ctx, publicID, func(m store.MailMessage) bool { return m.AppID == appID && scope.Allows(m.AccountID) })
}

// getMessage is the message with its recipients and events, if visible
// says the caller may see it (else ErrMessageNotFound).
func (s *Service) getMessage(ctx context.Context, publicID string, visible func(store.MailMessage) bool) (MessageDetail, error) {
	row, err := s.db.GetMailMessageByPublicID(ctx, publicID)
	if db.IsNotFound(err) || (err == nil && !visible(row)) {
		return MessageDetail{}, ErrMessageNotFound
	} else if err != nil {
		return MessageDetail{}, err
	}
	out := MessageDetail{Message: messageFromRow(row), Recipients: []Recipient{}, Events: []Event{}}
	rcpts, err := s.db.ListMailRecipients(ctx, row.ID)
	if err != nil {
		return MessageDetail{}, err
	}
	for _, r := range rcpts {
		x := Recipient{Email: r.Email, Kind: r.Kind, Status: r.Status, Attempts: int(r.Attempts),
			NextAttemptAt: utcPtr(r.NextAttemptAt), LastSMTPText: r.LastSmtpText, UpdatedAt: r.UpdatedAt.UTC()}
		if r.LastSmtpCode != nil {
			x.LastSMTPCode = int(*r.LastSmtpCode)
		}
		out.Recipients = append(out.Recipients, x)
	}
	evs, err := s.db.ListMailMessageEvents(ctx, row.ID)
	if err != nil {
		return MessageDetail{}, err
	}
	for _, e := range evs {
		out.Events = append(out.Events, Event{ID: e.ID, MessageID: row.PublicID, Recipient: e.Recipient, Type: e.Type,
			At: e.At.UTC(), Detail: e.Detail})
	}
	return out, nil
}

// LogFilter selects a page of an app's delivery events, newest first.
type LogFilter struct {
	Status    string // an event type, or ""
	Recipient string // exact address (any case), or ""
	Since     *time.Time
	Until     *time.Time
	BeforeID  int64 // 0: from the newest; else the last id of the previous page
	Limit     int   // 1..200, 0 = 50
}

// ListEvents is a page of the app's delivery events (the app inside the
// scope), with the cursor of the next page when there is one.
func (s *Service) ListEvents(ctx context.Context, scope accounts.Scope, appID int64, f LogFilter) (_ Page[Event], err error) {
	defer wrap(&err, "list mail events of app %d", appID)
	app, err := s.GetApp(ctx, scope, appID)
	if err != nil {
		return Page[Event]{}, err
	}
	limit := clampLimit(f.Limit)
	p := store.ListMailEventsParams{AppID: app.ID, BeforeID: positive(f.BeforeID), Since: f.Since, Until: f.Until, Lim: limit + 1}
	fe := ValidationError{}
	if f.Status != "" {
		if !validEventType(f.Status) {
			fe["status"] = "status is one of queued, delivered, deferred, bounced, failed, suppressed, complained."
		}
		p.Type = &f.Status
	}
	if f.Recipient != "" {
		a, err := address.New("", f.Recipient)
		if err != nil {
			fe["recipient"] = "recipient: " + reason(err)
		}
		p.Recipient = &a.Email
	}
	if f.Since != nil && f.Until != nil && !f.Since.Before(*f.Until) {
		fe["since"] = "since must be before until."
	}
	if len(fe) > 0 {
		return Page[Event]{}, fe
	}
	rows, err := s.db.ListMailEvents(ctx, p)
	if err != nil {
		return Page[Event]{}, err
	}
	return pageOf(rows, limit, func(r store.ListMailEventsRow) int64 { return r.ID }, func(r store.ListMailEventsRow) Event {
		return Event{ID: r.ID, MessageID: r.MessagePublicID, Subject: r.MessageSubject, Recipient: r.Recipient,
			Type: r.Type, At: r.At.UTC(), Detail: r.Detail}
	}), nil
}

func validEventType(t string) bool {
	for _, x := range EventTypes {
		if x == t {
			return true
		}
	}
	return false
}

// DefaultStatsWindow is the stats' time range when none is given.
const DefaultStatsWindow = 30 * 24 * time.Hour

// Stats counts an app's delivery events per type, in total and per UTC day.
type Stats struct {
	Since  time.Time
	Until  time.Time
	Totals map[string]int64 // every EventTypes entry, zero included
	Days   []DayStats       // days with events, oldest first
}

// DayStats is one UTC day's counts.
type DayStats struct {
	Day    time.Time
	Counts map[string]int64
}

// Stats counts the app's events in [since, until) (defaults: the last 30 days).
func (s *Service) Stats(ctx context.Context, scope accounts.Scope, appID int64, since, until *time.Time) (_ Stats, err error) {
	defer wrap(&err, "mail stats of app %d", appID)
	app, err := s.GetApp(ctx, scope, appID)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{Until: s.clock(), Totals: zeroCounts()}
	if until != nil {
		st.Until = until.UTC()
	}
	st.Since = st.Until.Add(-DefaultStatsWindow)
	if since != nil {
		st.Since = since.UTC()
	}
	if !st.Since.Before(st.Until) {
		return Stats{}, ValidationError{"since": "since must be before until."}
	}
	rows, err := s.db.MailEventStats(ctx, store.MailEventStatsParams{AppID: app.ID, Since: st.Since, Until: st.Until})
	if err != nil {
		return Stats{}, err
	}
	st.Days = []DayStats{}
	for _, r := range rows {
		day := r.Day.Time.UTC()
		if n := len(st.Days); n == 0 || !st.Days[n-1].Day.Equal(day) {
			st.Days = append(st.Days, DayStats{Day: day, Counts: zeroCounts()})
		}
		st.Days[len(st.Days)-1].Counts[r.Type] += r.N
		st.Totals[r.Type] += r.N
	}
	return st, nil
}

func zeroCounts() map[string]int64 {
	m := make(map[string]int64, len(EventTypes))
	for _, t := range EventTypes {
		m[t] = 0
	}
	return m
}

// Suppression is an address the account does not send to.
type Suppression struct {
	ID        int64
	AccountID int64
	Email     string
	Reason    string
	Origin    string
	CreatedAt time.Time
}

// SuppressionReasons are the reasons an address is suppressed for.
var SuppressionReasons = []string{ReasonHardBounce, ReasonComplaint, ReasonManual, ReasonUnsubscribe}

// SuppressionFilter picks an account's suppressions: Search is any part of
// the address (any case), Reason one of SuppressionReasons or "".
type SuppressionFilter struct {
	AccountID int64
	Search    string
	Reason    string
	BeforeID  int64 // 0: from the newest; else the last id of the previous page
	Limit     int   // 1..200, 0 = 50
}

// MaxSuppressionSearch is the longest search (an address's longest form).
const MaxSuppressionSearch = 320

func (f SuppressionFilter) params() (store.ListMailSuppressionsParams, error) {
	p := store.ListMailSuppressionsParams{AccountID: f.AccountID, BeforeID: positive(f.BeforeID), Lim: clampLimit(f.Limit)}
	fe := ValidationError{}
	if q := strings.TrimSpace(f.Search); q != "" {
		if utf8.RuneCountInString(q) > MaxSuppressionSearch || !utf8.ValidString(q) {
			fe["search"] = "Search for at most 320 characters of an address."
		}
		pat := "%" + db.EscapeLike(strings.ToLower(q)) + "%"
		p.Pattern = &pat
	}
	if f.Reason != "" {
		if !slices.Contains(SuppressionReasons, f.Reason) {
			fe["reason"] = "Choose a reason: " + strings.Join(SuppressionReasons, ", ") + "."
		}
		p.Reason = &f.Reason
	}
	if len(fe) > 0 {
		return p, fe
	}
	return p, nil
}

// ListSuppressions is a page of the account's suppressions, newest first.
func (s *Service) ListSuppressions(ctx context.Context, scope accounts.Scope, f SuppressionFilter) (_ []Suppression, err error) {
	defer wrap(&err, "list mail suppressions")
	rows, err := s.listSuppressions(ctx, scope, f, 0)
	if err != nil {
		return nil, err
	}
	out := make([]Suppression, len(rows))
	for i, r := range rows {
		out[i] = suppressionFromRow(r)
	}
	return out, nil
}

// SuppressionPage is ListSuppressions with the cursor of the next page when
// there is one (the API's next_cursor).
func (s *Service) SuppressionPage(ctx context.Context, scope accounts.Scope, f SuppressionFilter) (_ Page[Suppression], err error) {
	defer wrap(&err, "list mail suppressions")
	rows, err := s.listSuppressions(ctx, scope, f, 1)
	if err != nil {
		return Page[Suppression]{}, err
	}
	return pageOf(rows, clampLimit(f.Limit), func(r store.MailSuppression) int64 { return r.ID }, suppressionFromRow), nil
}

// listSuppressions reads f's page and extra rows more.
func (s *Service) listSuppressions(ctx context.Context, scope accounts.Scope, f SuppressionFilter, extra int32) ([]store.MailSuppression, error) {
	if !scope.Allows(f.AccountID) {
		return nil, ErrAccountNotFound
	}
	p, err := f.params()
	if err != nil {
		return nil, err
	}
	p.Lim += extra
	var rows []store.MailSuppression
	err = s.db.Read(ctx, func(q *store.Queries) (err error) {
		rows, err = q.ListMailSuppressions(ctx, p)
		return err
	})
	return rows, err
}

func suppressionFromRow(r store.MailSuppression) Suppression {
	return Suppression{ID: r.ID, AccountID: r.AccountID, Email: r.Email, Reason: r.Reason, Origin: r.Origin, CreatedAt: r.CreatedAt.UTC()}
}

// DeleteSuppression reactivates an address for the account (the API's
// DELETE). Hard bounces are refused here: staff lift them with a reason.
func (s *Service) DeleteSuppression(ctx context.Context, scope accounts.Scope, accountID int64, email string) (err error) {
	defer wrap(&err, "delete mail suppression")
	if !scope.Allows(accountID) {
		return ErrSuppressionNotFound
	}
	return s.db.Tx(ctx, func(q *store.Queries) error {
		row, err := q.DeleteMailSuppression(ctx, store.DeleteMailSuppressionParams{AccountID: accountID, Email: email})
		if db.IsNotFound(err) {
			return ErrSuppressionNotFound
		} else if err != nil {
			return err
		}
		if row.Reason == ReasonHardBounce {
			return ErrHardBounceSuppression // rolls the delete back
		}
		return nil
	})
}

// Suppress adds an address to the account's list (tests, the console's
// manual entry); an address already there keeps its first reason.
func (s *Service) Suppress(ctx context.Context, accountID int64, email, reasonCode, origin string) (err error) {
	defer wrap(&err, "suppress %q", email)
	_, err = s.db.InsertMailSuppression(ctx, store.InsertMailSuppressionParams{AccountID: accountID, Email: email,
		Reason: reasonCode, Origin: origin, Now: s.clock()})
	return err
}
