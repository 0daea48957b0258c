package bot

import (
	"context"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
)

// What the console shows of the bot: its recent interactions and the
// sandbox console's cast (demo users and the demo guild).

// Stats are the status card's figures.
type Stats struct {
	LastAt  *time.Time // the last interaction (nil: none yet)
	Total   int64      // interactions since Since
	Errors  int64
	Refused int64
	Since   time.Time
}

// Stats counts the scope's interactions since a time.
func (s *Service) Stats(ctx context.Context, scope accounts.Scope, since time.Time) (Stats, error) {
	c, err := s.db.BotInteractionCounts(ctx, store.BotInteractionCountsParams{Since: since, AccountID: scope.Filter()})
	if err != nil {
		return Stats{}, err
	}
	out := Stats{Total: c.Total, Errors: c.Errors, Refused: c.Refused, Since: since}
	last, err := s.db.ListBotInteractions(ctx, store.ListBotInteractionsParams{Limit: 1, AccountID: scope.Filter()})
	if err != nil {
		return Stats{}, err
	}
	if len(last) == 1 {
		at := last[0].At
		out.LastAt = &at
	}
	return out, nil
}

// Interaction is one logged interaction.
type Interaction struct {
	ID        int64
	At        time.Time
	GuildID   string
	AccountID *int64
	UserID    string
	Username  string
	Name      string // "/luarmor panel", or a component's custom_id
	Outcome   string // ok, refused, error
	Message   string
	Took      time.Duration
	Deferred  bool
}

// Outcomes of an interaction.
const (
	OutcomeOK      = "ok"
	OutcomeRefused = "refused"
	OutcomeError   = "error"
)

// InteractionFilter narrows Interactions.
type InteractionFilter struct {
	Scope    accounts.Scope
	Outcome  string // "" for any
	BeforeID int64  // keyset cursor: rows older than this id (0: newest)
	Limit    int    // default 50, at most 200
}

// Interactions lists logged interactions newest first.
func (s *Service) Interactions(ctx context.Context, f InteractionFilter) ([]Interaction, error) {
	p := store.ListBotInteractionsParams{Limit: int32(f.Limit), AccountID: f.Scope.Filter()}
	if f.Limit <= 0 || f.Limit > 200 {
		p.Limit = 50
	}
	if f.Outcome != "" {
		p.Outcome = &f.Outcome
	}
	if f.BeforeID > 0 {
		p.BeforeID = &f.BeforeID
	}
	rows, err := s.db.ListBotInteractions(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]Interaction, len(rows))
	for i, r := range rows {
		out[i] = Interaction{ID: r.ID, At: r.At, GuildID: r.GuildID, AccountID: r.AccountID, UserID: r.DiscordUserID, Username: r.DiscordUsername,
			Name: r.Name, Outcome: r.Outcome, Message: r.Message, Took: time.Duration(r.DurationMs) * time.Millisecond, Deferred: r.Deferred}
	}
	return out, nil
}

// The sandbox's Discord: a demo guild and the members who act in it.
const (
	DemoGuildID    = "900000000000000001"
	DemoGuildName  = "Nightfall Discord"
	DemoRankRoleID = "900000000000000010" // the demo guild's "Rankers" role (may use /rank)
)

// SandboxUser is a Discord member the sandbox console acts as.
type SandboxUser struct {
	Key         string // manager, alice, bob
	ID          string // Discord user ID
	Username    string
	About       string
	Permissions string // member.permissions
	Roles       []string
}

// SandboxUsers are the demo members: a server manager (Manage Server, and
// the rank role) and two members without permissions.
func SandboxUsers() []SandboxUser {
	return []SandboxUser{
		{Key: "manager", ID: "100000000000000001", Username: "manager", About: "Manage Server, Rankers", Permissions: "32", Roles: []string{DemoRankRoleID}},
		{Key: "alice", ID: "100000000000000002", Username: "alice", About: "member", Permissions: "0"},
		{Key: "bob", ID: "100000000000000003", Username: "bob", About: "member", Permissions: "0"},
	}
}

// SandboxUserByKey finds a demo member.
func SandboxUserByKey(key string) (SandboxUser, bool) {
	for _, u := range SandboxUsers() {
		if u.Key == key {
			return u, true
		}
	}
	return SandboxUser{}, false
}
