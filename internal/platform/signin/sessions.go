package signin

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/gob"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/sessions"

	"lumdesk/internal/platform/clip"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
)

// Session value keys every face uses.
const (
	KeyCSRF  = "csrf"
	KeyFlash = "flash"
)

// SessionRow is what a face's sessions table keeps of one session.
type SessionRow struct {
	IDHash     []byte
	Data       []byte
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// SessionWrite is one session saved: its owner (nil until signed in).
type SessionWrite struct {
	IDHash    []byte
	OwnerID   *int64
	Data      []byte
	IP        string
	UserAgent string
	Now       time.Time
	ExpiresAt time.Time
}

// SessionTable is a face's sessions table (staff_sessions, customer_sessions).
// Get answers an error for which db.IsNotFound holds when there is no row.
type SessionTable interface {
	GetSession(ctx context.Context, idHash []byte) (SessionRow, error)
	UpsertSession(ctx context.Context, w SessionWrite) error
	TouchSession(ctx context.Context, idHash []byte, ip, userAgent string, now time.Time) error
	DeleteSession(ctx context.Context, idHash []byte) error
}

// SessionStore is a gorilla/sessions Store that keeps sessions as rows in
// Postgres. The cookie carries only a random id (32 characters); the row is
// keyed by its SHA-256, so a database leak reveals no usable session.
//
// A session ends after IdleTimeout without a request or AbsoluteTimeout after
// it was created. Rotate gives a session a new id (at sign-in).
type SessionStore struct {
	Table      SessionTable
	CookieName string
	// OwnerKey is the session value holding the signed-in user's id (int64),
	// copied into the row's owner column so a user's sessions can be listed
	// and revoked.
	OwnerKey        string
	Secure          bool
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	// touchEvery bounds writes: last_seen_at is refreshed at most this often.
	touchEvery time.Duration
	now        func() time.Time
}

// NewSessionStore makes a store whose cookie is name, or "__Host-"+name when
// secure (the prefix binds it to this host and path /, over HTTPS only).
func NewSessionStore(t SessionTable, name, ownerKey string, secure bool, idle, absolute time.Duration) *SessionStore {
	if secure {
		name = "__Host-" + name
	}
	return &SessionStore{Table: t, CookieName: name, OwnerKey: ownerKey, Secure: secure, IdleTimeout: idle, AbsoluteTimeout: absolute,
		touchEvery: time.Minute, now: time.Now}
}

// SetClock replaces the clock (tests of the timeouts).
func (s *SessionStore) SetClock(now func() time.Time) { s.now = now }

// Get returns the request's cached session.
func (s *SessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New loads the session named by the request's cookie, or a fresh empty one.
func (s *SessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	sess.Options = s.options()
	sess.IsNew = true
	c, err := r.Cookie(name)
	if err != nil || len(c.Value) != 32 {
		return sess, nil
	}
	ctx := r.Context()
	row, err := s.Table.GetSession(ctx, ids.Hash(c.Value))
	if db.IsNotFound(err) {
		return sess, nil
	}
	if err != nil {
		return sess, fmt.Errorf("load session: %w", err)
	}
	now := s.now()
	if now.After(row.ExpiresAt) || now.Sub(row.LastSeenAt) > s.IdleTimeout {
		_ = s.Table.DeleteSession(ctx, row.IDHash)
		return sess, nil
	}
	if err := decodeValues(row.Data, sess.Values); err != nil {
		return sess, nil
	}
	sess.ID = c.Value
	sess.IsNew = false
	if now.Sub(row.LastSeenAt) > s.touchEvery {
		if err := s.Table.TouchSession(ctx, row.IDHash, clientIP(r), clip.Chars(r.UserAgent(), 300), now); err != nil {
			return sess, fmt.Errorf("touch session: %w", err)
		}
	}
	return sess, nil
}

// Save writes the session row and the cookie. MaxAge < 0 deletes both.
func (s *SessionStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx := r.Context()
	if sess.Options.MaxAge < 0 {
		if sess.ID != "" {
			if err := s.Table.DeleteSession(ctx, ids.Hash(sess.ID)); err != nil {
				return fmt.Errorf("delete session: %w", err)
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	if sess.ID == "" {
		sess.ID = ids.Token(32)
	}
	data, err := encodeValues(sess.Values)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	var owner *int64
	if id, ok := sess.Values[s.OwnerKey].(int64); ok {
		owner = &id
	}
	now := s.now()
	err = s.Table.UpsertSession(ctx, SessionWrite{IDHash: ids.Hash(sess.ID), OwnerID: owner, Data: data,
		IP: clientIP(r), UserAgent: clip.Chars(r.UserAgent(), 300), Now: now, ExpiresAt: now.Add(s.AbsoluteTimeout)})
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	http.SetCookie(w, sessions.NewCookie(sess.Name(), sess.ID, sess.Options))
	return nil
}

// Rotate deletes the session's row and clears its id, so the next Save
// stores it under a fresh id (defeats session fixation at sign-in).
func (s *SessionStore) Rotate(ctx context.Context, sess *sessions.Session) error {
	if sess.ID != "" {
		if err := s.Table.DeleteSession(ctx, ids.Hash(sess.ID)); err != nil {
			return fmt.Errorf("rotate session: %w", err)
		}
	}
	sess.ID = ""
	return nil
}

// Destroy marks the session for deletion on Save.
func (s *SessionStore) Destroy(sess *sessions.Session) {
	sess.Options.MaxAge = -1
	for k := range sess.Values {
		delete(sess.Values, k)
	}
}

func (s *SessionStore) options() *sessions.Options {
	return &sessions.Options{Path: "/", MaxAge: 0, HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteLaxMode}
}

// CurrentFirst puts a user's current session before the others, for a
// stable sort of the sessions list (slices.SortStableFunc with a function
// that hands it each session's Current): its last_seen_at is refreshed
// only now and then, so sorted by last use it can fall below the others.
func CurrentFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// SessionIDHash is the stored key of a cookie value, for "this session" checks.
func SessionIDHash(id string) []byte { return ids.Hash(id) }

// EncodeHandle makes a URL-safe handle for a session row (its hash), used to
// revoke one session from a sessions page without revealing the cookie.
func EncodeHandle(idHash []byte) string { return base64.RawURLEncoding.EncodeToString(idHash) }

// DecodeHandle reverses EncodeHandle.
func DecodeHandle(h string) ([]byte, bool) {
	b, err := base64.RawURLEncoding.DecodeString(h)
	return b, err == nil && len(b) == 32
}

func encodeValues(v map[interface{}]interface{}) ([]byte, error) {
	m := make(map[string]interface{}, len(v))
	for k, val := range v {
		ks, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("session key %v is not a string", k)
		}
		m[ks] = val
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeValues(data []byte, into map[interface{}]interface{}) error {
	var m map[string]interface{}
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&m); err != nil {
		return err
	}
	for k, v := range m {
		into[k] = v
	}
	return nil
}

// clientIP is the request's RemoteAddr without port; the HTTP layer sets
// RemoteAddr to the client address it trusts (see TRUST_PROXY).
func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
