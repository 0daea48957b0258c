// Package discordtest is an in-process Discord REST API for tests: it
// speaks Discord's wire format for the calls the bot makes (bulk-overwrite
// the application's commands with the bot token; edit a deferred answer
// through the interaction's webhook) and records what it received.
package discordtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"lumdesk/internal/bot/discord"
)

// Edit is a deferred answer completed through its webhook.
type Edit struct {
	AppID, Token string
	Msg          discord.ResponseData
}

// Server is the test Discord.
type Server struct {
	URL   string // the API base (DISCORD_API_URL)
	Token string // the bot token it accepts

	mu        sync.Mutex
	commands  map[string][]discord.Command // by application id
	edits     []Edit
	edited    chan struct{}
	limitNext int // answer this many next requests 429
}

// New starts a test Discord accepting the bot token; it stops with the test.
func New(t testing.TB, token string) *Server {
	s := &Server{Token: token, commands: map[string][]discord.Command{}, edited: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /api/v10/applications/{app}/commands", s.putCommands)
	mux.HandleFunc("PATCH /api/v10/webhooks/{app}/{token}/messages/@original", s.editOriginal)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/api/v10"
	return s
}

// RateLimitNext makes the next n requests answer 429 with a short retry_after.
func (s *Server) RateLimitNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limitNext = n
}

func (s *Server) limited(w http.ResponseWriter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limitNext == 0 {
		return false
	}
	s.limitNext--
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": 0.01, "global": false})
	return true
}

func (s *Server) putCommands(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bot "+s.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401: Unauthorized", "code": 0})
		return
	}
	if s.limited(w) {
		return
	}
	var cmds []discord.Command
	if err := json.NewDecoder(r.Body).Decode(&cmds); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Invalid Form Body", "code": 50035})
		return
	}
	for i := range cmds {
		if cmds[i].Name == "" || cmds[i].Description == "" || len(cmds[i].Name) > 32 || len(cmds[i].Description) > 100 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Invalid Form Body", "code": 50035})
			return
		}
		cmds[i].ID = strconv.Itoa(1000 + i)
	}
	s.mu.Lock()
	s.commands[r.PathValue("app")] = cmds
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, cmds)
}

func (s *Server) editOriginal(w http.ResponseWriter, r *http.Request) {
	if s.limited(w) {
		return
	}
	var msg discord.ResponseData
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Invalid Form Body", "code": 50035})
		return
	}
	if strings.TrimSpace(msg.Content) == "" && len(msg.Embeds) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Cannot send an empty message", "code": 50006})
		return
	}
	s.mu.Lock()
	s.edits = append(s.edits, Edit{AppID: r.PathValue("app"), Token: r.PathValue("token"), Msg: msg})
	s.mu.Unlock()
	select {
	case s.edited <- struct{}{}:
	default:
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": "1", "content": msg.Content})
}

// Commands are the commands registered for an application.
func (s *Server) Commands(appID string) []discord.Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[appID]
}

// WaitEdit waits (up to timeout) for the deferred answer of an interaction token.
func (s *Server) WaitEdit(t testing.TB, token string, timeout time.Duration) discord.ResponseData {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for _, e := range s.edits {
			if e.Token == token {
				s.mu.Unlock()
				return e.Msg
			}
		}
		s.mu.Unlock()
		select {
		case <-s.edited:
		case <-deadline.C:
			t.Fatalf("discordtest: no edit of the answer to interaction %s within %s", token, timeout)
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
