package apikeys_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/apikeys"
)

// Staff with apikeys.manage edit a Luarmor key's IP allow list on its page;
// viewers see it without the form.
func TestAPIKeyAllowedIPsConsole(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := akAccount(t, env, "Allow", "allow@ips.test")
	k := akCreate(t, env, apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &acc})
	path := "/apikeys/" + strconv.FormatInt(k.Key.ID, 10)
	admin := env.As("admin")
	r := admin.Get(path)
	if r.Status != http.StatusOK || !r.Has(`[data-testid="allowed-ips-empty"]`) || !r.Has(`[data-testid="allowed-ips-form"]`) {
		t.Fatalf("key page: %d", r.Status)
	}
	r = admin.PostForm(path+"/allowed-ips", url.Values{"allowed_ips": {"198.51.100.0/24\nnot-an-ip"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("#f-allowed_ips-msg"), "not-an-ip") {
		t.Fatalf("bad entry: %d %q", r.Status, r.Text("#f-allowed_ips-msg"))
	}
	if got := r.Doc.Find(`textarea[name="allowed_ips"]`).Text(); !strings.Contains(got, "not-an-ip") {
		t.Errorf("the form lost what was typed: %q", got)
	}
	r = admin.PostForm(path+"/allowed-ips", url.Values{"allowed_ips": {"198.51.100.9/24 2001:db8::1"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %q", r.Status, r.Text("main"))
	}
	got, err := env.APIKeys.Get(context.Background(), k.Key.ID)
	if err != nil || strings.Join(got.AllowedIPs, " ") != "198.51.100.0/24 2001:db8::1" {
		t.Fatalf("stored: %v %v", got.AllowedIPs, err)
	}
	if env.AuditCount("api_key.allowed_ips", strconv.FormatInt(k.Key.ID, 10)) != 1 {
		t.Error("not audited")
	}
	viewer := env.As("viewer")
	r = viewer.Get(path)
	if !strings.Contains(r.Text(`[data-testid="allowed-ip-list"]`), "2001:db8::1") || r.Has(`[data-testid="allowed-ips-form"]`) {
		t.Errorf("viewer sees %q, form %v", r.Text(`[data-testid="allowed-ip-list"]`), r.Has(`[data-testid="allowed-ips-form"]`))
	}
	if r := viewer.PostForm(path+"/allowed-ips", url.Values{"allowed_ips": {""}}); r.Status != http.StatusForbidden {
		t.Errorf("viewer save: %d", r.Status)
	}
	if r := admin.PostForm("/apikeys/999999/allowed-ips", url.Values{"allowed_ips": {""}}); r.Status != http.StatusNotFound {
		t.Errorf("unknown key: %d", r.Status)
	}
	lumio := akCreate(t, env, apikeys.CreateInput{Product: apikeys.Lumio, AccountID: &acc})
	lpath := "/apikeys/" + strconv.FormatInt(lumio.Key.ID, 10)
	if r := admin.Get(lpath); r.Has(`[data-testid="allowed-ips"]`) {
		t.Error("a Lumio key shows an allow list")
	}
	if r := admin.PostForm(lpath+"/allowed-ips", url.Values{"allowed_ips": {"10.0.0.1"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("lumio save: %d", r.Status)
	}
}
