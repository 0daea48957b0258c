// Package bot is lumdesk's own Discord application, answering over
// Discord's HTTP interactions endpoint (no gateway connection, so every
// node serves it): the Luarmor panel (Redeem key, Reset HWID, Get script,
// Key info), Lumira's /apikey and /rank commands, and the setup commands
// that link a guild to a project or group with a one-time code.
//
// The rules stay in their areas: a redeem is licensing's LinkDiscord, a
// reset its ResetHWID, a rank change ranking's SetRank; this package only
// says who may ask (Manage Server, the rank role, the guild's link) and
// turns answers into Discord messages.
//
// Discord waits 3 seconds for an answer. Interact runs the work and, when
// it has not finished after Settings.DeferAfter, answers "deferred" and
// completes the answer later through the interaction's webhook
// (discord.REST.EditOriginal).
package bot

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/ranking"
)

// Modes of the bot.
const (
	ModeOff     = "off"     // not configured: the endpoint answers 503
	ModeDiscord = "discord" // DISCORD_APP_ID, DISCORD_PUBLIC_KEY, DISCORD_BOT_TOKEN set
	ModeSandbox = "sandbox" // demo mode without Discord: the sandbox console signs interactions
)

// Areas a guild links to (the functional names, as in bot_links.area).
const (
	AreaLicensing = "licensing" // a Luarmor project
	AreaRanking   = "ranking"   // a Lumira group
)

// Settings configure the bot.
type Settings struct {
	Mode      string
	AppID     string
	PublicKey ed25519.PublicKey
	// SandboxKey signs the sandbox console's interactions (ModeSandbox).
	SandboxKey ed25519.PrivateKey
	// DeferAfter is how long an answer may take before the bot defers it
	// (default 2 s, under Discord's 3).
	DeferAfter time.Duration
	// PublicURL is the site's address, for the links the bot sends.
	PublicURL string
}

// Deps are the services the bot goes through.
type Deps struct {
	Licensing *licensing.Service
	Ranking   *ranking.Service
	APIKeys   *apikeys.Service
}

// Service is the bot.
type Service struct {
	db   *db.DB
	set  Settings
	rest discord.REST
	deps Deps
	now  func() time.Time
	log  *slog.Logger

	routes   map[string]route
	inflight sync.WaitGroup // deferred answers still being completed
}

// New makes the bot. rest is Discord's REST API (discord.HTTPClient), or nil
// for the sandbox, which keeps follow-ups in Postgres for the sandbox console.
func New(d *db.DB, set Settings, rest discord.REST, deps Deps) *Service {
	if set.Mode == "" {
		set.Mode = ModeOff
	}
	if set.DeferAfter <= 0 {
		set.DeferAfter = 2 * time.Second
	}
	s := &Service{db: d, set: set, rest: rest, deps: deps, now: time.Now, log: slog.Default()}
	if rest == nil {
		s.rest = sandboxREST{s}
	}
	s.routes = map[string]route{}
	s.addSetupRoutes()
	s.addLicensingRoutes()
	s.addRankingRoutes()
	return s
}

// WithClock sets the service's clock (tests).
func (s *Service) WithClock(now func() time.Time) *Service { s.now = now; return s }

// SetLogger sets where failures are logged.
func (s *Service) SetLogger(l *slog.Logger) {
	if l != nil {
		s.log = l
	}
}

// Mode is ModeOff, ModeDiscord or ModeSandbox.
func (s *Service) Mode() string { return s.set.Mode }

// Settings are the bot's settings (the console's status page shows them).
func (s *Service) Settings() Settings { return s.set }

// Wait blocks until every deferred answer has been completed (tests, shutdown).
func (s *Service) Wait() { s.inflight.Wait() }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Reply is what a route answers: a message (ephemeral unless Public), or a modal.
type Reply struct {
	Content    string
	Embeds     []discord.Embed
	Components []discord.Component
	Public     bool // seen by the whole channel (the panel); otherwise only by the caller
	Modal      *Modal
}

// Modal is a form Discord shows the caller.
type Modal struct {
	CustomID string
	Title    string
	Fields   []discord.Component // text inputs, one per row
}

// Refusal is an answer that tells the caller why not (outcome "refused").
type Refusal struct{ Message string }

func (r *Refusal) Error() string { return r.Message }

// refuse makes a Refusal.
func refuse(format string, args ...any) error { return &Refusal{Message: fmt.Sprintf(format, args...)} }

// Request is one interaction on its way through a route.
type Request struct {
	In      discord.Interaction
	Name    string           // "/luarmor setup", or the component's or modal's custom_id
	Options []discord.Option // a command's leaf options
	Arg     string           // what follows "|" in a custom_id
	Actor   audit.Actor
	link    *Link // the guild's link for the route's area, once looked up
}

// route answers one command, button or modal.
type route struct {
	area string // the link the route needs ("" for none)
	// public: the deferred answer is visible to the channel
	public bool
	fn     func(ctx context.Context, s *Service, r *Request) (Reply, error)
}

func (s *Service) handle(name, area string, public bool, fn func(ctx context.Context, s *Service, r *Request) (Reply, error)) {
	s.routes[name] = route{area: area, public: public, fn: fn}
}

// Interact answers one verified interaction. It never fails: what went
// wrong is told to the caller (and recorded) as an ephemeral message.
func (s *Service) Interact(ctx context.Context, in discord.Interaction) discord.Response {
	if in.Type == discord.Ping {
		return discord.Response{Type: discord.Pong}
	}
	start := time.Now()
	r := &Request{In: in}
	caller := in.Caller()
	r.Actor = audit.Discord(caller.ID, callerName(caller))
	switch in.Type {
	case discord.ApplicationCommand:
		path, opts := in.Data.CommandPath()
		r.Name, r.Options = "/"+path, opts
	case discord.MessageComponent, discord.ModalSubmit:
		if in.Data != nil {
			r.Name, r.Arg, _ = strings.Cut(in.Data.CustomID, "|")
		}
	}
	rt, ok := s.routes[r.Name]
	if !ok || caller.ID == "" {
		rep := Reply{Content: "This bot does not know that command. A server manager can re-register the commands."}
		if ok { // Discord always names who interacted; without it the bot acts for nobody
			rep.Content = "Discord did not say who sent this, so the bot cannot act on it. Try again."
		}
		s.record(ctx, r, "refused", rep.Content, time.Since(start), false)
		return rep.response()
	}
	if in.GuildID == "" {
		rep := Reply{Content: "Use this in a server, not in a direct message."}
		s.record(ctx, r, "refused", rep.Content, time.Since(start), false)
		return rep.response()
	}

	// The work outlives the request when it is deferred, for as long as
	// Discord lets the token edit the answer.
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), discord.TokenLife-time.Minute)
	done := make(chan result, 1)
	go func() { done <- s.run(work, rt, r) }()
	timer := time.NewTimer(s.set.DeferAfter)
	defer timer.Stop()
	select {
	case res := <-done:
		cancel()
		s.record(ctx, r, res.outcome, res.logged, time.Since(start), false)
		return res.reply.response()
	case <-timer.C:
	}
	s.inflight.Add(1)
	go func() {
		defer s.inflight.Done()
		defer cancel()
		res := <-done
		msg := res.reply.message()
		if res.reply.Modal != nil { // a modal cannot follow a deferral
			msg = &discord.ResponseData{Content: "That took too long; press the button again.", AllowedMentions: discord.NoMentions}
		}
		if err := s.rest.EditOriginal(work, in.ApplicationID, in.Token, *msg); err != nil {
			s.log.Error("discord: complete a deferred answer", "name", r.Name, "err", err)
			res.outcome, res.logged = "error", "follow-up failed: "+err.Error()
		}
		s.record(work, r, res.outcome, res.logged, time.Since(start), true)
	}()
	flags := discord.FlagEphemeral
	if rt.public {
		flags = 0
	}
	return discord.Response{Type: discord.DeferredChannelMessageWithSource, Data: &discord.ResponseData{Flags: flags}}
}

type result struct {
	reply   Reply
	outcome string // ok, refused, error
	logged  string // what the interactions log keeps
}

// run calls the route, turning its error into what the caller reads.
func (s *Service) run(ctx context.Context, rt route, r *Request) (res result) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("discord: route panicked", "name", r.Name, "panic", p)
			res = result{reply: Reply{Content: "Something went wrong on our side. Try again in a moment."}, outcome: "error", logged: fmt.Sprint("panic: ", p)}
		}
	}()
	if rt.area != "" {
		if _, err := s.guildLink(ctx, r, rt.area); err != nil {
			return s.failed(r, err)
		}
	}
	rep, err := rt.fn(ctx, s, r)
	if err != nil {
		return s.failed(r, err)
	}
	return result{reply: rep, outcome: "ok", logged: rep.summary()}
}

// failed turns an error into the caller's answer: refusals and the areas'
// typed errors are told as they are; anything else is logged and told as
// our fault.
func (s *Service) failed(r *Request, err error) result {
	var ref *Refusal
	var fe apperr.FieldErrors
	var nf interface{ NotFound() bool }
	var rk *ranking.Error
	switch {
	case errors.As(err, &ref):
		return result{reply: Reply{Content: ref.Message}, outcome: "refused", logged: ref.Message}
	case errors.As(err, &fe):
		msg := "Check your input: " + strings.TrimPrefix(fe.Error(), "invalid input: ")
		return result{reply: Reply{Content: msg}, outcome: "refused", logged: msg}
	case errors.As(err, &rk):
		msg := capitalize(rk.Error()) + "."
		if errors.Is(err, ranking.ErrRobloxUnavailable) {
			return result{reply: Reply{Content: msg}, outcome: "error", logged: msg}
		}
		return result{reply: Reply{Content: msg}, outcome: "refused", logged: msg}
	case errors.As(err, &nf) && nf.NotFound():
		return result{reply: Reply{Content: capitalize(err.Error()) + "."}, outcome: "refused", logged: err.Error()}
	}
	s.log.Error("discord: interaction failed", "name", r.Name, "err", err)
	return result{reply: Reply{Content: "Something went wrong on our side. Try again in a moment."}, outcome: "error", logged: err.Error()}
}

// response is the reply as an immediate answer.
func (rep Reply) response() discord.Response {
	if rep.Modal != nil {
		rows := make([]discord.Component, len(rep.Modal.Fields))
		for i, f := range rep.Modal.Fields {
			rows[i] = discord.Row(f)
		}
		return discord.Response{Type: discord.ModalResponse, Data: &discord.ResponseData{CustomID: rep.Modal.CustomID, Title: rep.Modal.Title, Components: rows}}
	}
	return discord.Response{Type: discord.ChannelMessageWithSource, Data: rep.message()}
}

// message is the reply as a message (every message pings nobody).
func (rep Reply) message() *discord.ResponseData {
	d := &discord.ResponseData{Content: truncate(rep.Content, discord.MaxContent), Embeds: rep.Embeds, Components: rep.Components,
		AllowedMentions: discord.NoMentions}
	if !rep.Public {
		d.Flags = discord.FlagEphemeral
	}
	return d
}

// summary is what the interactions log keeps of a successful reply:
// never a secret (API keys, license keys), only its first line's shape.
func (rep Reply) summary() string {
	switch {
	case rep.Modal != nil:
		return "opened " + rep.Modal.Title
	case len(rep.Embeds) > 0:
		return rep.Embeds[0].Title
	}
	return ""
}

// record writes the interaction to the log the console's status reads.
func (s *Service) record(ctx context.Context, r *Request, outcome, msg string, took time.Duration, deferred bool) {
	caller := r.In.Caller()
	var account *int64
	if r.link != nil {
		account = &r.link.AccountID
	}
	name := r.Name
	if name == "" {
		name = "(unknown)"
	}
	err := s.db.InsertBotInteraction(context.WithoutCancel(ctx), store.InsertBotInteractionParams{
		At: s.clock(), GuildID: truncate(r.In.GuildID, 20), AccountID: account, DiscordUserID: truncate(caller.ID, 20),
		DiscordUsername: truncate(callerName(caller), 100), Name: truncate(name, 100), Outcome: outcome,
		Message: truncate(msg, 500), DurationMs: int32(min(took.Milliseconds(), 1<<30)), Deferred: deferred})
	if err != nil {
		s.log.Error("discord: record interaction", "err", err)
	}
}

// callerName is how a Discord user is shown: their username.
func callerName(u discord.User) string {
	if u.Username != "" {
		return u.Username
	}
	return u.GlobalName
}

// needManageServer refuses callers without Manage Server in the guild.
func needManageServer(r *Request) error {
	if !r.In.CanManageGuild() {
		return refuse("Only members with the Manage Server permission can do this.")
	}
	return nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// sandboxREST is Discord's REST API in demo mode: follow-ups are kept in
// Postgres for the sandbox console; commands need no registering.
type sandboxREST struct{ s *Service }

func (b sandboxREST) OverwriteCommands(_ context.Context, _ string, cmds []discord.Command) ([]discord.Command, error) {
	return cmds, nil
}

func (b sandboxREST) EditOriginal(ctx context.Context, _, token string, msg discord.ResponseData) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	return b.s.db.InsertBotSandboxMessage(ctx, store.InsertBotSandboxMessageParams{InteractionToken: token, Body: body, CreatedAt: b.s.clock()})
}

// SandboxFollowUps are the follow-ups the sandbox Discord received for an interaction token.
func (s *Service) SandboxFollowUps(ctx context.Context, token string) ([]discord.ResponseData, error) {
	rows, err := s.db.ListBotSandboxMessages(ctx, token)
	if err != nil {
		return nil, err
	}
	out := make([]discord.ResponseData, 0, len(rows))
	for _, r := range rows {
		var d discord.ResponseData
		if json.Unmarshal(r.Body, &d) == nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// newPublicID makes a link's public id.
func newPublicID() string { return ids.Public("gln") }
