// Package config reads lumdesk's settings from environment variables.
// Every variable has a default; a bad value stops start-up with an error that
// names the variable.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"lumdesk/internal/marketplace/bundle"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/platform/partition"
)

// Config is the whole runtime configuration.
type Config struct {
	DatabaseURL     string        // DATABASE_URL; empty: find or start a local server
	ReplicaURL      string        // DATABASE_REPLICA_URL: a streaming replica list pages may read from; empty: none
	ListenAddr      string        // LISTEN_ADDR
	PublicURL       string        // PUBLIC_URL: the site's address as users reach it, for links in mail
	DataDir         string        // DATA_DIR: private Postgres cluster, generated master key
	MasterKey       []byte        // MASTER_KEY: 32 bytes, hex or base64; empty: generated under DATA_DIR
	Demo            bool          // LUMDESK_DEMO: demo banner, TOTP not enforced, plain-HTTP cookies
	CookieSecure    bool          // COOKIE_SECURE: Secure + __Host- cookie (default true, false in demo)
	SessionIdle     time.Duration // SESSION_IDLE_TIMEOUT
	SessionAbsolute time.Duration // SESSION_ABSOLUTE_TIMEOUT
	TrustProxy      bool          // TRUST_PROXY: take the client IP from X-Forwarded-For
	LogLevel        string        // LOG_LEVEL: debug, info, warn, error
	LogFormat       string        // LOG_FORMAT: json or text
	// READ_CONCURRENCY: reads (GET and HEAD: pages, lists, searches) served
	// at once; the others wait in line, first come first served (default 3
	// a core; 0: no line). See handlers/web/admit.go.
	ReadConcurrency int

	BillingApprovalLimit money.Cents // BILLING_APPROVAL_LIMIT: larger manual money moves need a second finance user
	APIEnabled           bool        // API_ENABLED: the Lumi API answers (off: 503 api_disabled)
	APIMoneyEnabled      bool        // API_MONEY_ENABLED: Lumi API money operations (off: 403 money_disabled)
	APIDailyCapDefault   money.Cents // API_DAILY_CAP_DEFAULT: daily USD cap of Lumi keys issued without one (0: none)
	AutoRenewDays        int         // AUTO_RENEW_DAYS: auto-renew Lumi products this many days before expiry
	RegistrarURL         string      // LUMI_REGISTRAR_URL: registrar gateway base URL; empty: the sandbox registrar
	RegistrarKey         string      // LUMI_REGISTRAR_KEY: the gateway's API key (required with the URL)

	MetricsToken   string // METRICS_TOKEN: /metrics answers only with "Authorization: Bearer <token>"
	MetricsAddr    string // METRICS_ADDR: a separate listener serving /metrics only (no token needed there)
	Pprof          bool   // LUMDESK_PPROF: the METRICS_ADDR listener also serves Go's profiles
	CryptoPayURL   string // CRYPTOPAY_API_URL: Crypto Pay API base (mainnet by default)
	CryptoPayToken string // CRYPTOPAY_TOKEN: Crypto Pay app token; empty: cryptobot deposits are a sandbox

	SearchBudget time.Duration // SEARCH_BUDGET: how long the palette waits for a kind's partial matches
	CheckCache   bool          // LICENSING_CHECK_CACHE: the loader check answers from a per-node cache
	// Partitions is every month-partitioned history table with its
	// retention (RETENTION_<TABLE>_MONTHS, read by partition.FromEnv).
	Partitions []partition.Table

	DNSResolver           string        // DNS_RESOLVER: host:port Lumora's DNS checks ask; empty: the first nameserver of /etc/resolv.conf
	LumoraSPFInclude      string        // LUMORA_SPF_INCLUDE: the include: sending domains add to their SPF record
	LumoraReturnPathLabel string        // LUMORA_RETURN_PATH_LABEL: the label of the return-path CNAME under a sending domain
	LumoraReturnPathHost  string        // LUMORA_RETURN_PATH_HOST: where the return-path CNAME points
	LumoraDNSRecheck      time.Duration // LUMORA_DNS_RECHECK: how often verified sending domains are checked again
	// Lumora delivery (read by loadMailDelivery in mail_delivery.go).
	SMTPURL          string        // LUMORA_SMTP_URL: smtp:// or smtps:// relay; empty: the sandbox inbox
	SMTPConcurrency  int           // LUMORA_SMTP_CONCURRENCY: SMTP connections open at once
	RetryFor         time.Duration // LUMORA_RETRY_FOR: how long deferred mail is retried before it fails
	PlatformMailFrom string        // PLATFORM_MAIL_FROM: sender of lumdesk's own mail
	// Lumora webhooks (read by loadWebhooks in webhooks.go).
	WebhookAllowPrivate bool // WEBHOOK_ALLOW_PRIVATE: webhook URLs may be plain http and reach non-public addresses
	// Lumio bundles (read by loadLumio in lumio.go).
	LumioLimits   bundle.Limits // LUMIO_MAX_BUNDLE sets the compressed size; the others are the spec's
	BlobURL       string        // BLOB_URL: s3://bucket?endpoint=…&region=… or file:///dir; empty: DATA_DIR/blobs
	BlobAccessKey string        // AWS_ACCESS_KEY_ID, for an s3 BLOB_URL
	BlobSecretKey string        // AWS_SECRET_ACCESS_KEY, for an s3 BLOB_URL
	// Lumira (read by loadLumira in lumira.go).
	RobloxAPIURL     string // ROBLOX_API_URL: Roblox Open Cloud's base
	RobloxUsersURL   string // ROBLOX_USERS_URL: Roblox's users API (username lookups)
	LumiraDiscordURL string // LUMIRA_DISCORD_URL: a base URL webhook URLs may point at besides discord.com
	// The Discord bot (read by loadDiscord in discord.go).
	DiscordAppID     string // DISCORD_APP_ID
	DiscordPublicKey string // DISCORD_PUBLIC_KEY: hex Ed25519 key interactions are verified against
	DiscordBotToken  string // DISCORD_BOT_TOKEN
	DiscordAPIURL    string // DISCORD_API_URL
}

// Var documents one environment variable.
type Var struct{ Name, Default, Doc string }

// Vars lists every variable lumdesk reads. The README's Configuration table
// says the same in its own words; TestVarsMatchREADME keeps the two lists of
// names in step.
var Vars = []Var{
	{"DATABASE_URL", "(auto)", "Postgres URL. Unset: 127.0.0.1:5432, then the default socket, else a private cluster under DATA_DIR/pg."},
	{"DATABASE_REPLICA_URL", "(none)", "Postgres URL of a streaming replica of DATABASE_URL. Console and portal list pages, searches and CSV exports read from it once it has replayed the browser's last write; while it is behind that or unreachable they read the primary."},
	{"LISTEN_ADDR", "127.0.0.1:8080", "Address the HTTP server listens on."},
	{"PUBLIC_URL", "http://<LISTEN_ADDR>", "The site's address as users reach it (https://desk.example.com): the base of links in mail (portal invitations, password resets)."},
	{"DATA_DIR", ".data", "Directory for the private Postgres cluster and the generated master key."},
	{"MASTER_KEY", "(generated)", "32-byte key (hex or base64) that seals stored secrets. Unset: generated once into DATA_DIR/master.key."},
	{"LUMDESK_DEMO", "false", "Demo mode: banner, TOTP not enforced, session cookie allowed over plain HTTP."},
	{"COOKIE_SECURE", "true (false in demo)", "Send the session cookie as Secure with the __Host- prefix."},
	{"SESSION_IDLE_TIMEOUT", "30m", "A session ends after this long without a request."},
	{"SESSION_ABSOLUTE_TIMEOUT", "12h", "A session ends this long after sign-in, whatever happens."},
	{"SEARCH_BUDGET", "80ms", "How long the Cmd/Ctrl+K palette waits for a kind's partial matches; a late kind shows its exact hits and a link to its list."},
	{"LICENSING_CHECK_CACHE", "true", "The Luarmor loader check answers from a per-node in-memory cache kept coherent across nodes by Postgres LISTEN/NOTIFY (a ban or reset is seen by the node that made it at once, by the others within milliseconds); false reads the database for every check."},
	{"RETENTION_AUDIT_EVENTS_MONTHS", "0", "Months of audit history kept (0: forever). Older whole months are detached from audit_events (left as plain tables audit_events_YYYY_MM to archive and drop); `lumdesk audit verify` then starts at the oldest remaining event."},
	{"RETENTION_MAIL_EVENTS_MONTHS", "12", "Months of Lumora delivery events kept (0: forever); older whole months are dropped by the daily partitions job."},
	{"RETENTION_LICENSE_KEY_DAILY_EXECUTIONS_MONTHS", "24", "Months of per-key daily execution counts kept (0: forever); older whole months are dropped."},
	{"RETENTION_LICENSING_PROJECT_DAILY_EXECUTIONS_MONTHS", "24", "Months of per-project daily execution counts kept (0: forever); older whole months are dropped."},
	{"RETENTION_MARKETPLACE_INSTALL_EVENTS_MONTHS", "12", "Months of Lumio's raw install reports kept (0: forever); older whole months are dropped. The install counts and charts are kept apart and stay."},
	{"RETENTION_LUMIRA_ACTIONS_MONTHS", "24", "Months of Lumira rank actions kept (0: forever), the member pages' history; older whole months are dropped."},
	{"READ_CONCURRENCY", "3 a core", "Reads (GET and HEAD) served at once; the others wait in line, first come first served (0: no line)."},
	{"TRUST_PROXY", "false", "Take the client IP from X-Forwarded-For (only behind a reverse proxy)."},
	{"LOG_LEVEL", "info", "debug, info, warn or error."},
	{"LOG_FORMAT", "json", "json or text."},
	{"BILLING_APPROVAL_LIMIT", "500.00", "Manual top-ups and adjustments above this USD amount wait for a second finance user's approval."},
	{"API_ENABLED", "true", "Serve the Lumi reseller API under /api/lumi; false answers 503 api_disabled (healthz stays up)."},
	{"API_MONEY_ENABLED", "true", "Allow Lumi API money operations (deposits, buy, renew); false answers 403 money_disabled."},
	{"API_DAILY_CAP_DEFAULT", "(none)", "Daily USD spend cap of reseller Lumi API keys issued without their own cap, e.g. 500.00; resets at 00:00 UTC."},
	{"AUTO_RENEW_DAYS", "7", "The daily auto-renew job renews Lumi domains, VPS and proxies expiring within this many days (0-365)."},
	{"LUMI_REGISTRAR_URL", "(sandbox)", "Base URL (http or https) of the registrar gateway Lumi domains go to. Unset: the offline sandbox registrar."},
	{"LUMI_REGISTRAR_KEY", "(none)", "API key sent as a Bearer token to LUMI_REGISTRAR_URL; required when the URL is set."},
	{"METRICS_TOKEN", "(none)", "Serve /metrics on LISTEN_ADDR to requests with \"Authorization: Bearer <token>\" (at least 16 characters). Unset: /metrics there answers 404."},
	{"METRICS_ADDR", "(none)", "Address of a separate listener that serves only /metrics, without a token (keep it private, e.g. 127.0.0.1:9090)."},
	{"LUMDESK_PPROF", "false", "true: the METRICS_ADDR listener also serves Go's profiles under /debug/pprof/ (benchmarks)."},
	{"CRYPTOPAY_API_URL", "https://pay.crypt.bot/api", "Crypto Pay API base for cryptobot deposits; the testnet is https://testnet-pay.crypt.bot/api."},
	{"CRYPTOPAY_TOKEN", "(sandbox)", "Crypto Pay app token (from @CryptoBot or @CryptoTestnetBot). Unset: cryptobot deposits run as a labelled sandbox."},
	{"DNS_RESOLVER", "(system)", "host:port of the DNS resolver Lumora asks when it verifies sending domains. Unset: the first nameserver in /etc/resolv.conf."},
	{"LUMORA_SPF_INCLUDE", "spf.lumora.local", "The host sending domains must include in their SPF record (v=spf1 include:<host> ~all)."},
	{"LUMORA_RETURN_PATH_LABEL", "bounces", "The label of the return-path CNAME under a sending domain (bounces.example.com)."},
	{"LUMORA_RETURN_PATH_HOST", "return.lumora.local", "Where the return-path CNAME of a sending domain must point."},
	{"LUMORA_DNS_RECHECK", "6h", "How often verified sending domains are checked again; one whose records stop verifying becomes failing and may send for 72 hours more."},
	// Lumora delivery.
	{"LUMORA_SMTP_URL", "(sandbox)", "SMTP relay for Lumora mail: smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465 (implicit TLS). Unset: the in-process sandbox inbox on loopback."},
	{"LUMORA_SMTP_CONCURRENCY", "4", "SMTP connections open at once to the relay (1-64); they are reused across messages."},
	{"LUMORA_RETRY_FOR", "24h", "Deferred (4xx) mail is retried with backoff for this long (at most 168h), then marked failed."},
	{"PLATFORM_MAIL_FROM", "lumdesk@localhost", "Sender address of lumdesk's own mail (invitations, password resets, alerts); needs no verified domain."},
	{"LUMIO_MAX_BUNDLE", "25MiB", "Largest Lumio bundle upload (compressed), in bytes or with a KiB, MiB or GiB suffix."},
	{"BLOB_URL", "(DATA_DIR/blobs)", "Where Lumio bundles are stored, by sha256: s3://bucket?endpoint=https://…&region=… (an S3-compatible bucket several servers share; credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) or file:///dir."},
	{"ROBLOX_API_URL", "https://apis.roblox.com", "Roblox Open Cloud base URL Lumira's groups are ranked through (x-api-key; 300 requests a minute per key, shared by every server process)."},
	{"ROBLOX_USERS_URL", "https://users.roblox.com", "Roblox users API base URL Lumira looks usernames up on."},
	{"LUMIRA_DISCORD_URL", "https://discord.com", "Another base URL Lumira's Discord webhook URLs may point at (tests, a proxy); https://discord.com and discordapp.com webhooks are always accepted."},
	{"DISCORD_APP_ID", "(bot off)", "lumdesk's Discord application id. With DISCORD_PUBLIC_KEY and DISCORD_BOT_TOKEN it turns the bot on: point the application's Interactions Endpoint URL at PUBLIC_URL/api/discord/interactions and run `lumdesk discord register-commands`. Unset: the bot is off (a labelled sandbox in demo mode)."},
	{"DISCORD_PUBLIC_KEY", "(none)", "The application's public key (64 hex characters) that every interaction's X-Signature-Ed25519 is verified against."},
	{"DISCORD_BOT_TOKEN", "(none)", "The bot's token, for registering commands."},
	{"DISCORD_API_URL", "https://discord.com/api/v10", "Discord's REST API base (tests, a proxy)."},
	{"WEBHOOK_ALLOW_PRIVATE", "false", "Let Lumora webhook URLs be plain http and reach loopback, private, link-local and other non-public addresses (tests, local development). Off: https only, public addresses only, checked again at every connection."},
}

// Load reads the configuration through getenv (os.Getenv in production).
func Load(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var c Config
	var err error
	c.DatabaseURL = get("DATABASE_URL", "")
	c.ReplicaURL = get("DATABASE_REPLICA_URL", "") // parsed when the pool opens, as DATABASE_URL
	c.ListenAddr = get("LISTEN_ADDR", "127.0.0.1:8080")
	if _, _, e := net.SplitHostPort(c.ListenAddr); e != nil {
		return c, fmt.Errorf("LISTEN_ADDR: %q is not host:port", c.ListenAddr)
	}
	c.PublicURL = strings.TrimRight(get("PUBLIC_URL", "http://"+c.ListenAddr), "/")
	if u, e := url.Parse(c.PublicURL); e != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return c, fmt.Errorf("PUBLIC_URL: %q is not an http(s) base URL", c.PublicURL)
	}
	c.DataDir = get("DATA_DIR", ".data")
	if c.Demo, err = parseBool("LUMDESK_DEMO", get("LUMDESK_DEMO", "false")); err != nil {
		return c, err
	}
	if c.CookieSecure, err = parseBool("COOKIE_SECURE", get("COOKIE_SECURE", strconv.FormatBool(!c.Demo))); err != nil {
		return c, err
	}
	if c.TrustProxy, err = parseBool("TRUST_PROXY", get("TRUST_PROXY", "false")); err != nil {
		return c, err
	}
	if c.SessionIdle, err = parseDuration("SESSION_IDLE_TIMEOUT", get("SESSION_IDLE_TIMEOUT", "30m")); err != nil {
		return c, err
	}
	if c.SearchBudget, err = parseDuration("SEARCH_BUDGET", get("SEARCH_BUDGET", "80ms")); err != nil {
		return c, err
	}
	if c.CheckCache, err = parseBool("LICENSING_CHECK_CACHE", get("LICENSING_CHECK_CACHE", "true")); err != nil {
		return c, err
	}
	if c.Partitions, err = partition.FromEnv(func(name string) string { return get(name, "") }); err != nil {
		return c, err
	}
	if c.SessionAbsolute, err = parseDuration("SESSION_ABSOLUTE_TIMEOUT", get("SESSION_ABSOLUTE_TIMEOUT", "12h")); err != nil {
		return c, err
	}
	if c.SessionIdle > c.SessionAbsolute {
		return c, fmt.Errorf("SESSION_IDLE_TIMEOUT (%s) must not exceed SESSION_ABSOLUTE_TIMEOUT (%s)", c.SessionIdle, c.SessionAbsolute)
	}
	if v := get("MASTER_KEY", ""); v != "" {
		if c.MasterKey, err = ParseKey(v); err != nil {
			return c, fmt.Errorf("MASTER_KEY: %w", err)
		}
	}
	c.LogLevel = get("LOG_LEVEL", "info")
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel)
	}
	c.LogFormat = get("LOG_FORMAT", "json")
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return c, fmt.Errorf("LOG_FORMAT: %q is not json or text", c.LogFormat)
	}
	reads := get("READ_CONCURRENCY", strconv.Itoa(3*runtime.NumCPU()))
	if c.ReadConcurrency, err = strconv.Atoi(reads); err != nil || c.ReadConcurrency < 0 || c.ReadConcurrency > 10000 {
		return c, fmt.Errorf("READ_CONCURRENCY: %q is not a number of requests from 0 (no limit) to 10000", reads)
	}
	limit := get("BILLING_APPROVAL_LIMIT", "500.00")
	if c.BillingApprovalLimit, err = money.Parse(limit); err != nil || c.BillingApprovalLimit < 0 {
		return c, fmt.Errorf("BILLING_APPROVAL_LIMIT: %q is not a USD amount like 500.00", limit)
	}
	if c.APIEnabled, err = parseBool("API_ENABLED", get("API_ENABLED", "true")); err != nil {
		return c, err
	}
	if c.APIMoneyEnabled, err = parseBool("API_MONEY_ENABLED", get("API_MONEY_ENABLED", "true")); err != nil {
		return c, err
	}
	if v := get("API_DAILY_CAP_DEFAULT", ""); v != "" {
		if c.APIDailyCapDefault, err = money.Parse(v); err != nil || c.APIDailyCapDefault <= 0 {
			return c, fmt.Errorf("API_DAILY_CAP_DEFAULT: %q is not a positive USD amount like 500.00", v)
		}
	}
	days := get("AUTO_RENEW_DAYS", "7")
	if c.AutoRenewDays, err = strconv.Atoi(days); err != nil || c.AutoRenewDays < 0 || c.AutoRenewDays > 365 {
		return c, fmt.Errorf("AUTO_RENEW_DAYS: %q is not a number of days from 0 to 365", days)
	}
	c.RegistrarURL, c.RegistrarKey = get("LUMI_REGISTRAR_URL", ""), get("LUMI_REGISTRAR_KEY", "")
	if c.RegistrarURL != "" {
		u, e := url.Parse(c.RegistrarURL)
		if e != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return c, fmt.Errorf("LUMI_REGISTRAR_URL: %q is not an http(s) base URL like https://registrar.example.com/v1", c.RegistrarURL)
		}
		if c.RegistrarKey == "" {
			return c, fmt.Errorf("LUMI_REGISTRAR_KEY: required when LUMI_REGISTRAR_URL is set")
		}
	} else if c.RegistrarKey != "" {
		return c, fmt.Errorf("LUMI_REGISTRAR_KEY: set without LUMI_REGISTRAR_URL")
	}
	c.MetricsToken, c.MetricsAddr = get("METRICS_TOKEN", ""), get("METRICS_ADDR", "")
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return c, fmt.Errorf("METRICS_TOKEN: must be at least 16 characters")
	}
	if c.MetricsAddr != "" {
		if _, _, e := net.SplitHostPort(c.MetricsAddr); e != nil {
			return c, fmt.Errorf("METRICS_ADDR: %q is not host:port", c.MetricsAddr)
		}
		if c.MetricsAddr == c.ListenAddr {
			return c, fmt.Errorf("METRICS_ADDR: must differ from LISTEN_ADDR (%s)", c.ListenAddr)
		}
	}
	if c.Pprof, err = parseBool("LUMDESK_PPROF", get("LUMDESK_PPROF", "false")); err != nil {
		return c, err
	}
	if c.Pprof && c.MetricsAddr == "" {
		// The profiles are served on the private listener only.
		return c, fmt.Errorf("LUMDESK_PPROF: needs METRICS_ADDR, the listener that serves the profiles")
	}
	c.CryptoPayURL, c.CryptoPayToken = strings.TrimSuffix(get("CRYPTOPAY_API_URL", "https://pay.crypt.bot/api"), "/"), get("CRYPTOPAY_TOKEN", "")
	if u, e := url.Parse(c.CryptoPayURL); e != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return c, fmt.Errorf("CRYPTOPAY_API_URL: %q is not an http(s) base URL like https://pay.crypt.bot/api", c.CryptoPayURL)
	}
	// The resolver file is read when the mail service starts, not here:
	// loading the configuration stays independent of the machine.
	c.DNSResolver = get("DNS_RESOLVER", "")
	if c.DNSResolver != "" {
		if _, port, e := net.SplitHostPort(c.DNSResolver); e != nil || port == "" {
			return c, fmt.Errorf("DNS_RESOLVER: %q is not host:port like 127.0.0.1:53", c.DNSResolver)
		}
	}
	c.LumoraSPFInclude = strings.ToLower(get("LUMORA_SPF_INCLUDE", "spf.lumora.local"))
	if !isHostname(c.LumoraSPFInclude) {
		return c, fmt.Errorf("LUMORA_SPF_INCLUDE: %q is not a host name like spf.example.com", c.LumoraSPFInclude)
	}
	c.LumoraReturnPathLabel = strings.ToLower(get("LUMORA_RETURN_PATH_LABEL", "bounces"))
	if strings.Contains(c.LumoraReturnPathLabel, ".") || !isHostname(c.LumoraReturnPathLabel) {
		return c, fmt.Errorf("LUMORA_RETURN_PATH_LABEL: %q is not one DNS label like bounces", c.LumoraReturnPathLabel)
	}
	c.LumoraReturnPathHost = strings.ToLower(get("LUMORA_RETURN_PATH_HOST", "return.lumora.local"))
	if !isHostname(c.LumoraReturnPathHost) {
		return c, fmt.Errorf("LUMORA_RETURN_PATH_HOST: %q is not a host name like return.example.com", c.LumoraReturnPathHost)
	}
	if c.LumoraDNSRecheck, err = parseDuration("LUMORA_DNS_RECHECK", get("LUMORA_DNS_RECHECK", "6h")); err != nil {
		return c, err
	}
	if c.LumoraDNSRecheck < time.Minute {
		return c, fmt.Errorf("LUMORA_DNS_RECHECK: %s is shorter than a minute; DNS changes slower than that", c.LumoraDNSRecheck)
	}
	if err := loadMailDelivery(&c, get); err != nil {
		return c, err
	}
	if err := loadWebhooks(&c, get); err != nil {
		return c, err
	}
	if err := loadLumio(&c, get); err != nil {
		return c, err
	}
	if err := loadLumira(&c, get); err != nil {
		return c, err
	}
	if err := loadDiscord(&c, get); err != nil {
		return c, err
	}
	return c, nil
}

// isHostname reports whether s is an ASCII host name: labels of letters,
// digits and inner hyphens, at most 253 characters in all.
func isHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// ParseKey decodes a 32-byte key given as 64 hex digits or base64.
func ParseKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, fmt.Errorf("want 32 bytes as 64 hex digits or base64")
}

func parseBool(name, v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: %q is not true or false", name, v)
	}
	return b, nil
}

func parseDuration(name, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive duration like 30m or 12h", name, v)
	}
	return d, nil
}
