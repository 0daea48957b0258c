package discord_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"lumdesk/internal/ranking/discord"
	"lumdesk/internal/ranking/discord/discordtest"
)

func TestValidateWebhookURL(t *testing.T) {
	for _, c := range []struct {
		url, base string
		ok        bool
	}{
		{"https://discord.com/api/webhooks/123456789012345678/abc-DEF_1", "", true},
		{"https://discordapp.com/api/webhooks/1/x", "", true},
		{"https://discord.com/api/v10/webhooks/1/x", "", true},
		{"http://discord.com/api/webhooks/1/x", "", false},
		{"https://evil.com/api/webhooks/1/x", "", false},
		{"https://discord.com.evil.com/api/webhooks/1/x", "", false},
		{"https://discord.com/api/webhooks/1/x?wait=false", "", false},
		{"https://discord.com/api/webhooks/abc/x", "", false},
		{"https://user@discord.com/api/webhooks/1/x", "", false},
		{"http://127.0.0.1:9/api/webhooks/1/x", "http://127.0.0.1:9", true},
		{"http://127.0.0.1:9/api/webhooks/1/x", "", false},
		{"http://127.0.0.1:10/api/webhooks/1/x", "http://127.0.0.1:9", false},
	} {
		if got := discord.ValidateWebhookURL(c.url, c.base) == ""; got != c.ok {
			t.Errorf("%s (base %q): ok = %v, want %v", c.url, c.base, got, c.ok)
		}
	}
}

func TestFitKeepsDiscordsLimits(t *testing.T) {
	long := strings.Repeat("é", 5000)
	m := discord.Fit(discord.Message{Content: long, Embeds: []discord.Embed{{Title: long, Description: long,
		Fields: []discord.Field{{Name: "a", Value: long}, {Name: "b", Value: long}, {Name: "c", Value: long}}, Footer: &discord.Footer{Text: long}}}})
	if n := len([]rune(m.Content)); n != discord.MaxContent {
		t.Fatalf("content %d characters", n)
	}
	if n := discord.EmbedTotal(m.Embeds); n > discord.MaxEmbedTotal || n < discord.MaxEmbedTotal-10 {
		t.Fatalf("embed total %d", n)
	}
	e := m.Embeds[0]
	if len([]rune(e.Title)) != discord.MaxTitle || !strings.HasSuffix(e.Title, "…") || len([]rune(e.Fields[0].Value)) > discord.MaxFieldValue {
		t.Fatalf("title %d, field %d", len([]rune(e.Title)), len([]rune(e.Fields[0].Value)))
	}
	short := discord.Message{Content: "hi", Embeds: []discord.Embed{{Title: "t", Description: "d"}}}
	if got := discord.Fit(short); got.Content != "hi" || got.Embeds[0].Description != "d" {
		t.Fatalf("a short message changed: %+v", got)
	}
}

func TestPostOutcomes(t *testing.T) {
	srv := discordtest.New(t)
	c := discord.Client{}
	ctx := context.Background()
	msg := discord.Message{Embeds: []discord.Embed{{Title: "Promoted", Description: strings.Repeat("x", 7000)}}}
	if err := c.Post(ctx, srv.WebhookURL(), msg); err != nil {
		t.Fatal(err)
	}
	if srv.Waited != 1 || len(srv.Messages()) != 1 {
		t.Fatalf("waited %d, messages %d", srv.Waited, len(srv.Messages()))
	}
	if am := srv.Messages()[0].AllowedMentions; am == nil || am.Parse == nil || len(am.Parse) != 0 {
		t.Fatalf("allowed_mentions = %+v: a log must ping nobody", am)
	}
	srv.RateLimit(1, 1.25)
	var rl *discord.RateLimitedError
	if err := c.Post(ctx, srv.WebhookURL(), msg); !errors.As(err, &rl) || rl.RetryAfter != 1250*time.Millisecond {
		t.Fatalf("429: %v", err)
	}
	if err := c.Post(ctx, srv.WebhookURL(), discord.Message{}); !errors.As(err, new(*discord.RefusedError)) {
		t.Fatalf("empty message: %v", err)
	}
	srv.Delete()
	if err := c.Post(ctx, srv.WebhookURL(), msg); !errors.Is(err, discord.ErrWebhookGone) {
		t.Fatalf("404: %v", err)
	}
}
