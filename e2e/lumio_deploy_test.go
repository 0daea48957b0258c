package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/platform/syncbuf"
)

// A developer deploys a version with `lumio deploy --wait` and its own key;
// staff open it from the review queue in the inspector, approve it at 10%
// (the waiting CLI exits 0) and raise it to 100%; installs the store
// reports through the API show on the extension's chart.
func TestLumioDeployReviewAndInstalls(t *testing.T) {
	b := start(t)
	ctx := context.Background()
	actor := audit.CLI("e2e")

	// The lumio CLI as users run it: built from cmd/lumio.
	bin := filepath.Join(t.TempDir(), "lumio")
	if out, err := exec.Command("go", "build", "-o", bin, "lumdesk/cmd/lumio").CombinedOutput(); err != nil {
		t.Fatalf("build lumio: %v\n%s", err, out)
	}
	acct, err := b.Env.Accounts.Create(ctx, actor, accounts.CreateInput{Name: "Scoreboard Labs", Email: "dev@scoreboard.test"})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := b.Env.APIKeys.Create(ctx, actor, apikeys.CreateInput{Product: apikeys.Lumio, AccountID: &acct.ID,
		Scopes: []string{"extensions:read", "extensions:write"}})
	if err != nil {
		t.Fatal(err)
	}
	store, err := b.Env.APIKeys.Create(ctx, actor, apikeys.CreateInput{Product: apikeys.Lumio, Operator: true, Name: "store backend"})
	if err != nil {
		t.Fatal(err)
	}
	ext, err := b.Env.Marketplace.CreateExtension(ctx, actor, accounts.Only(acct.ID), marketplace.ExtensionInput{
		Name: "Sports Scoreboard", ShortDescription: "Live scores in the toolbar."})
	if err != nil {
		t.Fatal(err)
	}
	dist := t.TempDir()
	for name, body := range map[string]string{
		"manifest.json": `{"name": "Sports Scoreboard", "version": "1.3.0", "permissions": ["storage"]}`,
		"index.js":      "export function score(a, b) {\n  return `${a} : ${b}`;\n}\n",
		"icons/16.png":  "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
	} {
		p := filepath.Join(dist, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The deploy waits for the review while staff work in the browser.
	deployCtx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	cmd := exec.CommandContext(deployCtx, bin, "deploy", "--extension", ext.ID, "--version", "1.3.0",
		"--changelog", "Overtime scores.", "--dir", dist, "--wait", "--interval", "200ms")
	cmd.Env = append(os.Environ(), "LUMIO_API_KEY="+dev.Secret, "LUMIO_API_URL="+b.Env.URL+"/api/lumio/developer/v1")
	var stdout, stderr syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	b.staff("admin")
	// The queue lists the upload once the CLI has sent it.
	deadline := time.Now().Add(30 * time.Second)
	for {
		b.open("/lumio/review", "#main")
		if strings.Contains(b.text("#main"), "Sports Scoreboard") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the review queue never listed the upload; lumio said %q %q", stdout.String(), stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.click(`#main a[href^="/lumio/versions/ver_"]`)
	verPath := b.waitPath(`^/lumio/versions/ver_[a-z2-7]{16}$`)
	verID := strings.TrimPrefix(verPath, "/lumio/versions/")
	// The inspector: the files of the bundle, and what it flags.
	files := b.text(`#main`)
	for _, want := range []string{"manifest.json", "index.js", "icons/16.png", "1.3.0"} {
		if !strings.Contains(files, want) {
			t.Errorf("the inspector does not show %q", want)
		}
	}
	b.screenshot("inspector")

	b.fill(`[data-testid="approve-form"] `, "rollout_percent", "10")
	b.click(`[data-testid="approve"]`)
	b.waitText(`[data-testid="version-status"]`, `(?i)approved`)
	b.waitVisible(`[data-testid="rollout-form"]`)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("lumio deploy --wait: %v\n%s%s", err, stdout.String(), stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("lumio deploy --wait still waits after the approval: %q", stdout.String())
	}
	if !strings.Contains(stdout.String(), verID) || !regexp.MustCompile(`(?i)approved`).MatchString(stdout.String()) {
		t.Errorf("lumio deploy --wait printed %q: want the version id %s and that it was approved", stdout.String(), verID)
	}
	v, err := b.Env.Marketplace.GetVersion(ctx, accounts.AllAccounts, verID)
	if err != nil || v.RolloutPercent != 10 {
		t.Fatalf("approved at %d%% (%v), want 10%%", v.RolloutPercent, err)
	}
	b.fill(`[data-testid="rollout-form"] `, "rollout_percent", "100")
	b.click(`[data-testid="set-rollout"]`)
	b.waitText(`#main`, `served to 100% of installs`)
	if v, err = b.Env.Marketplace.GetVersion(ctx, accounts.AllAccounts, verID); err != nil || v.RolloutPercent != 100 {
		t.Fatalf("rollout %d%% (%v), want 100%%", v.RolloutPercent, err)
	}

	// The store reports three installs and one uninstall.
	var events []map[string]string
	at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	for i, ev := range []string{"install", "install", "install", "uninstall"} {
		id := fmt.Sprint("browser-", min(i, 2))
		events = append(events, map[string]string{"installId": id, "extensionId": ext.ID, "versionId": verID, "event": ev, "at": at})
	}
	body, _ := json.Marshal(map[string]any{"events": events})
	req, _ := http.NewRequest("POST", b.Env.URL+"/api/lumio/v1/installs/events", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+store.Secret)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("install events: %d", res.StatusCode)
	}

	b.click(`[data-testid="extension-link"]`)
	b.waitPath(`^/lumio/extensions/` + ext.ID + `$`)
	b.waitText(`[data-testid="extension-installs"]`, `^3`)
	chart := b.text(`[data-testid="installs-chart"]`)
	if !strings.Contains(chart, "1.3.0") || !strings.Contains(chart, "2") {
		t.Errorf("installs chart %q: want version 1.3.0 with 2 active installs", chart)
	}
	if got := b.text(`[data-testid="current-version"]`); !strings.Contains(got, "1.3.0") {
		t.Errorf("current version %q", got)
	}
	b.screenshot("extension")
}
