package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultAPIURL is Discord's REST API (DISCORD_API_URL may point elsewhere).
const DefaultAPIURL = "https://discord.com/api/v10"

// REST is what the bot asks of Discord's REST API: registering its
// commands and completing a deferred answer. HTTPClient is Discord;
// internal/bot has the sandbox that demo mode uses.
type REST interface {
	OverwriteCommands(ctx context.Context, appID string, cmds []Command) ([]Command, error)
	EditOriginal(ctx context.Context, appID, token string, msg ResponseData) error
}

// APIError is a refusal from Discord, with its status and message.
type APIError struct {
	Status  int
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("discord: %d %s (code %d)", e.Status, e.Message, e.Code)
}

// HTTPClient talks to Discord's REST API with the bot token.
type HTTPClient struct {
	BaseURL string // DefaultAPIURL when empty
	Token   string // the bot token (Authorization: Bot <token>)
	HTTP    *http.Client
	// MaxWait bounds how long a 429 is waited out before giving up (default 10 s).
	MaxWait time.Duration
}

// OverwriteCommands replaces every global command of the application
// (PUT /applications/{id}/commands) and returns them as Discord stored them.
func (c *HTTPClient) OverwriteCommands(ctx context.Context, appID string, cmds []Command) ([]Command, error) {
	var out []Command
	err := c.do(ctx, http.MethodPut, "/applications/"+url.PathEscape(appID)+"/commands", true, cmds, &out)
	return out, err
}

// EditOriginal edits the answer of a deferred interaction
// (PATCH /webhooks/{application id}/{token}/messages/@original; the token
// authorises it, not the bot token).
func (c *HTTPClient) EditOriginal(ctx context.Context, appID, token string, msg ResponseData) error {
	return c.do(ctx, http.MethodPatch, "/webhooks/"+url.PathEscape(appID)+"/"+url.PathEscape(token)+"/messages/@original", false, msg, nil)
}

func (c *HTTPClient) do(ctx context.Context, method, path string, auth bool, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = DefaultAPIURL
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	maxWait := c.MaxWait
	if maxWait == 0 {
		maxWait = 10 * time.Second
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "DiscordBot (https://github.com/lumdesk, 1.0)")
		if auth {
			req.Header.Set("Authorization", "Bot "+c.Token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return fmt.Errorf("discord: %w", err)
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusTooManyRequests && attempt < 3:
			wait := retryAfter(resp.Header, raw)
			if wait > maxWait {
				return &APIError{Status: resp.StatusCode, Message: fmt.Sprintf("rate limited for %s", wait)}
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			continue
		case resp.StatusCode >= 300:
			e := &APIError{Status: resp.StatusCode}
			_ = json.Unmarshal(raw, e)
			if e.Message == "" {
				e.Message = http.StatusText(resp.StatusCode)
			}
			return e
		}
		if out != nil && len(raw) > 0 {
			if err := json.Unmarshal(raw, out); err != nil {
				return fmt.Errorf("discord: unreadable answer: %w", err)
			}
		}
		return nil
	}
}

// retryAfter reads how long a 429 asks to wait: the body's retry_after
// (seconds, a float), else the Retry-After header, else one second.
func retryAfter(h http.Header, body []byte) time.Duration {
	var b struct {
		RetryAfter float64 `json:"retry_after"`
	}
	if json.Unmarshal(body, &b) == nil && b.RetryAfter > 0 {
		return time.Duration(b.RetryAfter * float64(time.Second))
	}
	if s, err := strconv.ParseFloat(h.Get("Retry-After"), 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	return time.Second
}
