package mail

import (
	"context"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
)

// Limits on app input.
const (
	MaxAppName    = 100
	MaxSenderName = 100
	MaxEmail      = 254 // RFC 5321 path limit
	MaxListLimit  = 200
	DefaultLimit  = 50
)

// App is an account's sending application: its API keys, webhooks and
// default sender hang off it.
type App struct {
	ID               int64     `json:"id"`
	AccountID        int64     `json:"account_id"`
	Name             string    `json:"name"`
	DefaultFromEmail string    `json:"default_from_email"`
	DefaultFromName  string    `json:"default_from_name"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

func appFromRow(r store.MailApp) App {
	return App{ID: r.ID, AccountID: r.AccountID, Name: r.Name, DefaultFromEmail: r.DefaultFromEmail,
		DefaultFromName: r.DefaultFromName, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// AppInput creates an app.
type AppInput struct {
	AccountID        *int64 // the account (staff); a one-account scope acts on its own
	Name             string
	DefaultFromEmail string // optional; a send without from uses it
	DefaultFromName  string
}

// CreateApp makes an app of the scope's account (staff name the account).
func (s *Service) CreateApp(ctx context.Context, actor audit.Actor, scope accounts.Scope, in AppInput) (_ App, err error) {
	defer wrap(&err, "create mail app")
	target, err := scope.Target(in.AccountID)
	if err != nil {
		return App{}, ErrAccountNotFound
	}
	in.Name = strings.TrimSpace(in.Name)
	in.DefaultFromEmail = strings.TrimSpace(in.DefaultFromEmail)
	in.DefaultFromName = strings.TrimSpace(in.DefaultFromName)
	fe := ValidationError{}
	if target == nil {
		fe["account"] = "Choose the account the app belongs to."
	}
	if msg := checkText(in.Name, MaxAppName, true); msg != "" {
		fe["name"] = msg
	}
	if in.DefaultFromEmail != "" {
		if addr, msg := ParseAddress(in.DefaultFromEmail); msg != "" {
			fe["default_from_email"] = msg
		} else {
			in.DefaultFromEmail = addr
		}
	}
	if msg := checkText(in.DefaultFromName, MaxSenderName, false); msg != "" {
		fe["default_from_name"] = msg
	}
	if len(fe) > 0 {
		return App{}, fe
	}
	var row store.MailApp
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		if _, err := q.GetAccount(ctx, *target); db.IsNotFound(err) {
			return ErrAccountNotFound
		} else if err != nil {
			return err
		}
		row, err = q.InsertMailApp(ctx, store.InsertMailAppParams{AccountID: *target, Name: in.Name,
			DefaultFromEmail: in.DefaultFromEmail, DefaultFromName: in.DefaultFromName, Now: s.clock()})
		if db.IsUniqueViolation(err, "mail_apps_account_name") {
			return ValidationError{"name": "This account already has an app named " + strconv.Quote(in.Name) + "."}
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "mail_app.create", EntityType: audit.EntityMailApp,
			EntityID: strconv.FormatInt(row.ID, 10), After: appFromRow(row)})
	})
	if err != nil {
		return App{}, err
	}
	return appFromRow(row), nil
}

// GetApp is the app, if it is inside the scope.
func (s *Service) GetApp(ctx context.Context, scope accounts.Scope, id int64) (_ App, err error) {
	defer wrap(&err, "get mail app %d", id)
	row, err := s.db.GetMailApp(ctx, id)
	if db.IsNotFound(err) || (err == nil && !scope.Allows(row.AccountID)) {
		return App{}, ErrAppNotFound
	} else if err != nil {
		return App{}, err
	}
	return appFromRow(row), nil
}

// ListApps is the scope's apps, newest first; beforeID (0: from the
// newest) continues after the last id of the previous page.
func (s *Service) ListApps(ctx context.Context, scope accounts.Scope, beforeID int64, limit int) (_ []App, err error) {
	defer wrap(&err, "list mail apps")
	rows, err := s.db.ListMailApps(ctx, store.ListMailAppsParams{Limit: clampLimit(limit), AccountID: scope.Filter(), BeforeID: positive(beforeID)})
	if err != nil {
		return nil, err
	}
	out := make([]App, len(rows))
	for i, r := range rows {
		out[i] = appFromRow(r)
	}
	return out, nil
}

// ParseAddress checks a bare email address (no display name, no angle
// brackets) and returns it with its domain lower-cased; the message says
// what is wrong for the person who typed it ("" when it is fine).
func ParseAddress(s string) (string, string) {
	if s == "" {
		return "", "Enter an email address."
	}
	if len(s) > MaxEmail {
		return "", "The email address is longer than 254 characters."
	}
	if strings.ContainsFunc(s, unicode.IsControl) || !utf8.ValidString(s) {
		return "", "The email address contains control characters."
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", "Enter a plain email address such as hello@example.com."
	}
	at := strings.LastIndexByte(s, '@')
	return s[:at] + "@" + strings.ToLower(s[at+1:]), ""
}

// checkText validates a one-line name: no control characters (a CR or LF
// would end a mail header), at most max characters.
func checkText(s string, max int, required bool) string {
	switch {
	case s == "" && required:
		return "Enter a name."
	case !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl):
		return "Use one line of text without control characters."
	case utf8.RuneCountInString(s) > max:
		return "Use at most " + strconv.Itoa(max) + " characters."
	}
	return ""
}

func clampLimit(n int) int32 {
	if n <= 0 {
		return DefaultLimit
	}
	return int32(min(n, MaxListLimit))
}

// Page is one page of a keyset list, newest first. Next is the cursor of
// the page after it (the last item's id), 0 when this page is the last.
type Page[T any] struct {
	Items []T
	Next  int64
}

// pageOf makes the page of at most limit items from rows fetched with
// limit+1: the extra row only tells that another page follows,
// so a last page that is exactly full offers no cursor to an empty one.
func pageOf[R, T any](rows []R, limit int32, id func(R) int64, item func(R) T) Page[T] {
	p := Page[T]{Items: make([]T, 0, min(len(rows), int(limit)))}
	if len(rows) > int(limit) {
		rows = rows[:limit]
		p.Next = id(rows[limit-1])
	}
	for _, r := range rows {
		p.Items = append(p.Items, item(r))
	}
	return p
}

func positive(id int64) *int64 {
	if id <= 0 {
		return nil
	}
	return &id
}
