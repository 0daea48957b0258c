package lumio_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/marketplace/pack"
	"lumdesk/internal/platform/config"
)

var lumioCLI = audit.CLI("test")

// newLumioEnv starts the app with bundles stored under the test's
// temporary directory.
func newLumioEnv(t *testing.T) *servertest.Env {
	dir := t.TempDir()
	return servertest.New(t, func(c *config.Config) { c.BlobURL = "file://" + dir })
}

// lumioBundle packs a minimal extension of version.
func lumioBundle(t *testing.T, version string) *bytes.Buffer {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"manifest.json": `{"name":"x","version":"` + version + `"}`, "index.js": "export default 1\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := pack.Pack(&buf, dir); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// lumioTenant is an account with an extension that has an approved
// version (50% rollout), a rejected one and a secret.
type lumioTenant struct {
	account  accounts.Account
	ext      marketplace.Extension
	approved marketplace.VersionInfo
	rejected marketplace.VersionInfo
}

const lumioSecretValue = "sk_live_supersecret_value_42"

func newLumioTenant(t *testing.T, env *servertest.Env, name string) lumioTenant {
	t.Helper()
	ctx := context.Background()
	tn := lumioTenant{account: env.CreateAccount(name)}
	scope := accounts.Only(tn.account.ID)
	var err error
	tn.ext, err = env.Marketplace.CreateExtension(ctx, lumioCLI, scope, marketplace.ExtensionInput{Name: name + " Scoreboard",
		ShortDescription: "Live scores", Description: "# Scores\n\nSee **live** scores.\n\n<script>alert('x')</script>\n\n[bad](javascript:alert(1))"})
	if err != nil {
		t.Fatal(err)
	}
	tn.approved, err = env.Marketplace.SubmitVersion(ctx, lumioCLI, scope, tn.ext.ID, marketplace.VersionInput{Version: "1.0.0", Changelog: "First.", Bundle: lumioBundle(t, "1.0.0")})
	if err != nil {
		t.Fatal(err)
	}
	if tn.approved, err = env.Marketplace.Approve(ctx, lumioCLI, tn.approved.ID, 50); err != nil {
		t.Fatal(err)
	}
	tn.rejected, err = env.Marketplace.SubmitVersion(ctx, lumioCLI, scope, tn.ext.ID, marketplace.VersionInput{Version: "1.1.0", Changelog: "Second.", Bundle: lumioBundle(t, "1.1.0")})
	if err != nil {
		t.Fatal(err)
	}
	if tn.rejected, err = env.Marketplace.Reject(ctx, lumioCLI, tn.rejected.ID, "Loads remote code from a CDN."); err != nil {
		t.Fatal(err)
	}
	if err := env.Marketplace.SetSecret(ctx, lumioCLI, scope, tn.ext.ID, "API_KEY", lumioSecretValue); err != nil {
		t.Fatal(err)
	}
	return tn
}

func extPath(tn lumioTenant) string { return "/portal/lumio/extensions/" + tn.ext.ID }

func TestLumioPagesRender(t *testing.T) {
	t.Parallel()
	env := newLumioEnv(t)
	a := newLumioTenant(t, env, "Alpha")
	c := env.AsCustomer(a.account.ID, customers.RoleReadOnly)

	r := c.Get("/portal/lumio")
	r.Want(t, http.StatusOK, "list")
	row := r.Doc.Find(`[data-testid=extension-row][data-id="` + a.ext.ID + `"]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), "Alpha Scoreboard") || !strings.Contains(row.Text(), "1.0.0") ||
		!strings.Contains(row.Text(), "approved") {
		t.Errorf("list row: %q", row.Text())
	}
	if r.Has("[data-testid=create-form]") {
		t.Error("read-only user sees the create form")
	}
	if !r.Has(`[data-testid=deploy-help] a[href="/portal/account/api-keys/new?product=lumio"]`) {
		t.Error("list does not point to Lumio API keys")
	}

	r = c.Get(extPath(a))
	r.Want(t, http.StatusOK, "extension")
	desc, _ := r.Doc.Find("[data-testid=description]").Html()
	if !strings.Contains(desc, "<strong>live</strong>") || strings.Contains(desc, "<script") || strings.Contains(strings.ToLower(desc), "javascript:") {
		t.Errorf("description not rendered safely: %s", desc)
	}
	ap := r.Doc.Find(`[data-testid=version-row][data-id="` + a.approved.ID + `"]`)
	if ap.Find("[data-testid=version-rollout]").Text() != "50%" || !strings.Contains(ap.Text(), "current") {
		t.Errorf("approved version row: %q", ap.Text())
	}
	rj := r.Doc.Find(`[data-testid=version-row][data-id="` + a.rejected.ID + `"]`)
	if rj.AttrOr("data-status", "") != "rejected" || rj.Find("[data-testid=rejection-reason]").Text() != "Loads remote code from a CDN." {
		t.Errorf("rejected version row: %q", rj.Text())
	}
	if r.Doc.Find(`[data-testid=secret-row][data-name="API_KEY"]`).Length() != 1 {
		t.Error("secret name not listed")
	}
	for _, sel := range []string{"[data-testid=edit-form]", "[data-testid=secret-form]", "[data-testid=secret-delete]", `form[method=post]:not([action$="/logout"])`} {
		if r.Has(sel) {
			t.Errorf("read-only user sees %s", sel)
		}
	}
	if !r.Has("[data-testid=installs-chart]") || strings.Contains(r.Body, "Install figures are not available") {
		t.Error("no installs chart")
	}
}

func TestLumioEmptyState(t *testing.T) {
	t.Parallel()
	env := newLumioEnv(t)
	acc := env.CreateAccount("Empty")
	c := env.AsCustomer(acc.ID, customers.RoleDeveloper)
	r := c.Get("/portal/lumio")
	r.Want(t, http.StatusOK, "list")
	empty := r.Doc.Find("[data-testid=extensions-empty]")
	if empty.Length() != 1 || !empty.Find(`a[href="/portal/account/api-keys/new?product=lumio"]`).Is("a") ||
		!strings.Contains(empty.Text(), "lumio deploy") {
		t.Errorf("empty state: %q", empty.Text())
	}
	if !r.Has("[data-testid=create-form]") {
		t.Error("developer sees no create form")
	}
	// The home card says what to do.
	if r = c.Get("/portal"); !strings.Contains(r.Body, "No Lumio extensions yet") {
		t.Error("home card lacks Lumio's empty state")
	}
}

func TestLumioCreateAndEdit(t *testing.T) {
	t.Parallel()
	env := newLumioEnv(t)
	acc := env.CreateAccount("Maker")
	c := env.AsCustomer(acc.ID, customers.RoleDeveloper)
	c.Get("/portal/lumio")

	// Bad input: form messages, nothing created.
	r := c.PostForm("/portal/lumio/extensions", url.Values{"name": {""}, "pricing_type": {"one_time"}, "pricing_amount": {"lots"}})
	r.Want(t, http.StatusUnprocessableEntity, "bad create")
	if !strings.Contains(r.Text("[data-testid=create-form]"), "Required") || !strings.Contains(r.Text("[data-testid=create-form]"), "decimal amount") {
		t.Errorf("create form messages: %q", r.Text("[data-testid=create-form]"))
	}
	r = c.PostForm("/portal/lumio/extensions", url.Values{"name": {"Weather"}, "pricing_type": {"bogus"}})
	r.Want(t, http.StatusUnprocessableEntity, "bad pricing type")
	if r.Doc.Find(`#f-pricing_type-msg`).Length() != 1 {
		t.Errorf("pricing type message missing: %q", r.Text("[data-testid=create-form]"))
	}
	page, err := env.Marketplace.ListExtensions(context.Background(), marketplace.ListFilter{Scope: accounts.Only(acc.ID)})
	if err != nil || len(page.Extensions) != 0 {
		t.Fatalf("bad input created %d extensions (%v)", len(page.Extensions), err)
	}

	r = c.PostForm("/portal/lumio/extensions", url.Values{"name": {"Weather Widget"}, "short_description": {"Forecasts"},
		"pricing_type": {"subscription"}, "pricing_amount": {"2.50"}, "pricing_interval": {"month"}})
	r.Want(t, http.StatusSeeOther, "create")
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, "/portal/lumio/extensions/ext_") {
		t.Fatalf("create redirected to %q", loc)
	}
	r = c.Get(loc)
	r.Want(t, http.StatusOK, "new extension")
	if !strings.Contains(r.Text("[data-testid=extension-facts]"), "$2.50 a month") || !r.Has("[data-testid=versions-empty]") {
		t.Errorf("new extension page: %q", r.Text("[data-testid=extension-facts]"))
	}

	// Edit: public needs an approved version (a form message), then a good save.
	r = c.PostForm(loc, url.Values{"name": {"Weather Widget"}, "visibility": {"public"}, "pricing_type": {"free"}, "pricing_amount": {"9"}})
	r.Want(t, http.StatusUnprocessableEntity, "public without version")
	if !strings.Contains(r.Text("[data-testid=edit-form]"), "only once a version is approved") {
		t.Errorf("edit form messages: %q", r.Text("[data-testid=edit-form]"))
	}
	r = c.PostForm(loc, url.Values{"name": {"Weather Pro"}, "short_description": {"Better forecasts"}, "description": {"## Features\n\n- Radar"},
		"visibility": {"unlisted"}, "pricing_type": {"free"}, "pricing_amount": {"9"}})
	r.Want(t, http.StatusSeeOther, "edit")
	r = c.Get(loc)
	if r.Text("h1") != "Weather Pro" || !strings.Contains(r.Text("[data-testid=extension-facts]"), "Free") ||
		!strings.Contains(r.Text("[data-testid=extension-facts]"), "unlisted") || r.Doc.Find("[data-testid=description] li").Text() != "Radar" {
		t.Errorf("after edit: h1 %q facts %q", r.Text("h1"), r.Text("[data-testid=extension-facts]"))
	}
}

func TestLumioSecrets(t *testing.T) {
	t.Parallel()
	env := newLumioEnv(t)
	a := newLumioTenant(t, env, "Keeper")
	ctx := context.Background()
	for _, role := range []customers.Role{customers.RoleOwner, customers.RoleDeveloper} {
		c := env.AsCustomer(a.account.ID, role)
		r := c.Get(extPath(a))
		r.Want(t, http.StatusOK, string(role)+" page")
		if in := r.Doc.Find(`[data-testid=secret-form] input[name=value]`); in.AttrOr("type", "") != "password" || in.AttrOr("value", "") != "" {
			t.Errorf("%s: value input is not an empty password field", role)
		}
		name := "TOKEN_" + strings.ToUpper(string(role))
		value := "v-" + string(role) + "-never-shown-0123456789"
		// Bad name: a form message; the value is not echoed.
		r = c.PostForm(extPath(a)+"/secrets", url.Values{"name": {"lower case"}, "value": {value}})
		r.Want(t, http.StatusUnprocessableEntity, "bad secret name")
		if !strings.Contains(r.Text("[data-testid=secret-form]"), "Upper-case letters") || strings.Contains(r.Body, value) {
			t.Errorf("%s: bad name: message %q; value echoed: %v", role, r.Text("[data-testid=secret-form]"), strings.Contains(r.Body, value))
		}
		r = c.PostForm(extPath(a)+"/secrets", url.Values{"name": {name}, "value": {""}})
		r.Want(t, http.StatusUnprocessableEntity, "empty secret value")
		r = c.PostForm(extPath(a)+"/secrets", url.Values{"name": {name}, "value": {value}})
		r.Want(t, http.StatusSeeOther, "set secret")
		got, err := env.Marketplace.OpenSecret(ctx, accounts.Only(a.account.ID), a.ext.ID, name)
		if err != nil || got != value {
			t.Fatalf("%s: stored %q, %v", role, got, err)
		}
		r = c.Get(extPath(a))
		if r.Doc.Find(`[data-testid=secret-row][data-name="`+name+`"]`).Length() != 1 {
			t.Errorf("%s: new secret not listed", role)
		}
		for _, v := range []string{value, lumioSecretValue} {
			if strings.Contains(r.Body, v) {
				t.Errorf("%s: a secret value is on the page", role)
			}
		}
		// Delete: confirmation first, then gone.
		r = c.Get(extPath(a) + "/secrets/" + name + "/delete")
		r.Want(t, http.StatusOK, "confirm delete")
		if !r.Has("[data-testid=secret-confirm]") || strings.Contains(r.Body, value) {
			t.Errorf("%s: no confirmation", role)
		}
		r = c.PostForm(extPath(a)+"/secrets/"+name+"/delete", nil)
		r.Want(t, http.StatusSeeOther, "delete secret")
		if _, err := env.Marketplace.OpenSecret(ctx, accounts.Only(a.account.ID), a.ext.ID, name); err == nil {
			t.Errorf("%s: secret still there", role)
		}
		r = c.Get(extPath(a) + "/secrets/" + name + "/delete")
		r.Want(t, http.StatusNotFound, "confirm deleted secret")
	}
}

func TestLumioReadOnlyRolesCannotChange(t *testing.T) {
	t.Parallel()
	env := newLumioEnv(t)
	a := newLumioTenant(t, env, "Guarded")
	ctx := context.Background()
	for _, role := range []customers.Role{customers.RoleReadOnly, customers.RoleBilling} {
		c := env.AsCustomer(a.account.ID, role)
		r := c.Get(extPath(a))
		r.Want(t, http.StatusOK, string(role)+" reads")
		if r.Has(`form[method=post]:not([action$="/logout"])`) || r.Has("[data-testid=secret-delete]") {
			t.Errorf("%s sees forms", role)
		}
		for path, form := range map[string]url.Values{
			"/portal/lumio/extensions":             {"name": {"Sneaky"}},
			extPath(a):                             {"name": {"Renamed"}, "visibility": {"private"}, "pricing_type": {"free"}},
			extPath(a) + "/secrets":                {"name": {"NEW_ONE"}, "value": {"x"}},
			extPath(a) + "/secrets/API_KEY/delete": {},
			extPath(a) + "/versions":               {"version": {"9.0.0"}},
			extPath(a) + "/delete":                 {"confirm": {a.ext.Slug}},
		} {
			if r := c.PostForm(path, form); r.Status != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", role, path, r.Status)
			}
		}
		if r := c.Get(extPath(a) + "/secrets/API_KEY/delete"); r.Status != http.StatusForbidden {
			t.Errorf("%s GET delete confirmation: %d, want 403", role, r.Status)
		}
	}
	e, err := env.Marketplace.GetExtension(ctx, accounts.Only(a.account.ID), a.ext.ID)
	if err != nil || e.Name != "Guarded Scoreboard" {
		t.Errorf("extension changed: %q %v", e.Name, err)
	}
	if _, err := env.Marketplace.OpenSecret(ctx, accounts.Only(a.account.ID), a.ext.ID, "API_KEY"); err != nil {
		t.Errorf("secret gone: %v", err)
	}
}

// A developer submits a version from the extension's page (the API's
// checks: SemVer above every earlier one, a valid bundle), and deletes an
// extension never listed publicly once its slug is typed.
func TestLumioSubmitVersionAndDelete(t *testing.T) {
	t.Parallel()
	env := newLumioEnv(t)
	a := newLumioTenant(t, env, "Builder")
	ctx := context.Background()
	scope := accounts.Only(a.account.ID)
	c := env.AsCustomer(a.account.ID, customers.RoleDeveloper)
	if r := c.Get(extPath(a)); !r.Has("[data-testid=version-form] input[type=file][name=bundle]") {
		t.Fatal("no version form for a developer")
	}
	submit := func(version string, bundle []byte) *servertest.Response {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		_ = w.WriteField("csrf", c.CSRF)
		_ = w.WriteField("version", version)
		_ = w.WriteField("changelog", "Overtime scores.")
		if bundle != nil {
			fw, _ := w.CreateFormFile("bundle", "bundle.tar.gz")
			_, _ = fw.Write(bundle)
		}
		_ = w.Close()
		return c.Do(http.MethodPost, extPath(a)+"/versions", &body, http.Header{"Content-Type": {w.FormDataContentType()}})
	}
	for _, bad := range []struct {
		version string
		bundle  []byte
		field   string
	}{
		{"1.2.0", nil, "bundle"},
		{"1.2.0", []byte("not a gzip archive"), "bundle"},
		{"one.two", lumioBundle(t, "1.2.0").Bytes(), "version"},
		{"0.9.0", lumioBundle(t, "0.9.0").Bytes(), "version"},
		{"1.1.0", lumioBundle(t, "1.1.0").Bytes(), "version"},
	} {
		r := submit(bad.version, bad.bundle)
		if r.Status != http.StatusUnprocessableEntity || r.Text("[data-testid=version-form] .field-error") == "" {
			t.Errorf("version %q: %d, messages %q", bad.version, r.Status, r.Text("[data-testid=version-form] .field-error"))
		}
		if bad.field == "version" && r.Doc.Find("#f-submit-version").AttrOr("value", "") != bad.version {
			t.Errorf("version %q not kept in the form", bad.version)
		}
	}
	r := submit("1.2.0", lumioBundle(t, "1.2.0").Bytes())
	r.Want(t, http.StatusSeeOther, "submit")
	vs, err := env.Marketplace.ListVersions(ctx, scope, a.ext.ID)
	if err != nil || len(vs) != 3 || vs[0].Version != "1.2.0" || vs[0].Status != marketplace.VersionPending || vs[0].Changelog != "Overtime scores." {
		t.Fatalf("versions after the submit: %+v %v", vs, err)
	}

	// Deleting: a private extension goes once its slug is typed.
	spare, err := env.Marketplace.CreateExtension(ctx, lumioCLI, scope, marketplace.ExtensionInput{Name: "Spare Widget", ShortDescription: "x"})
	if err != nil {
		t.Fatal(err)
	}
	sparePath := "/portal/lumio/extensions/" + spare.ID
	r = c.PostForm(sparePath+"/delete", url.Values{"confirm": {"wrong"}})
	r.Want(t, http.StatusUnprocessableEntity, "delete without the slug")
	if !strings.Contains(r.Text("[data-testid=delete-error]"), spare.Slug) || !r.Has("dialog#delete-extension[data-autoopen]") {
		t.Errorf("delete refusal: %q", r.Text("[data-testid=delete-error]"))
	}
	r = c.PostForm(sparePath+"/delete", url.Values{"confirm": {spare.Slug}})
	r.Want(t, http.StatusSeeOther, "delete")
	if loc := r.Header.Get("Location"); loc != "/portal/lumio" {
		t.Errorf("after the delete: %s", loc)
	}
	if r := c.Get(sparePath); r.Status != http.StatusNotFound {
		t.Errorf("deleted extension's page: %d", r.Status)
	}
	// One that was public cannot be deleted: the page says so, a POST is 409.
	public := marketplace.VisibilityPublic
	if _, err := env.Marketplace.UpdateExtension(ctx, lumioCLI, scope, a.ext.ID, marketplace.ExtensionPatch{Visibility: &public}); err != nil {
		t.Fatal(err)
	}
	if r := c.Get(extPath(a)); !r.Has("[data-testid=delete-refused]") || r.Has("[data-testid=delete-extension]") {
		t.Error("a once-public extension offers the delete")
	}
	r = c.PostForm(extPath(a)+"/delete", url.Values{"confirm": {a.ext.Slug}})
	r.Want(t, http.StatusConflict, "delete a once-public extension")
	if _, err := env.Marketplace.GetExtension(ctx, scope, a.ext.ID); err != nil {
		t.Errorf("the once-public extension: %v", err)
	}
}

func TestLumioOtherAccountsExtensionIsNotFound(t *testing.T) {
	t.Parallel()
	env := newLumioEnv(t)
	a := newLumioTenant(t, env, "Owner")
	b := env.CreateAccount("Stranger")
	c := env.AsCustomer(b.ID, customers.RoleOwner)
	c.Get("/portal/lumio")
	unknown := "/portal/lumio/extensions/ext_aaaaaaaaaaaaaaaa"
	for _, p := range []string{extPath(a), unknown, "/portal/lumio/extensions/nonsense", extPath(a) + "/secrets/API_KEY/delete"} {
		if r := c.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("GET %s as another account: %d, want 404", p, r.Status)
		}
	}
	for path, form := range map[string]url.Values{
		extPath(a):                             {"name": {"Hijacked"}, "visibility": {"private"}, "pricing_type": {"free"}},
		extPath(a) + "/secrets":                {"name": {"STOLEN"}, "value": {"x"}},
		extPath(a) + "/secrets/API_KEY/delete": {},
		unknown + "/secrets":                   {"name": {"STOLEN"}, "value": {"x"}},
		extPath(a) + "/versions":               {"version": {"9.0.0"}},
		extPath(a) + "/delete":                 {"confirm": {a.ext.Slug}},
	} {
		if r := c.PostForm(path, form); r.Status != http.StatusNotFound {
			t.Errorf("POST %s as another account: %d, want 404", path, r.Status)
		}
	}
	if r := c.Get("/portal/lumio"); r.Has(`[data-id="` + a.ext.ID + `"]`) {
		t.Error("another account's extension is listed")
	}
	if _, err := env.Marketplace.OpenSecret(context.Background(), accounts.Only(a.account.ID), a.ext.ID, "API_KEY"); err != nil {
		t.Errorf("secret gone: %v", err)
	}
}

func TestLumioBadPageLink(t *testing.T) {
	t.Parallel()
	env := newLumioEnv(t)
	acc := env.CreateAccount("Pager")
	c := env.AsCustomer(acc.ID, customers.RoleReadOnly)
	r := c.Get("/portal/lumio?after=garbage")
	r.Want(t, http.StatusUnprocessableEntity, "bad cursor")
	if !strings.Contains(r.Text("[data-testid=list-error]"), "page link is not valid") {
		t.Errorf("bad cursor not explained: %q", r.Text("main"))
	}
}

// Lumio keys are made under Account → API keys with the spec's scopes; the
// operator-only installs:write is never offered nor granted.
func TestLumioAPIKeysInThePortal(t *testing.T) {
	t.Parallel()
	env := newLumioEnv(t)
	acc := env.CreateAccount("Keys")
	c := env.AsCustomer(acc.ID, customers.RoleDeveloper)
	r := c.Get("/portal/account/api-keys/new?product=lumio")
	r.Want(t, http.StatusOK, "new key form")
	for _, s := range []string{"extensions:read", "extensions:write", "secrets:write"} {
		if !r.Has(`input[name=scope][value="lumio|` + s + `"]`) {
			t.Errorf("form lacks Lumio scope %s", s)
		}
	}
	if r.Has(`input[name=scope][value="lumio|installs:write"]`) {
		t.Error("form offers the operator-only installs:write")
	}
	r = c.PostForm("/portal/account/api-keys", url.Values{"product": {"lumio"}, "name": {"CI deploy"},
		"scope": {"lumio|extensions:read", "lumio|extensions:write", "lumio|secrets:write"}})
	r.Want(t, http.StatusOK, "create key")
	if !strings.Contains(r.Body, "lm_dev_") {
		t.Error("created key's secret is not an lm_dev_ key")
	}
	r = c.PostForm("/portal/account/api-keys", url.Values{"product": {"lumio"}, "name": {"Sneaky"}, "scope": {"lumio|installs:write"}})
	if r.Status == http.StatusOK && strings.Contains(r.Body, "lm_dev_") {
		t.Error("a portal user got an installs:write key")
	}
	page, err := env.APIKeys.List(context.Background(), apikeys.ListParams{Product: apikeys.Lumio, AccountID: &acc.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Keys) != 1 || strings.Join(page.Keys[0].Scopes, ",") != "extensions:read,extensions:write,secrets:write" {
		t.Errorf("account's Lumio keys: %+v", page.Keys)
	}
}

func TestLumioInstalls(t *testing.T) {
	t.Parallel()
	env := newLumioEnv(t)
	a := newLumioTenant(t, env, "Popular")
	now := time.Now().UTC()
	var events []marketplace.InstallEvent
	for i, id := range []string{"inst-1", "inst-2", "inst-3"} {
		events = append(events, marketplace.InstallEvent{InstallID: id, ExtensionID: a.ext.ID, VersionID: a.approved.ID,
			Event: marketplace.EventInstall, At: now.Add(-time.Duration(48-i) * time.Hour)})
	}
	events = append(events, marketplace.InstallEvent{InstallID: "inst-3", ExtensionID: a.ext.ID, VersionID: a.approved.ID,
		Event: marketplace.EventUninstall, At: now.Add(-time.Minute)})
	if _, err := env.Marketplace.RecordInstallEvents(context.Background(), lumioCLI, accounts.Only(a.account.ID), events); err != nil {
		t.Fatal(err)
	}
	c := env.AsCustomer(a.account.ID, customers.RoleReadOnly)
	r := c.Get(extPath(a))
	r.Want(t, http.StatusOK, "extension")
	totals := r.Text("[data-testid=install-totals]")
	if !strings.Contains(totals, "Active installs2") || !strings.Contains(totals, "Installs ever3") {
		t.Errorf("totals: %q", strings.Join(strings.Fields(totals), " "))
	}
	if n := r.Doc.Find("[data-testid=installs-chart] [data-bar]").Length(); n != 30 {
		t.Errorf("chart has %d bars, want 30 days", n)
	}
	titles := r.Doc.Find("[data-testid=installs-chart] .chart-col title")
	if last := titles.Last().Text(); last != now.Format("Jan 2")+": 2" {
		t.Errorf("today's bar says %q, want 2 active", last)
	}
	if first := titles.First().Text(); !strings.HasSuffix(first, ": 0") {
		t.Errorf("30 days ago's bar says %q, want 0", first)
	}
	row := r.Doc.Find(`[data-testid=version-installs][data-version="1.0.0"]`)
	if row.Find("[data-testid=version-active]").Text() != "2" {
		t.Errorf("by version: %q", row.Text())
	}
	// The list and the home card count them too.
	r = c.Get("/portal/lumio")
	if got := r.Doc.Find(`[data-testid=extension-row][data-id="` + a.ext.ID + `"] [data-testid=extension-installs]`).Text(); got != "3" {
		t.Errorf("list installs %q, want 3", got)
	}
}
