package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/marketplace/pack"
)

// A developer submits a version from the extension's page in the portal: a
// file over the form's limit is refused in the browser with the field's
// message (never a reset connection), a real bundle goes in and waits for
// review.
func TestPortalLumioSubmitVersion(t *testing.T) {
	b := start(t)
	ctx := context.Background()
	acc := b.Env.CreateAccount("Scoreboard Co")
	ext, err := b.Env.Marketplace.CreateExtension(ctx, audit.CLI("e2e"), accounts.Only(acc.ID),
		marketplace.ExtensionInput{Name: "Live Scores", ShortDescription: "Scores as they happen"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	big := filepath.Join(dir, "big.tar.gz")
	if err := os.WriteFile(big, bytes.Repeat([]byte{0x1f}, 5<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "dist")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"manifest.json": `{"name":"live-scores","version":"1.0.0"}`, "index.js": "export default 1\n"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var packed bytes.Buffer
	if err := pack.Pack(&packed, src); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle.tar.gz")
	if err := os.WriteFile(bundle, packed.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	b.portalUser(acc.ID, customers.RoleDeveloper)
	b.open("/portal/lumio/extensions/"+ext.ID, `[data-testid="version-form"]`)
	b.do("choose a 5 MB file", chromedp.SetUploadFiles(chromedp.CSS(`#f-bundle`), []string{big}))
	b.waitVisible(`[data-testid="bundle-too-big"]`)
	if n := eval[int](b, `document.querySelector('#f-bundle').files.length`); n != 0 {
		t.Errorf("the too-big file stays chosen (%d files)", n)
	}
	b.screenshot("too-big")

	b.do("choose the bundle", chromedp.SetUploadFiles(chromedp.CSS(`#f-bundle`), []string{bundle}))
	if eval[bool](b, `!document.querySelector('[data-testid="bundle-too-big"]').hidden`) {
		t.Error("the size message stays after a file that fits")
	}
	b.fill(`[data-testid="version-form"] `, "version", "1.0.0")
	b.fill(`[data-testid="version-form"] `, "changelog", "First release.")
	b.click(`[data-testid="version-submit"]`)
	b.toast(`Version 1\.0\.0 submitted`)
	b.waitVisible(`[data-testid="version-row"][data-status="pending"]`)
	b.screenshot("submitted")
}
