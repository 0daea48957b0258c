package discord_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	apidiscord "lumdesk/handlers/api/discord"
	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/platform/config"
)

func post(t *testing.T, url string, body []byte, sig, ts string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+apidiscord.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("X-Signature-Ed25519", sig)
	}
	if ts != "" {
		req.Header.Set("X-Signature-Timestamp", ts)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestInteractionsEndpoint(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	e := servertest.New(t, func(c *config.Config) {
		c.DiscordAppID, c.DiscordPublicKey, c.DiscordBotToken = "1100000000000000001", hex.EncodeToString(pub), "token"
	})
	ping := []byte(`{"id":"1","application_id":"1100000000000000001","type":1,"token":"t","version":1}`)

	sig, ts := discord.Sign(priv, time.Now(), ping)
	if code, body := post(t, e.URL, ping, sig, ts); code != 200 || strings.TrimSpace(body) != `{"type":1}` {
		t.Fatalf("PING: %d %s", code, body)
	}
	badSig, badTS := discord.Sign(otherPriv, time.Now(), ping)
	staleSig, staleTS := discord.Sign(priv, time.Now().Add(-10*time.Minute), ping)
	for name, c := range map[string][2]string{
		"no headers":   {"", ""},
		"no signature": {"", ts},
		"another key":  {badSig, badTS},
		"stale":        {staleSig, staleTS},
		"garbage":      {"zz", ts},
		"wrong ts":     {sig, ts + "0"},
	} {
		if code, body := post(t, e.URL, ping, c[0], c[1]); code != 401 || !strings.Contains(body, "invalid request signature") {
			t.Errorf("%s: %d %s", name, code, body)
		}
	}
	notJSON := []byte(`{"type":`)
	sig, ts = discord.Sign(priv, time.Now(), notJSON)
	if code, _ := post(t, e.URL, notJSON, sig, ts); code != 400 {
		t.Errorf("malformed body: %d", code)
	}
	big := []byte(`{"type":1,"token":"` + strings.Repeat("a", apidiscord.MaxBody) + `"}`)
	sig, ts = discord.Sign(priv, time.Now(), big)
	if code, _ := post(t, e.URL, big, sig, ts); code != 413 {
		t.Errorf("oversized body: %d", code)
	}
	// A command in a guild with no link is answered with how to set it up.
	cmd, _ := json.Marshal(discord.Interaction{ID: "2", ApplicationID: "1100000000000000001", Type: discord.ApplicationCommand, GuildID: "900000000000000001",
		Member: &discord.Member{User: &discord.User{ID: "1", Username: "u"}, Permissions: "0"}, Token: "t2", Version: 1,
		Data: &discord.Data{Name: "apikey", Type: 1, Options: []discord.Option{{Name: "list", Type: discord.OptionSubCommand}}}})
	sig, ts = discord.Sign(priv, time.Now(), cmd)
	code, body := post(t, e.URL, cmd, sig, ts)
	var resp discord.Response
	if code != 200 || json.Unmarshal([]byte(body), &resp) != nil || resp.Type != discord.ChannelMessageWithSource || resp.Data.Flags != discord.FlagEphemeral {
		t.Fatalf("command: %d %s", code, body)
	}
	// Text the app cannot keep (a NUL, as JSON's \u0000): unsigned, the 401
	// Discord expects; signed, a message the user sees, not a bare 400.
	nul := []byte(strings.Replace(string(cmd), `"u"`, `"u\u0000"`, 1))
	if code, body := post(t, e.URL, nul, "00", ts); code != 401 || !strings.Contains(body, "invalid request signature") {
		t.Errorf("unsigned NUL: %d %s", code, body)
	}
	sig2, ts2 := discord.Sign(priv, time.Now(), nul)
	code, body = post(t, e.URL, nul, sig2, ts2)
	if code != 200 || json.Unmarshal([]byte(body), &resp) != nil || resp.Type != discord.ChannelMessageWithSource ||
		resp.Data.Flags != discord.FlagEphemeral || !strings.Contains(resp.Data.Content, "NUL") {
		t.Errorf("signed NUL: %d %s", code, body)
	}
	// The same signed request again, within the signature's window (a
	// capture replayed): refused, and not run a second time.
	if code, body := post(t, e.URL, cmd, sig, ts); code != 401 || !strings.Contains(body, "received before") {
		t.Errorf("replayed command: %d %s", code, body)
	}
	var runs int
	if err := e.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM bot_interactions WHERE name LIKE '/apikey%'`).Scan(&runs); err != nil || runs != 1 {
		t.Errorf("the command ran %d times (%v), want once", runs, err)
	}
}

func TestInteractionsEndpointOffWithoutConfiguration(t *testing.T) {
	e := servertest.New(t)
	ping := []byte(`{"type":1}`)
	_, priv, _ := ed25519.GenerateKey(nil)
	sig, ts := discord.Sign(priv, time.Now(), ping)
	if code, body := post(t, e.URL, ping, sig, ts); code != 503 || !strings.Contains(body, "DISCORD_APP_ID") {
		t.Fatalf("off: %d %s", code, body)
	}
}
