// Package apikeys issues, verifies and rate-limits the API keys of every
// product. A secret is shown once at creation; only its SHA-256 and a short
// display prefix are stored. Signing secrets (Lumi money requests) are sealed
// with the master key because the server must read them back.
package apikeys

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/platform/secretbox"
)

// Errors returned to the HTTP layer and the CLI.
var (
	// ErrInvalidKey: unknown, revoked or expired secret, a secret of another
	// product, or a key whose account is suspended. Callers answer 401 and
	// never say which.
	ErrInvalidKey      = errors.New("API key is invalid, revoked or expired")
	ErrNotFound        = apperr.NotFound("API key not found")
	ErrAccountNotFound = apperr.NotFound("account not found")
	ErrAlreadyRevoked  = errors.New("this API key is already revoked")
	ErrExpired         = errors.New("this API key has expired; create a new one instead")
	ErrNoSigningSecret = errors.New("this API key has no signing secret")
)

// ValidationError maps input field names to messages.
type ValidationError = apperr.FieldErrors

// Limits of the inputs.
const (
	DefaultRateLimit = 60
	MaxRateLimit     = 10000
	MaxNameLen       = 100
	MaxReasonLen     = 500
	// touchEvery: last_used_at is written at most this often per key.
	touchEvery = time.Minute
)

// Statuses of a key.
const (
	StatusActive  = "active"
	StatusRevoked = "revoked"
	StatusExpired = "expired"
)

// Service is the API keys domain service.
type Service struct {
	db  *db.DB
	box *secretbox.Box
	now func() time.Time
	// defaultCap is the daily spend cap of keys issued without one (0: none).
	defaultCap money.Cents

	claimOnce sync.Once
	claimSem  chan struct{} // see claimSlots
}

// NewService makes the service.
func NewService(d *db.DB, box *secretbox.Box) *Service {
	return &Service{db: d, box: box, now: time.Now}
}

// WithDefaultDailyCap sets the daily spend cap of non-operator keys issued
// without their own (API_DAILY_CAP_DEFAULT; 0: none).
func (s *Service) WithDefaultDailyCap(c money.Cents) *Service {
	s.defaultCap = c
	return s
}

// Key is an API key as the rest of the program sees it (never the secret).
type Key struct {
	ID                 int64
	Product            string
	AccountID          *int64
	AccountName        string
	AccountEmail       string
	AccountSuspended   bool
	Operator           bool
	Name               string
	Prefix             string
	Scopes             []string
	RateLimitPerMinute int
	DailySpendCapCents *int64
	HasSigningSecret   bool
	ExpiresAt          *time.Time
	RevokedAt          *time.Time
	RevokedReason      string
	RotatedFromID      *int64
	MailAppID          *int64 // Lumora keys: the app they send for (its account is the key's)
	// AllowedIPs are the client addresses and networks the key accepts
	// requests from, normalised ("203.0.113.7", "10.0.0.0/8"); empty: any.
	AllowedIPs []string
	LastUsedAt *time.Time
	LastUsedIP string
	CreatedAt  time.Time

	// ReplacedByID is the key that replaced this one by rotation; only Get fills it.
	ReplacedByID *int64

	signingSealed []byte
	allowedNets   []netip.Prefix
}

func fromRow(r store.ApiKey) Key {
	return Key{
		ID: r.ID, Product: r.Product, AccountID: r.AccountID, Operator: r.Operator, Name: r.Name,
		Prefix: r.Prefix, Scopes: r.Scopes, RateLimitPerMinute: int(r.RateLimitPerMinute),
		DailySpendCapCents: r.DailySpendCapCents, HasSigningSecret: len(r.SigningSecretSealed) > 0,
		ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt, RevokedReason: r.RevokedReason,
		RotatedFromID: r.RotatedFromID, MailAppID: r.MailAppID, LastUsedAt: r.LastUsedAt, LastUsedIP: r.LastUsedIp,
		CreatedAt: r.CreatedAt, signingSealed: r.SigningSecretSealed,
		AllowedIPs: prefixStrings(r.AllowedIps), allowedNets: r.AllowedIps,
	}
}

func withAccount(r store.ApiKey, name, email, status string) Key {
	k := fromRow(r)
	k.AccountName, k.AccountEmail, k.AccountSuspended = name, email, status == "suspended"
	return k
}

// StatusAt is active, revoked or expired at time t.
func (k Key) StatusAt(t time.Time) string {
	switch {
	case k.RevokedAt != nil:
		return StatusRevoked
	case k.ExpiresAt != nil && !k.ExpiresAt.After(t):
		return StatusExpired
	default:
		return StatusActive
	}
}

// Status is the key's status now.
func (k Key) Status() string { return k.StatusAt(time.Now()) }

// Scope is whose objects the key may touch: every account for operator
// keys, else its own account (a key without one reaches nothing).
func (k Key) Scope() accounts.Scope {
	switch {
	case k.Operator:
		return accounts.AllAccounts
	case k.AccountID == nil:
		return accounts.Only(0)
	}
	return accounts.Only(*k.AccountID)
}

// HasScope reports whether the key may do s. Operator keys hold every scope;
// a held scope "x:*" covers every "x:..." scope.
func (k Key) HasScope(s string) bool {
	if k.Operator {
		return true
	}
	for _, held := range k.Scopes {
		if held == s {
			return true
		}
		if base, ok := strings.CutSuffix(held, "*"); ok && strings.HasSuffix(base, ":") && strings.HasPrefix(s, base) {
			return true
		}
	}
	return false
}

// ProductLabel is the display name of the key's product.
func (k Key) ProductLabel() string { return ProductLabel(k.Product) }

// auditView is what audit rows show of a key: settings, never a secret or hash.
func auditView(r store.ApiKey) map[string]any {
	v := map[string]any{
		"product": r.Product, "operator": r.Operator, "name": r.Name, "prefix": r.Prefix,
		"scopes": r.Scopes, "rate_limit_per_minute": r.RateLimitPerMinute,
		"signing_secret": len(r.SigningSecretSealed) > 0, "revoked": r.RevokedAt != nil,
	}
	if r.AccountID != nil {
		v["account_id"] = *r.AccountID
	}
	if r.DailySpendCapCents != nil {
		v["daily_spend_cap"] = money.Cents(*r.DailySpendCapCents).String()
	}
	if r.ExpiresAt != nil {
		v["expires_at"] = r.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if r.RevokedReason != "" {
		v["revoked_reason"] = r.RevokedReason
	}
	if r.RotatedFromID != nil {
		v["rotated_from_id"] = *r.RotatedFromID
	}
	if r.MailAppID != nil {
		v["mail_app_id"] = *r.MailAppID
	}
	if len(r.AllowedIps) > 0 {
		v["allowed_ips"] = prefixStrings(r.AllowedIps)
	}
	return v
}

// CreateInput is a new key.
type CreateInput struct {
	Product            string
	AccountID          *int64
	Operator           bool
	Name               string
	Scopes             []string
	RateLimitPerMinute int // 0 = DefaultRateLimit
	DailySpendCapCents *int64
	WithSigningSecret  bool
	ExpiresAt          *time.Time
	// MailAppID binds a Lumora key to one of its account's apps; with no
	// account given, the app's account is taken.
	MailAppID *int64

	// allowedIPs carries a rotated key's allow list to its replacement.
	allowedIPs []netip.Prefix
}

// Created is a new key with its secrets, returned once and never stored in clear.
type Created struct {
	Key           Key
	Secret        string
	SigningSecret string // "" unless requested
}

// signingContext binds a sealed signing secret to its key row.
func signingContext(id int64) string { return "apikey-signing:" + strconv.FormatInt(id, 10) }

func newSigningSecret() string { return "sig_" + ids.Token(48) }

// validate checks the input and returns it normalised.
func (s *Service) validate(in CreateInput) (CreateInput, Product, ValidationError) {
	verr := ValidationError{}
	p, ok := LookupProduct(in.Product)
	if !ok {
		verr["product"] = "choose one of " + strings.Join(ProductIDs(), ", ")
	}
	switch {
	case in.Operator && in.AccountID != nil:
		verr["account"] = "operator keys are not bound to an account; leave the account empty"
	case !in.Operator && in.AccountID == nil:
		verr["account"] = "choose the account the key belongs to (or make an operator key)"
	case in.AccountID != nil && *in.AccountID <= 0:
		verr["account"] = "account id must be a positive number"
	}
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case utf8.RuneCountInString(in.Name) > MaxNameLen:
		verr["name"] = fmt.Sprintf("name must be at most %d characters", MaxNameLen)
	case !utf8.ValidString(in.Name) || strings.ContainsFunc(in.Name, unicode.IsControl):
		verr["name"] = "name must be plain text on one line"
	}
	if ok {
		var scopes []string
		for _, sc := range in.Scopes {
			sc = strings.TrimSpace(sc)
			switch {
			case sc == "" || slices.Contains(scopes, sc):
				continue
			case !p.HasScope(sc):
				verr["scopes"] = fmt.Sprintf("%s keys have no scope %q", p.Label, truncate(sc, 40))
			case !in.Operator && slices.ContainsFunc(p.Scopes, func(s Scope) bool { return s.Name == sc && s.OperatorOnly }):
				verr["scopes"] = sc + " is for operator keys only"
			}
			scopes = append(scopes, sc)
		}
		// Operator keys hold every scope implicitly; store none. Otherwise
		// keep the product table's order so keys compare and display alike.
		if in.Operator {
			scopes = nil
		}
		slices.SortFunc(scopes, func(a, b string) int {
			return slices.IndexFunc(p.Scopes, func(s Scope) bool { return s.Name == a }) -
				slices.IndexFunc(p.Scopes, func(s Scope) bool { return s.Name == b })
		})
		// A key created without scopes gets the product's standard ones.
		if _, bad := verr["scopes"]; !bad && !in.Operator && len(scopes) == 0 {
			scopes = p.StandardScopes()
		}
		if scopes == nil {
			scopes = []string{}
		}
		in.Scopes = scopes
		if !p.Money && in.DailySpendCapCents != nil {
			verr["daily_spend_cap"] = "only Lumi keys move money; leave the cap empty"
		}
		if in.MailAppID != nil && p.ID != Lumora {
			verr["app"] = "only Lumora keys belong to an app"
		}
		if !p.Money && in.WithSigningSecret {
			verr["signing_secret"] = "request signing is used by the Lumi APIs only"
		}
	}
	if in.RateLimitPerMinute == 0 {
		in.RateLimitPerMinute = DefaultRateLimit
	}
	if in.RateLimitPerMinute < 1 || in.RateLimitPerMinute > MaxRateLimit {
		verr["rate_limit"] = fmt.Sprintf("rate limit must be between 1 and %d requests per minute", MaxRateLimit)
	}
	if in.DailySpendCapCents != nil && *in.DailySpendCapCents < 0 {
		verr["daily_spend_cap"] = "daily spend cap cannot be negative"
	}
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC()
		if !t.After(s.now()) {
			verr["expires_at"] = "expiry must be in the future"
		} else if t.After(s.now().AddDate(10, 0, 0)) {
			verr["expires_at"] = "expiry must be within 10 years"
		}
		in.ExpiresAt = &t
	}
	return in, p, verr
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// Check validates input without touching the database (the account is
// checked by Create), so a form can show every problem at once.
func (s *Service) Check(in CreateInput) ValidationError {
	_, _, verr := s.validate(in)
	return verr
}

// Create issues a key. The secret (and signing secret) are in the result only.
func (s *Service) Create(ctx context.Context, actor audit.Actor, in CreateInput) (Created, error) {
	if in.MailAppID != nil && in.AccountID == nil && !in.Operator {
		// The account is the app's (the CLI names only the app).
		if app, err := s.db.APIKeyMailApp(ctx, *in.MailAppID); err == nil {
			in.AccountID = &app.AccountID
		}
	}
	in, p, verr := s.validate(in)
	if in.MailAppID != nil && verr["app"] == "" {
		app, err := s.db.APIKeyMailApp(ctx, *in.MailAppID)
		switch {
		case db.IsNotFound(err):
			verr["app"] = fmt.Sprintf("there is no Lumora app %d", *in.MailAppID)
		case err != nil:
			return Created{}, fmt.Errorf("create api key: load mail app: %w", err)
		case in.Operator:
			verr["app"] = "operator keys belong to no app; leave the app empty"
		case in.AccountID == nil || *in.AccountID != app.AccountID:
			verr["app"] = "the app belongs to another account"
		}
	}
	if in.AccountID != nil && verr["account"] == "" {
		acc, err := s.db.APIKeyAccountByID(ctx, *in.AccountID)
		switch {
		case db.IsNotFound(err):
			verr["account"] = fmt.Sprintf("there is no account %d", *in.AccountID)
		case err != nil:
			return Created{}, fmt.Errorf("create api key: load account: %w", err)
		case acc.Status == "suspended":
			verr["account"] = "the account is suspended; lift the suspension first"
		}
	}
	if len(verr) > 0 {
		return Created{}, verr
	}
	var out Created
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		var err error
		out, err = s.insert(ctx, q, actor, p, in, nil)
		return err
	})
	if err != nil {
		return Created{}, err
	}
	return out, nil
}

// insert writes the key row (and its sealed signing secret) and audits it.
func (s *Service) insert(ctx context.Context, q *store.Queries, actor audit.Actor, p Product, in CreateInput, rotatedFrom *int64) (Created, error) {
	secret := p.newSecret()
	row, err := q.InsertAPIKey(ctx, store.InsertAPIKeyParams{
		Product: p.ID, AccountID: in.AccountID, Operator: in.Operator, Name: in.Name,
		Prefix: p.displayPrefix(secret), SecretHash: ids.Hash(secret), Scopes: in.Scopes,
		RateLimitPerMinute: int32(in.RateLimitPerMinute), DailySpendCapCents: in.DailySpendCapCents,
		ExpiresAt: in.ExpiresAt, RotatedFromID: rotatedFrom, MailAppID: in.MailAppID, AllowedIps: in.allowedIPs,
	})
	if err != nil {
		return Created{}, fmt.Errorf("insert api key: %w", err)
	}
	out := Created{Secret: secret}
	if in.WithSigningSecret {
		out.SigningSecret = newSigningSecret()
		row.SigningSecretSealed = s.box.Seal([]byte(out.SigningSecret), signingContext(row.ID))
		if err := q.SetAPIKeySigningSecret(ctx, store.SetAPIKeySigningSecretParams{ID: row.ID, SigningSecretSealed: row.SigningSecretSealed}); err != nil {
			return Created{}, fmt.Errorf("store signing secret of api key %d: %w", row.ID, err)
		}
	}
	if err := audit.Record(ctx, q, actor, audit.Event{Action: "api_key.create", EntityType: "api_key",
		EntityID: strconv.FormatInt(row.ID, 10), After: auditView(row)}); err != nil {
		return Created{}, err
	}
	out.Key = fromRow(row)
	if in.AccountID != nil {
		acc, err := q.APIKeyAccountByID(ctx, *in.AccountID)
		if err != nil {
			return Created{}, fmt.Errorf("load account %d: %w", *in.AccountID, err)
		}
		out.Key.AccountName, out.Key.AccountEmail = acc.Name, acc.Email
	}
	return out, nil
}

func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", ValidationError{"reason": "give a reason; it is recorded in the audit log"}
	case utf8.RuneCountInString(reason) > MaxReasonLen:
		return "", ValidationError{"reason": fmt.Sprintf("reason must be at most %d characters", MaxReasonLen)}
	case !utf8.ValidString(reason):
		return "", ValidationError{"reason": "reason must be text"}
	}
	return reason, nil
}

// Revoke stops a key from working, at once and for good.
func (s *Service) Revoke(ctx context.Context, actor audit.Actor, id int64, reason string) (Key, error) {
	return s.RevokeIn(ctx, actor, accounts.AllAccounts, id, reason)
}

// RevokeIn is Revoke within scope: a key of another account (or an
// operator key, for an account's scope) is ErrNotFound.
func (s *Service) RevokeIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, reason string) (Key, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Key{}, err
	}
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		old, err := q.LockAPIKey(ctx, id)
		if db.IsNotFound(err) || (err == nil && !inScope(scope, old.AccountID)) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("revoke api key %d: %w", id, err)
		}
		if old.RevokedAt != nil {
			return ErrAlreadyRevoked
		}
		row, err := q.RevokeAPIKey(ctx, store.RevokeAPIKeyParams{ID: id, Reason: reason})
		if err != nil {
			return fmt.Errorf("revoke api key %d: %w", id, err)
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "api_key.revoke", EntityType: "api_key",
			EntityID: strconv.FormatInt(id, 10), Reason: reason, Before: auditView(old), After: auditView(row)})
	})
	if err != nil {
		return Key{}, err
	}
	return s.GetIn(ctx, scope, id)
}

// Rotate issues a new key with the same settings (and a new signing secret
// if the old one had one) and revokes the old key, in one transaction.
func (s *Service) Rotate(ctx context.Context, actor audit.Actor, id int64, reason string) (Created, error) {
	return s.RotateIn(ctx, actor, accounts.AllAccounts, id, reason)
}

// RotateIn is Rotate within scope: a key of another account (or an
// operator key, for an account's scope) is ErrNotFound.
func (s *Service) RotateIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, reason string) (Created, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Created{}, err
	}
	var out Created
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		old, err := q.LockAPIKey(ctx, id)
		if db.IsNotFound(err) || (err == nil && !inScope(scope, old.AccountID)) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("rotate api key %d: %w", id, err)
		}
		switch fromRow(old).StatusAt(s.now()) {
		case StatusRevoked:
			return ErrAlreadyRevoked
		case StatusExpired:
			return ErrExpired
		}
		p, ok := LookupProduct(old.Product)
		if !ok {
			return fmt.Errorf("rotate api key %d: unknown product %q", id, old.Product)
		}
		out, err = s.insert(ctx, q, actor, p, CreateInput{
			Product: old.Product, AccountID: old.AccountID, Operator: old.Operator, Name: old.Name,
			Scopes: old.Scopes, RateLimitPerMinute: int(old.RateLimitPerMinute),
			DailySpendCapCents: old.DailySpendCapCents, WithSigningSecret: len(old.SigningSecretSealed) > 0,
			ExpiresAt: old.ExpiresAt, MailAppID: old.MailAppID, allowedIPs: old.AllowedIps,
		}, &old.ID)
		if err != nil {
			return err
		}
		revoked, err := q.RevokeAPIKey(ctx, store.RevokeAPIKeyParams{ID: id, Reason: "rotated: " + reason})
		if err != nil {
			return fmt.Errorf("rotate api key %d: revoke: %w", id, err)
		}
		after := auditView(revoked)
		after["replaced_by_id"] = out.Key.ID
		return audit.Record(ctx, q, actor, audit.Event{Action: "api_key.rotate", EntityType: "api_key",
			EntityID: strconv.FormatInt(id, 10), Reason: reason, Before: auditView(old), After: after})
	})
	if err != nil {
		return Created{}, err
	}
	return out, nil
}

// Get loads a key with its account's name and email.
func (s *Service) Get(ctx context.Context, id int64) (Key, error) {
	return s.GetIn(ctx, accounts.AllAccounts, id)
}

// GetIn is Get within scope: a key of another account (or an operator
// key, for an account's scope) is ErrNotFound.
func (s *Service) GetIn(ctx context.Context, scope accounts.Scope, id int64) (Key, error) {
	r, err := s.db.GetAPIKeyWithAccount(ctx, id)
	if db.IsNotFound(err) || (err == nil && !inScope(scope, r.ApiKey.AccountID)) {
		return Key{}, ErrNotFound
	}
	if err != nil {
		return Key{}, fmt.Errorf("get api key %d: %w", id, err)
	}
	k := withAccount(r.ApiKey, r.AccountName, r.AccountEmail, r.AccountStatus)
	if r.ReplacedByID != 0 {
		k.ReplacedByID = &r.ReplacedByID
	}
	return k, nil
}

// SigningSecret opens the key's sealed signing secret (for checking X-Signature).
func (s *Service) SigningSecret(k Key) (string, error) {
	if len(k.signingSealed) == 0 {
		return "", ErrNoSigningSecret
	}
	b, err := s.box.Open(k.signingSealed, signingContext(k.ID))
	if err != nil {
		return "", fmt.Errorf("open signing secret of api key %d: %w", k.ID, err)
	}
	return string(b), nil
}

// ProductCount is the number of active keys of one product.
type ProductCount struct {
	Product string
	Label   string
	Active  int64
}

// Stats counts active keys per product (every product, zeros included).
func (s *Service) Stats(ctx context.Context) ([]ProductCount, error) {
	rows, err := s.db.CountActiveAPIKeysByProduct(ctx)
	if err != nil {
		return nil, fmt.Errorf("api key stats: %w", err)
	}
	out := make([]ProductCount, len(Products))
	for i, p := range Products {
		out[i] = ProductCount{Product: p.ID, Label: p.Label}
		for _, r := range rows {
			if r.Product == p.ID {
				out[i].Active = r.N
			}
		}
	}
	return out, nil
}

// Account is the little of an account this area shows.
type Account struct {
	ID     int64
	Name   string
	Email  string
	Status string
}

// ResolveAccount finds an account by id ("42") or email.
func (s *Service) ResolveAccount(ctx context.Context, ref string) (Account, error) {
	ref = strings.TrimSpace(ref)
	var (
		acc Account
		err error
	)
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil && id > 0 {
		var r store.APIKeyAccountByIDRow
		r, err = s.db.APIKeyAccountByID(ctx, id)
		acc = Account(r)
	} else if strings.Contains(ref, "@") && len(ref) <= 254 {
		var r store.APIKeyAccountByEmailRow
		r, err = s.db.APIKeyAccountByEmail(ctx, ref)
		acc = Account(r)
	} else {
		return Account{}, ErrAccountNotFound
	}
	if db.IsNotFound(err) {
		return Account{}, ErrAccountNotFound
	}
	if err != nil {
		return Account{}, fmt.Errorf("resolve account %q: %w", ref, err)
	}
	return acc, nil
}

// ActiveAccounts lists up to n active accounts, oldest first.
func (s *Service) ActiveAccounts(ctx context.Context, n int) ([]Account, error) {
	rows, err := s.db.ListAPIKeyAccountChoices(ctx, int32(n))
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	out := make([]Account, len(rows))
	for i, r := range rows {
		out[i] = Account(r)
	}
	return out, nil
}

// AnyNamed reports whether a key with one of the names exists (demo seeding).
func (s *Service) AnyNamed(ctx context.Context, names []string) (bool, error) {
	return s.db.AnyAPIKeyNamed(ctx, names)
}
