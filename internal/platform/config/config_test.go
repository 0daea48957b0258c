package config

import (
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != "127.0.0.1:8080" || c.SessionIdle != 30*time.Minute || c.SessionAbsolute != 12*time.Hour || !c.CookieSecure || c.Demo {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestLumoraDNSDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.DNSResolver, c.LumoraSPFInclude, c.LumoraReturnPathLabel, c.LumoraReturnPathHost, c.LumoraDNSRecheck}
	want := []any{"", "spf.lumora.local", "bounces", "return.lumora.local", 6 * time.Hour}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("setting %d = %v, want %v", i, got[i], want[i])
		}
	}
	c, err = Load(env(map[string]string{"DNS_RESOLVER": "[::1]:5353", "LUMORA_SPF_INCLUDE": "SPF.Mail.Example", "LUMORA_DNS_RECHECK": "30m"}))
	if err != nil || c.DNSResolver != "[::1]:5353" || c.LumoraSPFInclude != "spf.mail.example" || c.LumoraDNSRecheck != 30*time.Minute {
		t.Fatalf("set: %+v, %v", c, err)
	}
}

func TestDemoTurnsOffSecureCookieUnlessAsked(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"LUMDESK_DEMO": "1"}))
	if err != nil || c.CookieSecure {
		t.Fatalf("demo: secure=%v err=%v", c.CookieSecure, err)
	}
	c, err = Load(env(map[string]string{"LUMDESK_DEMO": "1", "COOKIE_SECURE": "true"}))
	if err != nil || !c.CookieSecure {
		t.Fatalf("demo+secure: secure=%v err=%v", c.CookieSecure, err)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	t.Parallel()
	for name, val := range map[string]string{
		"LISTEN_ADDR":              "8080",
		"LUMDESK_DEMO":             "maybe",
		"SESSION_IDLE_TIMEOUT":     "-5m",
		"SESSION_ABSOLUTE_TIMEOUT": "forever",
		"MASTER_KEY":               "short",
		"LOG_LEVEL":                "loud",
		"LOG_FORMAT":               "xml",
		"TRUST_PROXY":              "2",
		"METRICS_TOKEN":            "short",
		"METRICS_ADDR":             "9090",
		"DNS_RESOLVER":             "127.0.0.1",
		"LUMORA_SPF_INCLUDE":       "spf_lumora.example",
		"LUMORA_RETURN_PATH_LABEL": "bounces.mail",
		"LUMORA_RETURN_PATH_HOST":  "-return.example",
		"LUMORA_DNS_RECHECK":       "10s",
		"LUMDESK_PPROF":            "kinda",
	} {
		_, err := Load(env(map[string]string{name: val}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err = %v, want one naming the variable", name, val, err)
		}
	}
}

func TestMasterKeyHexAndBase64(t *testing.T) {
	t.Parallel()
	hexKey := strings.Repeat("ab", 32)
	c, err := Load(env(map[string]string{"MASTER_KEY": hexKey}))
	if err != nil || len(c.MasterKey) != 32 || c.MasterKey[0] != 0xab {
		t.Fatalf("hex key: %v %x", err, c.MasterKey)
	}
	c, err = Load(env(map[string]string{"MASTER_KEY": "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="}))
	if err != nil || len(c.MasterKey) != 32 || c.MasterKey[0] != 0xab {
		t.Fatalf("base64 key: %v %x", err, c.MasterKey)
	}
}

func TestMetricsSettings(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil || c.MetricsToken != "" || c.MetricsAddr != "" {
		t.Fatalf("metrics are private by default: %+v %v", c, err)
	}
	c, err = Load(env(map[string]string{"METRICS_TOKEN": "0123456789abcdef", "METRICS_ADDR": "127.0.0.1:9090"}))
	if err != nil || c.MetricsToken != "0123456789abcdef" || c.MetricsAddr != "127.0.0.1:9090" {
		t.Fatalf("metrics settings: %+v %v", c, err)
	}
	if _, err := Load(env(map[string]string{"METRICS_ADDR": "127.0.0.1:8080"})); err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
		t.Fatalf("METRICS_ADDR equal to LISTEN_ADDR: %v", err)
	}
}

func TestReadConcurrency(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil || c.ReadConcurrency != 3*runtime.NumCPU() {
		t.Fatalf("default READ_CONCURRENCY = %d (%v), want 3 a core (%d)", c.ReadConcurrency, err, 3*runtime.NumCPU())
	}
	for v, want := range map[string]int{"0": 0, "1": 1, "64": 64} {
		if c, err := Load(env(map[string]string{"READ_CONCURRENCY": v})); err != nil || c.ReadConcurrency != want {
			t.Errorf("READ_CONCURRENCY=%s: %d, %v", v, c.ReadConcurrency, err)
		}
	}
	for _, v := range []string{"-1", "many", "1.5", "10001"} {
		if _, err := Load(env(map[string]string{"READ_CONCURRENCY": v})); err == nil || !strings.Contains(err.Error(), "READ_CONCURRENCY") {
			t.Errorf("READ_CONCURRENCY=%s: %v, want an error naming it", v, err)
		}
	}
}

func TestPprof(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"LUMDESK_PPROF": "true", "METRICS_ADDR": "127.0.0.1:9090"}))
	if err != nil || !c.Pprof {
		t.Fatalf("LUMDESK_PPROF=true: %v %v", c.Pprof, err)
	}
	if _, err := Load(env(map[string]string{"LUMDESK_PPROF": "true"})); err == nil || !strings.Contains(err.Error(), "LUMDESK_PPROF") {
		t.Fatalf("LUMDESK_PPROF without METRICS_ADDR: %v", err)
	}
}

// The README's Configuration table lists exactly the variables in Vars, plus
// GOMAXPROCS, which the Go runtime reads.
func TestVarsMatchREADME(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section, _, _ := strings.Cut(string(b[strings.Index(string(b), "\n## Configuration\n")+1:]), "\n## ")
	var readme []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)` \\|").FindAllStringSubmatch(section, -1) {
		if m[1] != "GOMAXPROCS" {
			readme = append(readme, m[1])
		}
	}
	var vars []string
	for _, v := range Vars {
		vars = append(vars, v.Name)
	}
	slices.Sort(readme)
	slices.Sort(vars)
	if !slices.Equal(readme, vars) {
		t.Fatalf("README's Configuration table lists\n%v\nconfig.Vars lists\n%v", readme, vars)
	}
}
