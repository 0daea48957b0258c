// Package discord posts Lumira's log messages to a Discord webhook
// (execute webhook, see ../../../../shared/reference/wire-formats.md §2):
// it checks webhook URLs, keeps Discord's limits by truncating, and says
// how a post went (posted, rate limited for how long, webhook gone, or
// refused) so the River job can retry, snooze or disable the webhook.
package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Discord's limits.
const (
	MaxContent     = 2000
	MaxEmbeds      = 10
	MaxEmbedTotal  = 6000
	MaxTitle       = 256
	MaxDescription = 4096
	MaxFields      = 25
	MaxFieldName   = 256
	MaxFieldValue  = 1024
	MaxFooter      = 2048
	MaxAuthor      = 256
	MaxUsername    = 80
)

// DefaultBaseURL is Discord; LUMIRA_DISCORD_URL may allow another.
const DefaultBaseURL = "https://discord.com"

// Field is an embed field.
type Field struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

// Footer is an embed's footer.
type Footer struct {
	Text string `json:"text"`
}

// Author is an embed's author line.
type Author struct {
	Name string `json:"name"`
}

// Embed is a rich embed.
type Embed struct {
	Title       string  `json:"title,omitempty"`
	Description string  `json:"description,omitempty"`
	URL         string  `json:"url,omitempty"`
	Timestamp   string  `json:"timestamp,omitempty"` // ISO 8601
	Color       int     `json:"color,omitempty"`
	Fields      []Field `json:"fields,omitempty"`
	Footer      *Footer `json:"footer,omitempty"`
	Author      *Author `json:"author,omitempty"`
}

// Message is an execute-webhook body.
type Message struct {
	Content         string           `json:"content,omitempty"`
	Username        string           `json:"username,omitempty"`
	Embeds          []Embed          `json:"embeds,omitempty"`
	AllowedMentions *AllowedMentions `json:"allowed_mentions,omitempty"`
}

// AllowedMentions says whom a message may ping; Post sends "nobody" unless
// the message says otherwise, so a log or a custom text never pings
// @everyone.
type AllowedMentions struct {
	Parse []string `json:"parse"`
}

// Empty reports whether the message has nothing Discord would show.
func (m Message) Empty() bool { return strings.TrimSpace(m.Content) == "" && len(m.Embeds) == 0 }

// cut keeps the first n characters of s, ending in "…" when it cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// EmbedTotal is the characters Discord counts against MaxEmbedTotal.
func EmbedTotal(es []Embed) int {
	n := 0
	for _, e := range es {
		n += runes(e.Title) + runes(e.Description)
		for _, f := range e.Fields {
			n += runes(f.Name) + runes(f.Value)
		}
		if e.Footer != nil {
			n += runes(e.Footer.Text)
		}
		if e.Author != nil {
			n += runes(e.Author.Name)
		}
	}
	return n
}

// Fit truncates m to Discord's limits: each part to its own, then the
// embeds' total to 6,000 (descriptions first, then field values from the
// last, then footers and titles).
func Fit(m Message) Message {
	m.Content = cut(m.Content, MaxContent)
	m.Username = cut(m.Username, MaxUsername)
	if len(m.Embeds) > MaxEmbeds {
		m.Embeds = m.Embeds[:MaxEmbeds]
	}
	es := make([]Embed, len(m.Embeds))
	for i, e := range m.Embeds {
		e.Title = cut(e.Title, MaxTitle)
		e.Description = cut(e.Description, MaxDescription)
		if len(e.Fields) > MaxFields {
			e.Fields = e.Fields[:MaxFields]
		}
		fs := make([]Field, len(e.Fields))
		for j, f := range e.Fields {
			f.Name, f.Value = cut(f.Name, MaxFieldName), cut(f.Value, MaxFieldValue)
			fs[j] = f
		}
		e.Fields = fs
		if e.Footer != nil {
			e.Footer = &Footer{Text: cut(e.Footer.Text, MaxFooter)}
		}
		if e.Author != nil {
			e.Author = &Author{Name: cut(e.Author.Name, MaxAuthor)}
		}
		es[i] = e
	}
	shrink := func(s *string) {
		over := EmbedTotal(es) - MaxEmbedTotal
		if over > 0 && *s != "" {
			*s = cut(*s, max(runes(*s)-over, 0))
		}
	}
	for i := len(es) - 1; i >= 0 && EmbedTotal(es) > MaxEmbedTotal; i-- {
		shrink(&es[i].Description)
	}
	for i := len(es) - 1; i >= 0 && EmbedTotal(es) > MaxEmbedTotal; i-- {
		for j := len(es[i].Fields) - 1; j >= 0 && EmbedTotal(es) > MaxEmbedTotal; j-- {
			shrink(&es[i].Fields[j].Value)
		}
	}
	for i := len(es) - 1; i >= 0 && EmbedTotal(es) > MaxEmbedTotal; i-- {
		if es[i].Footer != nil {
			shrink(&es[i].Footer.Text)
		}
		shrink(&es[i].Title)
	}
	if len(es) > 0 {
		m.Embeds = es
	}
	return m
}

var webhookPath = regexp.MustCompile(`^/api(/v\d+)?/webhooks/\d{1,20}/[A-Za-z0-9_-]{1,100}$`)

var discordHosts = map[string]bool{"discord.com": true, "discordapp.com": true, "canary.discord.com": true, "ptb.discord.com": true}

// ValidateWebhookURL accepts https Discord webhook URLs
// (https://discord.com/api/webhooks/{id}/{token}, or discordapp.com), and
// URLs under allowedBase when it names another base (LUMIRA_DISCORD_URL;
// tests set their own server). It returns a message for people, or "".
func ValidateWebhookURL(raw, allowedBase string) string {
	const want = "Enter a Discord webhook URL: https://discord.com/api/webhooks/{id}/{token}."
	if len(raw) > 512 {
		return "At most 512 characters."
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return want
	}
	if u.Scheme == "https" && discordHosts[strings.ToLower(u.Host)] && webhookPath.MatchString(u.Path) {
		return ""
	}
	if allowedBase != "" && allowedBase != DefaultBaseURL {
		b, err := url.Parse(strings.TrimRight(allowedBase, "/"))
		if err == nil && u.Scheme == b.Scheme && strings.EqualFold(u.Host, b.Host) && strings.HasPrefix(u.Path, b.Path+"/") &&
			webhookPath.MatchString(strings.TrimPrefix(u.Path, b.Path)) {
			return ""
		}
	}
	return want
}

// Outcomes of Post other than success.
var (
	// ErrWebhookGone: Discord answered 404 (unknown webhook): never post
	// to it again.
	ErrWebhookGone = errors.New("discord: the webhook no longer exists")
)

// RateLimitedError is a 429: come back after RetryAfter.
type RateLimitedError struct {
	RetryAfter time.Duration
	Global     bool
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("discord: rate limited for %s", e.RetryAfter)
}

// RefusedError is another 4xx: the message itself is wrong; retrying
// will not help.
type RefusedError struct {
	Status  int
	Message string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("discord refused the message (%d): %s", e.Status, e.Message)
}

// Client posts messages.
type Client struct {
	HTTP *http.Client // nil: 10-second timeout
}

// Post sends m (fitted to the limits) to the webhook with ?wait=true.
// Errors: *RateLimitedError, ErrWebhookGone, *RefusedError, or another
// error worth retrying (5xx, network).
func (c Client) Post(ctx context.Context, webhookURL string, m Message) error {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	if m.AllowedMentions == nil {
		m.AllowedMentions = &AllowedMentions{Parse: []string{}}
	}
	body, err := json.Marshal(Fit(m))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL+"?wait=true", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Lumira (https://lumdesk, 1)")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("discord: %w", err)
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests:
		var b struct {
			RetryAfter float64 `json:"retry_after"`
			Global     bool    `json:"global"`
		}
		_ = json.Unmarshal(raw, &b)
		wait := b.RetryAfter
		for _, h := range []string{"X-RateLimit-Reset-After", "Retry-After"} {
			if wait > 0 {
				break
			}
			if v, err := strconv.ParseFloat(resp.Header.Get(h), 64); err == nil {
				wait = v
			}
		}
		if wait <= 0 {
			wait = 1
		}
		return &RateLimitedError{RetryAfter: time.Duration(wait * float64(time.Second)), Global: b.Global || resp.Header.Get("X-RateLimit-Global") == "true"}
	case resp.StatusCode == http.StatusNotFound:
		return ErrWebhookGone
	case resp.StatusCode >= 400 && resp.StatusCode <= 499:
		var b struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &b)
		if b.Message == "" {
			b.Message = cut(strings.TrimSpace(string(raw)), 200)
		}
		return &RefusedError{Status: resp.StatusCode, Message: b.Message}
	default:
		return fmt.Errorf("discord answered %s", resp.Status)
	}
}
