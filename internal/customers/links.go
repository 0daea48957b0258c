package customers

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/platform/signin"
)

// Link paths, under PUBLIC_URL. The token is the last segment.
const (
	InvitePath = "/portal/invite/"
	ResetPath  = "/portal/reset/"
)

// Invitation is an open invitation, or one just made (URL set only then:
// the token is kept as a hash and cannot be shown again).
type Invitation struct {
	ID        int64
	AccountID int64
	Email     string
	Role      Role
	CreatedBy string
	ExpiresAt time.Time
	CreatedAt time.Time
	URL       string
}

func invitationFrom(r store.CustomerToken) Invitation {
	return Invitation{ID: r.ID, AccountID: r.AccountID, Email: r.Email, Role: Role(r.Role), CreatedBy: r.CreatedBy,
		ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt}
}

// mailsPerHour bounds the links mailed to one address (invitations and
// resets each), so the forms cannot be used to flood someone's inbox.
const mailsPerHour = 5

// Invite invites email to accountID with role: a link valid for 7 days,
// mailed as platform mail. A newer invitation replaces an open one for the
// same address. Staff invite an account's first owner; owners invite the
// rest (the portal route checks PermUsers).
func (s *Service) Invite(ctx context.Context, actor audit.Actor, accountID int64, email string, role Role) (Invitation, error) {
	norm, err := normalizeEmail(email)
	if err != nil {
		return Invitation{}, err
	}
	if _, ok := ParseRole(string(role)); !ok {
		return Invitation{}, apperr.FieldErrors{"role": "Choose a role."}
	}
	token := ids.Token(40)
	var inv Invitation
	var accountName string
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		acc, err := q.GetAccount(ctx, accountID)
		if db.IsNotFound(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if acc.Status != "active" {
			return ErrSuspended
		}
		accountName = acc.Name
		if _, err := q.GetCustomerUserByEmail(ctx, norm); err == nil {
			return apperr.FieldErrors{"email": "Someone with that email already has a portal sign-in."}
		} else if !db.IsNotFound(err) {
			return err
		}
		if n, err := q.CountRecentCustomerTokens(ctx, store.CountRecentCustomerTokensParams{Email: norm, Purpose: "invite", Since: s.clock().Add(-time.Hour)}); err != nil {
			return err
		} else if n >= mailsPerHour {
			return apperr.FieldErrors{"email": "Too many invitations to this address in the last hour; wait a while."}
		}
		now := s.clock()
		if err := q.RevokeCustomerTokens(ctx, store.RevokeCustomerTokensParams{AccountID: accountID, Purpose: "invite", Email: norm, Now: now}); err != nil {
			return err
		}
		row, err := q.CreateCustomerToken(ctx, store.CreateCustomerTokenParams{Purpose: "invite", TokenHash: ids.Hash(token), AccountID: accountID,
			Email: norm, Role: string(role), CreatedBy: actor.Label, ExpiresAt: now.Add(InviteTTL), Now: now})
		if err != nil {
			return err
		}
		inv = invitationFrom(row)
		return audit.Record(ctx, q, actor, audit.Event{Action: "account.invite", EntityType: audit.EntityAccount, EntityID: idString(accountID),
			After: map[string]any{"email": norm, "role": string(role)}})
	})
	if err != nil {
		return Invitation{}, fmt.Errorf("invite: %w", err)
	}
	inv.URL = s.baseURL + InvitePath + token
	subject := "You are invited to " + accountName + " on lumdesk"
	text := fmt.Sprintf("%s invited you to the lumdesk portal of %s as %s.\n\nSet your password and sign in:\n%s\n\nThe link works once and expires in 7 days. If you did not expect it, ignore this email.\n",
		inviterName(actor), accountName, role.Label(), inv.URL)
	body := fmt.Sprintf(`<p>%s invited you to the lumdesk portal of <strong>%s</strong> as %s.</p><p><a href="%s">Set your password and sign in</a></p><p>The link works once and expires in 7 days. If you did not expect it, ignore this email.</p>`,
		html.EscapeString(inviterName(actor)), html.EscapeString(accountName), html.EscapeString(role.Label()), html.EscapeString(inv.URL))
	if err := s.mail(ctx, norm, subject, text, body); err != nil {
		return inv, fmt.Errorf("mail the invitation: %w", err)
	}
	return inv, nil
}

func inviterName(a audit.Actor) string {
	switch {
	case a.Kind == audit.KindStaff:
		return "The lumdesk team"
	case a.Label != "":
		return a.Label
	}
	return "Someone"
}

// tokenFrom takes a token from a link path segment: bounded, alphanumeric.
func tokenFrom(raw string) (string, bool) {
	raw, _ = url.PathUnescape(raw)
	if len(raw) != 40 || strings.Trim(raw, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
		return "", false
	}
	return raw, true
}

// openToken loads a usable token of purpose (locked when q is a transaction).
func (s *Service) openToken(ctx context.Context, q *store.Queries, raw, purpose string, lock bool) (store.CustomerToken, error) {
	token, ok := tokenFrom(raw)
	if !ok {
		return store.CustomerToken{}, ErrLinkInvalid
	}
	var row store.CustomerToken
	var err error
	if lock {
		row, err = q.GetCustomerTokenForUpdate(ctx, store.GetCustomerTokenForUpdateParams{TokenHash: ids.Hash(token), Purpose: purpose})
	} else {
		row, err = q.GetCustomerToken(ctx, store.GetCustomerTokenParams{TokenHash: ids.Hash(token), Purpose: purpose})
	}
	if db.IsNotFound(err) {
		return row, ErrLinkInvalid
	}
	if err != nil {
		return row, err
	}
	if row.UsedAt != nil || row.RevokedAt != nil || !s.clock().Before(row.ExpiresAt) {
		return row, ErrLinkInvalid
	}
	return row, nil
}

// InvitationFor shows an invitation link's page: who is invited where.
func (s *Service) InvitationFor(ctx context.Context, token string) (Invitation, string, error) {
	row, err := s.openToken(ctx, s.db.Queries, token, "invite", false)
	if err != nil {
		return Invitation{}, "", err
	}
	acc, err := s.db.GetAccount(ctx, row.AccountID)
	if err != nil {
		return Invitation{}, "", err
	}
	return invitationFrom(row), acc.Name, nil
}

// AcceptInvite makes the invited user with their name and password. The
// link works once; the address is verified by it.
func (s *Service) AcceptInvite(ctx context.Context, actor audit.Actor, token, name, password string) (User, error) {
	name = strings.TrimSpace(name)
	if len(name) > 100 {
		return User{}, apperr.FieldErrors{"name": "Name: at most 100 characters."}
	}
	if err := checkPassword(password); err != nil {
		return User{}, err
	}
	hash, err := signin.HashPassword(password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		row, err := s.openToken(ctx, q, token, "invite", true)
		if err != nil {
			return err
		}
		if err := s.accountActive(ctx, q, row.AccountID); err != nil {
			return err
		}
		if _, err := q.GetCustomerUserByEmail(ctx, row.Email); err == nil {
			return ErrEmailTaken
		} else if !db.IsNotFound(err) {
			return err
		}
		now := s.clock()
		created, err := q.CreateCustomerUser(ctx, store.CreateCustomerUserParams{AccountID: row.AccountID, Email: row.Email, Name: name,
			Role: row.Role, PasswordHash: hash, EmailVerifiedAt: &now})
		if err != nil {
			return err
		}
		if err := q.UseCustomerToken(ctx, store.UseCustomerTokenParams{ID: row.ID, Now: now}); err != nil {
			return err
		}
		u = fromRow(created)
		a := Actor(u)
		a.IP, a.UserAgent, a.RequestID = actor.IP, actor.UserAgent, actor.RequestID
		return audit.Record(ctx, q, a, audit.Event{Action: "customer.create", EntityType: audit.EntityCustomerUser, EntityID: idString(u.ID),
			Reason: "accepted an invitation from " + row.CreatedBy, After: auditView(created)})
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// RequestReset mails a password reset link (30 minutes) to email if it is
// an active user's. It answers the same whether or not the address is
// known, so the form reveals nobody.
func (s *Service) RequestReset(ctx context.Context, actor audit.Actor, email string) error {
	norm, err := normalizeEmail(email)
	if err != nil {
		return err
	}
	row, err := s.db.GetCustomerUserByEmail(ctx, norm)
	if db.IsNotFound(err) || (err == nil && row.DisabledAt != nil) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if s.accountActive(ctx, s.db.Queries, row.AccountID) != nil {
		return nil
	}
	token := ids.Token(40)
	sent := true
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		n, err := q.CountRecentCustomerTokens(ctx, store.CountRecentCustomerTokensParams{Email: norm, Purpose: "reset", Since: s.clock().Add(-time.Hour)})
		if err != nil {
			return err
		}
		if n >= mailsPerHour {
			sent = false // silently: the answer must not differ
			return nil
		}
		now := s.clock()
		if err := q.RevokeCustomerTokens(ctx, store.RevokeCustomerTokensParams{AccountID: row.AccountID, Purpose: "reset", Email: norm, Now: now}); err != nil {
			return err
		}
		id := row.ID
		if _, err := q.CreateCustomerToken(ctx, store.CreateCustomerTokenParams{Purpose: "reset", TokenHash: ids.Hash(token), AccountID: row.AccountID,
			CustomerID: &id, Email: norm, CreatedBy: "password reset", ExpiresAt: now.Add(ResetTTL), Now: now}); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "customer.reset_request", EntityType: audit.EntityCustomerUser, EntityID: idString(row.ID)})
	})
	if err != nil || !sent {
		return err
	}
	link := s.baseURL + ResetPath + token
	text := "Someone asked to reset the password of your lumdesk portal sign-in.\n\nChoose a new password:\n" + link +
		"\n\nThe link works once and expires in 30 minutes. If it was not you, ignore this email: your password stays as it is.\n"
	body := `<p>Someone asked to reset the password of your lumdesk portal sign-in.</p><p><a href="` + html.EscapeString(link) +
		`">Choose a new password</a></p><p>The link works once and expires in 30 minutes. If it was not you, ignore this email: your password stays as it is.</p>`
	if err := s.mail(ctx, norm, "Reset your lumdesk password", text, body); err != nil {
		return fmt.Errorf("mail the reset link: %w", err)
	}
	return nil
}

// CheckReset reports whether a reset link is still usable (its page).
func (s *Service) CheckReset(ctx context.Context, token string) error {
	_, err := s.openToken(ctx, s.db.Queries, token, "reset", false)
	return err
}

// ResetPassword sets a new password through a reset link (once) and ends
// every session of the user.
func (s *Service) ResetPassword(ctx context.Context, actor audit.Actor, token, password string) (User, error) {
	if err := checkPassword(password); err != nil {
		return User{}, err
	}
	hash, err := signin.HashPassword(password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		row, err := s.openToken(ctx, q, token, "reset", true)
		if err != nil {
			return err
		}
		if row.CustomerID == nil {
			return ErrLinkInvalid
		}
		user, err := q.GetCustomerUser(ctx, *row.CustomerID)
		if err != nil {
			return err
		}
		if user.DisabledAt != nil {
			return ErrLinkInvalid
		}
		if err := q.SetCustomerPassword(ctx, store.SetCustomerPasswordParams{ID: user.ID, PasswordHash: hash}); err != nil {
			return err
		}
		if err := q.UseCustomerToken(ctx, store.UseCustomerTokenParams{ID: row.ID, Now: s.clock()}); err != nil {
			return err
		}
		if _, err := q.DeleteCustomerSessionsOf(ctx, &user.ID); err != nil {
			return err
		}
		// The link proved the address.
		if err := q.SetCustomerEmailVerified(ctx, store.SetCustomerEmailVerifiedParams{ID: user.ID, Now: s.clock()}); err != nil {
			return err
		}
		if err := q.ClearLoginThrottle(ctx, "portal:acct:"+strings.ToLower(user.Email)); err != nil {
			return err
		}
		u = fromRow(user)
		return audit.Record(ctx, q, actor, audit.Event{Action: "customer.password_reset", EntityType: audit.EntityCustomerUser, EntityID: idString(user.ID)})
	})
	return u, err
}

// auditView is what the audit history keeps of a customer user.
func auditView(r store.CustomerUser) map[string]any {
	return map[string]any{"email": r.Email, "name": r.Name, "role": r.Role, "disabled": r.DisabledAt != nil, "totp_enabled": r.TotpEnabled}
}

// IsLinkError reports whether err is about an unusable link (the page says so).
func IsLinkError(err error) bool { return errors.Is(err, ErrLinkInvalid) }
