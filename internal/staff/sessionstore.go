package staff

import (
	"context"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/signin"
)

// SessionStore is the console's session store: signin.SessionStore over the
// staff_sessions table.
type SessionStore = signin.SessionStore

// Session value keys.
const (
	KeyStaffID   = "staff_id"
	KeyCSRF      = signin.KeyCSRF
	KeyPendingID = "pending_staff_id" // password ok, waiting for the TOTP code
	KeyPendingAt = "pending_at"
	KeyFlash     = signin.KeyFlash
)

// NewSessionStore makes the console's store; secure picks the __Host- cookie.
func NewSessionStore(d *db.DB, secure bool, idle, absolute time.Duration) *SessionStore {
	return signin.NewSessionStore(sessionTable{d}, "lumdesk", KeyStaffID, secure, idle, absolute)
}

type sessionTable struct{ db *db.DB }

func (t sessionTable) GetSession(ctx context.Context, h []byte) (signin.SessionRow, error) {
	r, err := t.db.GetStaffSession(ctx, h)
	return signin.SessionRow{IDHash: r.IDHash, Data: r.Data, LastSeenAt: r.LastSeenAt, ExpiresAt: r.ExpiresAt}, err
}

func (t sessionTable) UpsertSession(ctx context.Context, w signin.SessionWrite) error {
	return t.db.UpsertStaffSession(ctx, store.UpsertStaffSessionParams{IDHash: w.IDHash, StaffID: w.OwnerID, Data: w.Data,
		Ip: w.IP, UserAgent: w.UserAgent, Now: w.Now, ExpiresAt: w.ExpiresAt})
}

func (t sessionTable) TouchSession(ctx context.Context, h []byte, ip, ua string, now time.Time) error {
	return t.db.TouchStaffSession(ctx, store.TouchStaffSessionParams{IDHash: h, Ip: ip, UserAgent: ua, LastSeenAt: now})
}

func (t sessionTable) DeleteSession(ctx context.Context, h []byte) error {
	return t.db.DeleteStaffSession(ctx, h)
}

// SessionIDHash, EncodeHandle and DecodeHandle: see signin.
var (
	SessionIDHash = signin.SessionIDHash
	EncodeHandle  = signin.EncodeHandle
	DecodeHandle  = signin.DecodeHandle
)
