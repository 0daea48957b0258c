package bot

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/bot/discord"
)

// Errors of Receive; the endpoint answers them 401, 400 and 503.
var (
	ErrBadSignature = errors.New("invalid request signature")
	// ErrReplayed: a signed interaction whose id was taken before.
	ErrReplayed       = errors.New("this interaction was received before")
	ErrNotInteraction = errors.New("not an interaction")
	ErrOff            = errors.New("the Discord bot is not configured (DISCORD_APP_ID, DISCORD_PUBLIC_KEY, DISCORD_BOT_TOKEN)")
)

// maxSkew is how far a request's signed timestamp may be from our clock,
// so a captured request cannot be replayed later.
const maxSkew = 5 * time.Minute

// Receive answers a request as Discord sends it: the signature (hex
// Ed25519 over timestamp + body) is checked against the application's
// public key, the timestamp must be recent, and the body must be an
// interaction. The endpoint and the sandbox console both come through here.
func (s *Service) Receive(ctx context.Context, signature, timestamp string, body []byte) (discord.Response, error) {
	if s.set.Mode == ModeOff {
		return discord.Response{}, ErrOff
	}
	if !discord.Verify(s.set.PublicKey, signature, timestamp, body) || !s.fresh(timestamp) {
		return discord.Response{}, ErrBadSignature
	}
	var in discord.Interaction
	if err := json.Unmarshal(body, &in); err != nil || in.Type == 0 {
		return discord.Response{}, ErrNotInteraction
	}
	// Within maxSkew a captured request still verifies: its id, which
	// Discord never sends twice, is taken once.
	if in.ID != "" {
		n, err := s.db.MarkBotInteractionSeen(ctx, store.MarkBotInteractionSeenParams{InteractionID: in.ID, SeenAt: s.now()})
		if err != nil {
			return discord.Response{}, err
		}
		if n == 0 {
			return discord.Response{}, ErrReplayed
		}
	}
	return s.Interact(ctx, in), nil
}

// Authentic reports whether a request is signed by Discord (or the
// sandbox) within the signature's window, without taking it: the endpoint
// asks it of a request refused before Receive (text it cannot keep), which
// it answers 401 if unsigned, else in the interaction's own format.
func (s *Service) Authentic(signature, timestamp string, body []byte) bool {
	return s.set.Mode != ModeOff && discord.Verify(s.set.PublicKey, signature, timestamp, body) && s.fresh(timestamp)
}

func (s *Service) fresh(ts string) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := s.now().Sub(time.Unix(sec, 0))
	return d < maxSkew && d > -maxSkew
}

// SandboxSend is the sandbox console's Discord: it signs the interaction
// with the sandbox key and sends it through Receive, as Discord would.
// Only in ModeSandbox.
func (s *Service) SandboxSend(ctx context.Context, in discord.Interaction) (discord.Response, error) {
	if s.set.Mode != ModeSandbox || s.set.SandboxKey == nil {
		return discord.Response{}, errors.New("the Discord sandbox runs only in demo mode without a Discord application")
	}
	if in.ApplicationID == "" {
		in.ApplicationID = s.set.AppID
	}
	body, err := json.Marshal(in)
	if err != nil {
		return discord.Response{}, err
	}
	sig, ts := discord.Sign(s.set.SandboxKey, s.now(), body)
	return s.Receive(ctx, sig, ts, body)
}
