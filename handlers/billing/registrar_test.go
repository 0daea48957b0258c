package billing_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/platform/config"
)

// With LUMI_REGISTRAR_URL set the server talks to the HTTP registrar (15 s
// timeout) and the domain pages drop the "Sandbox registrar" badge; the
// VPS/proxy provisioner is still the sandbox and says so.
func TestLumiHTTPRegistrarHidesSandboxBadge(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, func(c *config.Config) {
		c.RegistrarURL, c.RegistrarKey = "https://registrar.invalid/v1", "k-test"
	})
	reg, ok := env.Products.Registrar().(*products.HTTPRegistrar)
	if !ok || reg.BaseURL != "https://registrar.invalid/v1" || reg.APIKey != "k-test" || reg.Client == nil || reg.Client.Timeout != 15*time.Second {
		t.Fatalf("registrar = %#v", env.Products.Registrar())
	}
	acc := billAccount(t, env, "Real Registrar", "real@example.com")
	var id int64
	if err := env.DB.Pool.QueryRow(context.Background(), `INSERT INTO lumi_domains (account_id, name, status, expires_at)
		VALUES ($1, 'real.com', 'active', now() + interval '1 year') RETURNING id`, acc.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	c := env.As("finance")
	for _, path := range []string{"/lumi/domains", "/lumi/prices", "/lumi/domains/" + lid(id)} {
		r := c.Get(path)
		if r.Status != http.StatusOK || r.Has(`[data-testid="sandbox-badge"]`) {
			t.Errorf("%s: status %d, sandbox badge shown: %v", path, r.Status, r.Has(`[data-testid="sandbox-badge"]`))
		}
	}
	if r := c.Get("/lumi/vps"); !r.Has(`[data-testid="sandbox-provisioner-badge"]`) || r.Has(`[data-testid="sandbox-badge"]`) {
		t.Error("/lumi/vps: want the provisioner badge only")
	}
	// Unset: the sandbox, labelled.
	plain := servertest.New(t)
	if !plain.Products.Registrar().Sandbox() {
		t.Fatal("default registrar is not the sandbox")
	}
	if r := plain.As("finance").Get("/lumi/domains"); !r.Has(`[data-testid="sandbox-badge"]`) {
		t.Error("sandbox registrar not labelled")
	}
}
