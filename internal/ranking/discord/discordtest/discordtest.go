// Package discordtest is an in-process Discord for tests: execute webhook
// at /api/webhooks/{id}/{token}, strict about Discord's limits, answering
// 429 with a float retry_after or 404 (unknown webhook) when told to.
package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"

	"lumdesk/internal/ranking/discord"
)

// Server is the fake Discord.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	messages []discord.Message
	// Posted receives every accepted message.
	Posted chan discord.Message
	rate   int
	after  float64
	gone   bool
	// Requests counts every request; Waited every ?wait=true one.
	Requests, Waited, Limited int
}

var pathRE = regexp.MustCompile(`^/api/webhooks/(\d+)/([A-Za-z0-9_-]+)$`)

// New starts the fake; it stops when the test ends.
func New(t testing.TB) *Server {
	s := &Server{Posted: make(chan discord.Message, 100)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// WebhookURL is a webhook URL on the fake.
func (s *Server) WebhookURL() string { return s.URL + "/api/webhooks/123456789012345678/tok_en-1" }

// RateLimit answers the next n posts 429 with retry_after seconds.
func (s *Server) RateLimit(n int, retryAfter float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate, s.after = n, retryAfter
}

// Delete makes the webhook unknown (404 from now on).
func (s *Server) Delete() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gone = true
}

// Messages are the accepted messages.
func (s *Server) Messages() []discord.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]discord.Message(nil), s.messages...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Requests++
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || !pathRE.MatchString(r.URL.Path) || s.gone {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message": "Unknown Webhook", "code": 10015}`)
		return
	}
	if r.URL.Query().Get("wait") == "true" {
		s.Waited++
	}
	if s.rate > 0 {
		s.rate--
		s.Limited++
		w.Header().Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", s.after))
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprintf(w, `{"message": "You are being rate limited.", "retry_after": %.3f, "global": false}`, s.after)
		return
	}
	var m discord.Message
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.Empty() {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"code": 50006, "message": "Cannot send an empty message"}`)
		return
	}
	if len([]rune(m.Content)) > discord.MaxContent || discord.EmbedTotal(m.Embeds) > discord.MaxEmbedTotal || len(m.Embeds) > discord.MaxEmbeds {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"code": 50035, "message": "Invalid Form Body"}`)
		return
	}
	s.messages = append(s.messages, m)
	select {
	case s.Posted <- m:
	default:
	}
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, `{"id": "1", "type": 0, "channel_id": "2"}`)
}
