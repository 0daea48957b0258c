package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/marketplace/inspect"
)

// demoVersion is one version of a demo extension: its files, and the
// review it gets (approve at Rollout, reject with Reject, or left pending).
type demoVersion struct {
	Version string
	Files   []inspect.BundleFile
	Rollout int    // > 0: approved at this percentage
	Reject  string // a rejection reason
	DaysAgo int
}

type demoExtension struct {
	Email, Name, Short string
	Pricing            *marketplace.PricingInput
	Public             bool
	Versions           []demoVersion
	Secrets            []string
	Installs           int // install events of the current version
}

func manifest(version string, perms ...string) inspect.BundleFile {
	return inspect.BundleFile{Path: "manifest.json", Body: []byte(`{"name":"demo","version":"` + version + `","permissions":["` +
		strings.Join(perms, `","`) + `"]}`)}
}

func jsFile(path, body string) inspect.BundleFile {
	return inspect.BundleFile{Path: path, Body: []byte(body)}
}

const deployNotesV1 = `// Deploy notes: posts a summary of each deploy.
export function summarize(deploy) {
  const lines = [];
  lines.push("Deployed " + deploy.ref);
  lines.push("By " + deploy.author);
  return lines.join("\n");
}
`

const deployNotesV2 = `// Deploy notes: posts a summary of each deploy.
export function summarize(deploy) {
  const lines = [];
  lines.push("Deployed " + deploy.ref + " to " + deploy.env);
  lines.push("By " + deploy.author);
  if (deploy.duration) {
    lines.push("Took " + deploy.duration + "s");
  }
  return lines.join("\n");
}
`

var demoExtensions = []demoExtension{
	{Email: "team@kestrel.dev", Name: "Kestrel Deploy Notes", Short: "Posts a summary of every deploy to your team's channel.",
		Public: true, Secrets: []string{"SLACK_WEBHOOK_URL"}, Installs: 12,
		Versions: []demoVersion{
			{Version: "1.0.0", Rollout: 100, DaysAgo: 20, Files: []inspect.BundleFile{manifest("1.0.0", "storage"),
				jsFile("src/main.js", deployNotesV1), jsFile("README.md", "# Deploy notes\n"), jsFile("old/legacy.js", "// unused\n")}},
			// Pending: the inspector shows a diff, a removed and added file,
			// a new permission, minified JavaScript and a binary icon.
			{Version: "1.1.0", DaysAgo: 2, Files: []inspect.BundleFile{manifest("1.1.0", "storage", "network"),
				jsFile("src/main.js", deployNotesV2), jsFile("README.md", "# Deploy notes\n"),
				jsFile("vendor/fmt.min.js", "var f=function(a){return "+strings.Repeat("a+", 600)+"a};"),
				{Path: "icon.png", Body: append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 64)...)}}},
		}},
	{Email: "team@kestrel.dev", Name: "Kestrel Metrics", Short: "Build and test metrics on a dashboard.",
		Pricing: &marketplace.PricingInput{Type: marketplace.PricingSubscription, Amount: "9.00", Interval: marketplace.IntervalMonth},
		Public:  true, Secrets: []string{"METRICS_TOKEN", "ORG_ID"}, Installs: 30,
		Versions: []demoVersion{
			{Version: "1.0.0", Rollout: 100, DaysAgo: 40, Files: []inspect.BundleFile{manifest("1.0.0", "storage"), jsFile("index.js", "export const v = 1;\n")}},
			{Version: "2.0.0", Rollout: 25, DaysAgo: 5, Files: []inspect.BundleFile{manifest("2.0.0", "storage"), jsFile("index.js", "export const v = 2;\n")}},
		}},
	{Email: "hello@skyforge.io", Name: "Skyforge Plugin Loader", Short: "Loads Skyforge plugins into your workspace.",
		Pricing: &marketplace.PricingInput{Type: marketplace.PricingOneTime, Amount: "4.99"},
		Versions: []demoVersion{
			{Version: "0.1.0", Reject: "The bundle loads remote code at run time (loader.js fetches and evals a script). Ship the code in the bundle.",
				DaysAgo: 6, Files: []inspect.BundleFile{manifest("0.1.0", "network"), jsFile("loader.js", "fetch(url).then(r => r.text()).then(eval);\n")}},
			{Version: "0.2.0", DaysAgo: 1, Files: []inspect.BundleFile{manifest("0.2.0", "network"), jsFile("loader.js", "import { plugins } from './plugins.js';\nplugins.forEach(p => p.load());\n"),
				jsFile("plugins.js", "export const plugins = [];\n")}},
		}},
	{Email: "ops@nightfall.gg", Name: "Nightfall Hub Bridge", Short: "Links Nightfall Hub keys to your workspace.",
		Public: true, Installs: 8,
		Versions: []demoVersion{
			{Version: "1.0.0", Rollout: 100, DaysAgo: 15, Files: []inspect.BundleFile{manifest("1.0.0", "storage"), jsFile("bridge.js", "export function link() {}\n")}},
		}},
}

// seedLumio adds the demo Lumio extensions once per account (an account
// with an extension is left alone), through marketplace.Service: real
// bundles validated and stored, reviews, secrets and installs.
func seedLumio(ctx context.Context, d Deps) error {
	if d.Marketplace == nil || d.Accounts == nil {
		return nil
	}
	skip := map[int64]bool{}
	for _, x := range demoExtensions {
		acc, err := d.Accounts.GetByEmail(ctx, x.Email)
		if errors.Is(err, accounts.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("demo lumio %s: %w", x.Email, err)
		}
		if _, done := skip[acc.ID]; !done {
			page, err := d.Marketplace.ListExtensions(ctx, marketplace.ListFilter{Scope: accounts.Only(acc.ID), Limit: 1})
			if err != nil {
				return fmt.Errorf("demo lumio %s: %w", x.Email, err)
			}
			skip[acc.ID] = len(page.Extensions) > 0
		}
		if skip[acc.ID] {
			continue
		}
		if err := seedExtension(ctx, d, acc.ID, x); err != nil {
			return fmt.Errorf("demo lumio %s: %w", x.Name, err)
		}
	}
	return nil
}

func seedExtension(ctx context.Context, d Deps, accountID int64, x demoExtension) error {
	now := time.Now().UTC()
	at := now.Add(-time.Duration(x.Versions[0].DaysAgo+1) * 24 * time.Hour)
	svc := d.Marketplace.WithClock(func() time.Time { return at })
	scope := accounts.Only(accountID)
	e, err := svc.CreateExtension(ctx, actor, scope, marketplace.ExtensionInput{Name: x.Name, ShortDescription: x.Short, Pricing: x.Pricing})
	if err != nil {
		return err
	}
	for _, s := range x.Secrets {
		if err := svc.SetSecret(ctx, actor, scope, e.ID, s, "demo-secret-value-"+strings.ToLower(s)); err != nil {
			return err
		}
	}
	var current marketplace.VersionInfo
	for _, v := range x.Versions {
		at = now.Add(-time.Duration(v.DaysAgo) * 24 * time.Hour)
		data, err := inspect.Build(v.Files...)
		if err != nil {
			return err
		}
		got, err := svc.SubmitVersion(ctx, actor, scope, e.ID, marketplace.VersionInput{Version: v.Version,
			Changelog: "Version " + v.Version + ".", Bundle: bytes.NewReader(data)})
		if err != nil {
			return err
		}
		at = at.Add(3 * time.Hour)
		switch {
		case v.Rollout > 0:
			if _, err := svc.Approve(ctx, actor, got.ID, v.Rollout); err != nil {
				return err
			}
			current = got
		case v.Reject != "":
			if _, err := svc.Reject(ctx, actor, got.ID, v.Reject); err != nil {
				return err
			}
		}
	}
	if x.Public && current.ID != "" {
		pub := marketplace.VisibilityPublic
		if _, err := svc.UpdateExtension(ctx, actor, scope, e.ID, marketplace.ExtensionPatch{Visibility: &pub}); err != nil {
			return err
		}
	}
	if x.Installs > 0 && current.ID != "" {
		var events []marketplace.InstallEvent
		for i := range x.Installs {
			events = append(events, marketplace.InstallEvent{InstallID: fmt.Sprintf("demo-%s-%d", e.Slug, i), ExtensionID: e.ID,
				VersionID: current.ID, Event: marketplace.EventInstall, At: now.Add(-time.Duration(i%14) * 24 * time.Hour)})
		}
		// The extensions stand without their installs if recording fails.
		if _, err := d.Marketplace.RecordInstallEvents(ctx, actor, accounts.AllAccounts, events); err != nil {
			slog.Warn("demo lumio installs not recorded", "extension", e.Slug, "err", err)
		}
	}
	return nil
}
