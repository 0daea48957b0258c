package customers

import (
	"context"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/signin"
)

// Session value keys of the portal.
const (
	KeyCustomerID = "customer_id"
	KeyPendingID  = "pending_customer_id" // password ok, waiting for the TOTP code
	KeyPendingAt  = "pending_at"
	// A staff member viewing the portal as the customer: the account and
	// the staff id (the session has no customer user).
	KeyViewAccount = "view_account_id"
	KeyViewStaff   = "view_staff_id"
)

// NewSessionStore is the portal's store over customer_sessions; its cookie
// is "lumdesk-portal" ("__Host-lumdesk-portal" when secure), apart from the
// console's, so neither face's session opens the other's pages.
func NewSessionStore(d *db.DB, secure bool, idle, absolute time.Duration) *signin.SessionStore {
	return signin.NewSessionStore(sessionTable{d}, "lumdesk-portal", KeyCustomerID, secure, idle, absolute)
}

type sessionTable struct{ db *db.DB }

func (t sessionTable) GetSession(ctx context.Context, h []byte) (signin.SessionRow, error) {
	r, err := t.db.GetCustomerSession(ctx, h)
	return signin.SessionRow{IDHash: r.IDHash, Data: r.Data, LastSeenAt: r.LastSeenAt, ExpiresAt: r.ExpiresAt}, err
}

func (t sessionTable) UpsertSession(ctx context.Context, w signin.SessionWrite) error {
	return t.db.UpsertCustomerSession(ctx, store.UpsertCustomerSessionParams{IDHash: w.IDHash, CustomerID: w.OwnerID, Data: w.Data,
		Ip: w.IP, UserAgent: w.UserAgent, Now: w.Now, ExpiresAt: w.ExpiresAt})
}

func (t sessionTable) TouchSession(ctx context.Context, h []byte, ip, ua string, now time.Time) error {
	return t.db.TouchCustomerSession(ctx, store.TouchCustomerSessionParams{IDHash: h, Ip: ip, UserAgent: ua, LastSeenAt: now})
}

func (t sessionTable) DeleteSession(ctx context.Context, h []byte) error {
	return t.db.DeleteCustomerSession(ctx, h)
}
