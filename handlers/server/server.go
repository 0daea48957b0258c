// Package server wires the domain services and HTTP route groups into one
// Fiber app. cmd/web and the HTTP tests both build the app here, so the tests
// exercise exactly what production serves.
package server

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	accountshttp "lumdesk/handlers/accounts"
	discordapi "lumdesk/handlers/api/discord"
	"lumdesk/handlers/api/luarmor"
	"lumdesk/handlers/api/lumi"
	"lumdesk/handlers/api/lumio"
	"lumdesk/handlers/api/lumira"
	"lumdesk/handlers/api/lumora"
	apikeyshttp "lumdesk/handlers/apikeys"
	audithttp "lumdesk/handlers/audit"
	billinghttp "lumdesk/handlers/billing"
	bothttp "lumdesk/handlers/bot"
	consolehttp "lumdesk/handlers/console"
	licensinghttp "lumdesk/handlers/licensing"
	lumiohttp "lumdesk/handlers/lumio"
	lumirahttp "lumdesk/handlers/lumira"
	lumorahttp "lumdesk/handlers/lumora"
	portalhttp "lumdesk/handlers/portal"
	portalaccount "lumdesk/handlers/portal/account"
	portalbilling "lumdesk/handlers/portal/billing"
	portalbot "lumdesk/handlers/portal/bot"
	portallicensing "lumdesk/handlers/portal/licensing"
	portallumio "lumdesk/handlers/portal/lumio"
	portallumira "lumdesk/handlers/portal/lumira"
	portalmail "lumdesk/handlers/portal/mail"
	staffhttp "lumdesk/handlers/staff"
	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/bot"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/console"
	"lumdesk/internal/customers"
	"lumdesk/internal/demo"
	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
	"lumdesk/internal/mail"
	"lumdesk/internal/mail/outbound"
	"lumdesk/internal/mail/sandbox"
	"lumdesk/internal/mail/templates"
	"lumdesk/internal/mail/webhooks"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/marketplace/blob"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/partition"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/ranking"
	"lumdesk/internal/ranking/roblox"
	"lumdesk/internal/staff"
)

// Services are the domain services of one process.
type Services struct {
	DB      *db.DB
	Box     *secretbox.Box
	Staff   *staff.Service
	Console *console.Service
	Audit   *audit.Service

	Accounts  *accounts.Service
	APIKeys   *apikeys.Service
	Licensing *licensing.Service
	Billing   *billing.Service
	Products  *products.Service
	Mail      *mail.Service      // Lumora: apps, sending domains, messages
	Webhooks  *webhooks.Service  // Lumora: webhook endpoints and signed deliveries
	Templates *templates.Service // Lumora: templates, their versions, rendering for sends
	// MailSandbox is the sandbox inbox Lumora delivers to when
	// LUMORA_SMTP_URL is unset (StartMailSandbox); nil otherwise.
	MailSandbox *sandbox.Server
	Jobs        *jobs.Service // background jobs; cmd/web serve starts the runner
	// Customers are the portal's users, invitations and password resets.
	Customers *customers.Service
	LumiAPI   *lumi.API // the Lumi API; cmd/web serve starts its batch sweeper
	// Marketplace is Lumio: extensions, versions and their review, secrets.
	Marketplace *marketplace.Service
	// Ranking is Lumira: Roblox groups, ladders, rank changes, Discord logs.
	Ranking *ranking.Service
	// Bot is lumdesk's Discord application: the Luarmor panel, Lumira's commands.
	Bot *bot.Service
}

// NewServices builds every domain service over one database.
func NewServices(cfg config.Config, d *db.DB, box *secretbox.Box) *Services {
	s := &Services{
		DB:      d,
		Box:     box,
		Staff:   staff.NewService(d, box, cfg.Demo),
		Console: console.New(d).WithSearchBudget(cfg.SearchBudget),
		Audit:   audit.NewService(d),

		Accounts:  accounts.NewService(d),
		APIKeys:   apikeys.NewService(d, box).WithDefaultDailyCap(cfg.APIDailyCapDefault),
		Licensing: licensing.NewService(d),
		Billing:   billing.NewService(d, box, cfg.BillingApprovalLimit).WithCryptoPay(cfg.CryptoPayURL, cfg.CryptoPayToken),
	}
	// Each area's palette kinds; the registry says which kinds exist.
	s.Console.Register(licensing.Searchers(d)).Register(products.Searchers(d)).Register(mail.Searchers(d)).Register(ranking.Searchers(d))
	s.Jobs = jobs.New(d, s.Licensing)
	s.Products = products.NewService(d, s.Billing, registrar(cfg), nil).WithBox(box)
	s.Jobs.SetAutoRenew(s.Products.AutoRenewJob(cfg.AutoRenewDays))
	s.LumiAPI = lumi.Wire(s.Billing, s.APIKeys, s.Products, nil)
	s.Mail = mail.NewService(d, box, mailResolver(cfg), mail.Settings{SPFInclude: cfg.LumoraSPFInclude,
		ReturnPathLabel: cfg.LumoraReturnPathLabel, ReturnPathHost: cfg.LumoraReturnPathHost, Recheck: cfg.LumoraDNSRecheck, PlatformFrom: cfg.PlatformMailFrom})
	s.Jobs.SetMailRecheck(cfg.LumoraDNSRecheck, s.Mail.RecheckDue)
	s.Webhooks = webhooks.NewService(d, box, webhooks.Settings{AllowPrivate: cfg.WebhookAllowPrivate})
	// Through s.Webhooks when the runner starts, so a test may first swap in
	// a service trusting its own TLS receiver (webhooks.Settings.RootCAs).
	s.Jobs.AddWorkers(func(w *river.Workers) { s.Webhooks.Register(w) })
	s.Templates = templates.NewService(d)
	s.Mail.SetTemplates(s.Templates)
	s.Mail.SetWebhooks(s.Webhooks)
	s.Mail.SetQueue(s.Jobs)
	s.Jobs.SetMailDeliver(s.Mail.Deliver)
	// The portal's mail (invitations, resets) is platform mail through Lumora.
	s.Customers = customers.NewService(d, box, func(ctx context.Context, to, subject, text, html string) error {
		_, err := s.Mail.SendPlatform(ctx, to, subject, text, html)
		return err
	}, cfg.PublicURL)
	if cfg.SMTPURL != "" {
		if err := s.useMailRelay(cfg, cfg.SMTPURL); err != nil {
			slog.Error("Lumora SMTP relay unusable; mail waits in the queue", "err", err)
		}
	}
	s.Marketplace = marketplace.NewService(d, box, marketplace.BlobBundles{Blobs: blobStore(cfg), Limits: cfg.LumioLimits})
	s.Console.Register(marketplace.Searchers(d))
	s.Ranking = ranking.NewService(d, box, ranking.Settings{
		Roblox:     roblox.Settings{APIURL: cfg.RobloxAPIURL, UsersURL: cfg.RobloxUsersURL},
		DiscordURL: cfg.LumiraDiscordURL,
	})
	// Through s.Ranking when the runner starts, so a test may swap it first.
	s.Jobs.AddWorkers(func(w *river.Workers) { s.Ranking.Register(w) })
	s.Jobs.SetLumiraReconcile(0, func(ctx context.Context) (int, error) { return s.Ranking.ReconcileAll(ctx) })
	s.Bot = bot.New(d, botSettings(cfg, box), botREST(cfg), bot.Deps{Licensing: s.Licensing, Ranking: s.Ranking, APIKeys: s.APIKeys})
	s.Jobs.SetBotPrune(s.Bot.Prune)
	s.Jobs.SetAuditVerify(audit.WalkEvery, func(ctx context.Context) error {
		w, ran, err := s.Audit.WalkIfDue(ctx, audit.WalkEvery)
		if err == nil && ran && !w.OK {
			slog.Error("audit chain broken", "event", w.BadID, "problem", w.Problem)
		}
		return err
	})
	s.Jobs.SetPartitions(func(ctx context.Context) (int, error) {
		res, err := partition.Maintain(ctx, d.Pool, time.Now(), cfg.Partitions)
		if res.Changes() > 0 {
			slog.Info("month partitions", "created", res.Created, "removed", res.Removed)
		}
		return res.Changes(), err
	})
	s.Jobs.SetExpireDeposits(func(ctx context.Context) (int, error) {
		// Crypto Pay webhooks that never arrived: credit what it reports paid first.
		if _, err := s.Billing.ReconcileCryptoPay(ctx, audit.System("cryptopay-reconcile"), 1000); err != nil {
			slog.Error("reconcile crypto pay deposits", "err", err)
		}
		return s.Billing.ExpireDeposits(ctx, audit.System("deposit-expiry"), 1000)
	})
	return s
}

// useMailRelay makes Lumora deliver through the SMTP server at url.
func (s *Services) useMailRelay(cfg config.Config, url string) error {
	sender, err := outbound.NewSender(outbound.SenderConfig{URL: url, Concurrency: cfg.SMTPConcurrency})
	if err != nil {
		return err
	}
	s.Mail.SetTransport(sender, cfg.RetryFor)
	return nil
}

// StartMailSandbox starts the sandbox inbox on loopback and delivers Lumora
// mail into it, when LUMORA_SMTP_URL is unset (cmd/web serve; the embedded
// default of make run). It stops with ctx.
func (s *Services) StartMailSandbox(ctx context.Context, cfg config.Config) error {
	if cfg.SMTPURL != "" {
		return nil
	}
	srv, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		return err
	}
	s.MailSandbox = srv
	return s.useMailRelay(cfg, srv.URL())
}

// sandboxInbox is the sandbox inbox's store for the console, nil while
// Lumora delivers through a relay. A func, because the sandbox starts after
// the routes are built (StartMailSandbox).
func (s *Services) sandboxInbox() sandbox.Store {
	if s.MailSandbox == nil {
		return nil
	}
	return s.MailSandbox.Store()
}

// mailResolver is the DNS resolver sending domains are verified through:
// DNS_RESOLVER, else the system's. A machine without a readable
// resolv.conf still starts; its lookups fail and say so on each record
// (a failed lookup never marks a domain failing).
func mailResolver(cfg config.Config) *mail.Resolver {
	r, err := mail.NewResolver(cfg.DNSResolver)
	if err != nil {
		slog.Warn("Lumora DNS checks have no resolver", "err", err)
		r, _ = mail.NewResolver("127.0.0.1:53")
	}
	return r
}

// blobStore is where Lumio bundles are kept: BLOB_URL, else DATA_DIR/blobs.
// A configuration without DATA_DIR (tests building services directly)
// shares one directory under the system's temp dir: the store is
// content-addressed, so sharing it is safe. A store that cannot open
// (config.Load checked the URL's form) is a start-up error in cmd/web,
// which opens it first through the same function; here it is logged.
func blobStore(cfg config.Config) blob.Store {
	dataDir := cfg.DataDir
	if dataDir == "" && cfg.BlobURL == "" {
		dataDir = filepath.Join(os.TempDir(), "lumdesk-test")
	}
	env := map[string]string{"AWS_ACCESS_KEY_ID": cfg.BlobAccessKey, "AWS_SECRET_ACCESS_KEY": cfg.BlobSecretKey}
	st, err := blob.FromURL(cfg.BlobURL, dataDir, func(k string) string { return env[k] })
	if err != nil {
		slog.Error("Lumio blob store unusable; bundle uploads fail", "err", err)
		return brokenStore{err}
	}
	return st
}

// botSettings: Discord when the application's credentials are set, a
// sandbox in demo mode (its signing key derived from the master key, so
// every node of the demo verifies the same one), else off.
func botSettings(cfg config.Config, box *secretbox.Box) bot.Settings {
	set := bot.Settings{Mode: bot.ModeOff, PublicURL: cfg.PublicURL}
	switch {
	case cfg.DiscordConfigured():
		set.Mode, set.AppID = bot.ModeDiscord, cfg.DiscordAppID
		set.PublicKey, _ = discord.ParsePublicKey(cfg.DiscordPublicKey)
	case cfg.Demo && box != nil:
		set.Mode, set.AppID = bot.ModeSandbox, "sandbox"
		set.SandboxKey = ed25519.NewKeyFromSeed(box.Derive("discord-sandbox"))
		set.PublicKey = set.SandboxKey.Public().(ed25519.PublicKey)
	}
	return set
}

// botREST is Discord's REST API when the bot is configured, else nil (the sandbox's).
func botREST(cfg config.Config) discord.REST {
	if !cfg.DiscordConfigured() {
		return nil
	}
	return &discord.HTTPClient{BaseURL: cfg.DiscordAPIURL, Token: cfg.DiscordBotToken, HTTP: &http.Client{Timeout: 10 * time.Second}}
}

// registrar is the HTTP registrar gateway when LUMI_REGISTRAR_URL is set,
// else nil (the sandbox).
func registrar(cfg config.Config) products.Registrar {
	if cfg.RegistrarURL == "" {
		return nil
	}
	return &products.HTTPRegistrar{BaseURL: cfg.RegistrarURL, APIKey: cfg.RegistrarKey, Client: &http.Client{Timeout: 15 * time.Second}}
}

// routeGroups are the dashboard areas and product APIs beyond sign-in.
func (s *Services) routeGroups() []web.RouteGroup {
	bulk := licensinghttp.NewBulk(s.Licensing, s.Jobs)
	portalLuarmor := portallicensing.New(s.Licensing)
	portalLumora := portalmail.New(s.Mail, s.APIKeys).WithTemplates(s.Templates).WithWebhooks(s.Webhooks)
	accounts := accountshttp.New(s.Accounts, s.APIKeys)
	billingDesk := billinghttp.NewDesk(s.Billing, s.Accounts)
	billingDesk.Forecasts = s.Products.ForecastMany
	billingDesk.Holdings = s.Products.Holdings
	portalLumi := portalbilling.New(s.Billing, s.Products, s.Accounts.Names)
	portalLumio := portallumio.New(s.Marketplace)
	portalLumira := portallumira.New(s.Ranking)
	groups := []web.RouteGroup{
		consolehttp.New(s.Console),
		accounts,
		apikeyshttp.New(s.APIKeys),
		audithttp.New(s.Audit),
		staffhttp.NewPages(s.Staff), staffhttp.NewSecurity(s.Staff), staffhttp.NewViews(s.Staff),
		bulk,
		licensinghttp.New(s.Licensing),
		luarmor.New(s.Licensing, s.APIKeys),
		billingDesk,
		billinghttp.NewProducts(s.Products, s.Jobs.EnqueueAutoRenew, s.Accounts.Names),
		s.LumiAPI,
		lumora.New(s.Mail, s.APIKeys).WithTemplates(s.Templates).WithWebhooks(s.Webhooks),
		lumio.New(s.Marketplace, s.APIKeys),
		lumira.New(s.Ranking, s.APIKeys),
		discordapi.New(s.Bot), bothttp.New(s.Bot), portalbot.New(s.Bot),
		lumorahttp.New(s.Mail, s.APIKeys, s.Webhooks, s.sandboxInbox).WithTemplates(s.Templates).WithAccountNames(s.Accounts.Names),
		lumiohttp.New(s.Marketplace),
		lumirahttp.New(s.Ranking, s.Accounts.Names),
		portalaccount.NewTeam(), portalaccount.NewSecurity(), portalaccount.NewAPIKeys(s.APIKeys, s.Mail),
		portalLuarmor, portalLumio, portalLumi, portalLumora, portalLumira,
		// The portal's frame, with each product area (sidebar, home card) in registry order.
		portalhttp.New(portalhttp.AuditActivity(s.Audit), portalLuarmor, portalLumio, portalLumi, portalLumora, portalLumira),
	}
	// Each product's account tab comes from the group that renders it.
	for _, g := range groups {
		if t, ok := g.(accountshttp.AccountTab); ok {
			accounts.AddTab(t)
		}
	}
	return groups
}

// DemoDeps are the services the demo seed goes through.
func (s *Services) DemoDeps() demo.Deps {
	return demo.Deps{DB: s.DB, Staff: s.Staff, Accounts: s.Accounts, APIKeys: s.APIKeys, Licensing: s.Licensing, Billing: s.Billing, Products: s.Products,
		Mail: s.Mail, Templates: s.Templates, Marketplace: s.Marketplace, Ranking: s.Ranking, Bot: s.Bot,
		// Demo portal users accept their invitation at once: nothing is mailed.
		Customers: customers.NewService(s.DB, s.Box, func(context.Context, string, string, string, string) error { return nil }, "")}
}

// NewApp builds the HTTP app.
func NewApp(cfg config.Config, s *Services, log *slog.Logger) (*fiber.App, *web.App) {
	return web.New(web.Deps{
		Config: cfg, DB: s.DB, Staff: s.Staff, Log: log,
		Sessions:       staff.NewSessionStore(s.DB, cfg.CookieSecure, cfg.SessionIdle, cfg.SessionAbsolute),
		Customers:      s.Customers,
		PortalSessions: customers.NewSessionStore(s.DB, cfg.CookieSecure, cfg.SessionIdle, cfg.SessionAbsolute),
		Extra:          s.routeGroups(),
		Collectors:     []prometheus.Collector{newLicensingMetrics(s.Licensing)},
	})
}

// brokenStore answers every call with why the configured store did not open.
type brokenStore struct{ err error }

func (b brokenStore) Put(context.Context, string, io.Reader, int64) error { return b.err }
func (b brokenStore) Open(context.Context, string) (io.ReadCloser, error) { return nil, b.err }
func (b brokenStore) Exists(context.Context, string) (bool, error)        { return false, b.err }
func (b brokenStore) Create(context.Context) (blob.Pending, error)        { return nil, b.err }
