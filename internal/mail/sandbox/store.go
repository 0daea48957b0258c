// Package sandbox is Lumora's sandbox inbox: an SMTP server on loopback that
// accepts any mail and keeps what it received, so `make run` and the tests
// deliver real SMTP somewhere without a mail provider. The console shows its
// messages as received mail, labelled Sandbox.
package sandbox

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Message is one received message as the sandbox inbox shows it.
type Message struct {
	ID         string
	ReceivedAt time.Time
	MailFrom   string   // the envelope sender
	RcptTo     []string // the envelope recipients
	TLS        bool     // the session was encrypted (STARTTLS or implicit)
	Raw        []byte   // the message exactly as received
	Headers    []Header // in order, values decoded (RFC 2047)
	Subject    string
	From       string
	To         string
	MessageID  string
	Text       string // the text/plain part, decoded
	HTML       string // the text/html part, decoded
}

// Header is one header field.
type Header struct{ Name, Value string }

// HeaderValue returns the first value of the named header (case-insensitive).
func (m Message) HeaderValue(name string) string {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Store keeps received messages. The in-memory one below serves `make run`
// and tests; a later one may keep them in Postgres behind the same methods.
type Store interface {
	Add(ctx context.Context, m Message) error
	// List returns up to limit messages, newest first.
	List(ctx context.Context, limit int) ([]Message, error)
	// Get returns one message; ok is false when it is unknown (or evicted).
	Get(ctx context.Context, id string) (m Message, ok bool, err error)
}

// MemoryStore keeps the newest Cap messages in memory.
type MemoryStore struct {
	mu   sync.RWMutex
	cap  int
	msgs []Message // oldest first; trimmed to cap
}

// DefaultCap is how many messages a MemoryStore keeps unless told otherwise.
const DefaultCap = 500

// NewMemoryStore keeps the newest capacity messages (DefaultCap if <= 0).
func NewMemoryStore(capacity int) *MemoryStore {
	if capacity <= 0 {
		capacity = DefaultCap
	}
	return &MemoryStore{cap: capacity}
}

func (s *MemoryStore) Add(_ context.Context, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	if over := len(s.msgs) - s.cap; over > 0 {
		// Copy down rather than reslice so evicted messages are freed.
		s.msgs = append(s.msgs[:0:0], s.msgs[over:]...)
	}
	return nil
}

func (s *MemoryStore) List(_ context.Context, limit int) ([]Message, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if limit <= 0 || limit > len(s.msgs) {
		limit = len(s.msgs)
	}
	out := make([]Message, 0, limit)
	for i := len(s.msgs) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, s.msgs[i])
	}
	return out, nil
}

func (s *MemoryStore) Get(_ context.Context, id string) (Message, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i := len(s.msgs) - 1; i >= 0; i-- {
		if s.msgs[i].ID == id {
			return s.msgs[i], true, nil
		}
	}
	return Message{}, false, nil
}
