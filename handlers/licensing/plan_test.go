package licensing_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"lumdesk/internal/licensing"
)

func TestLicensingPlanSetByAdmin(t *testing.T) {
	t.Parallel()
	f := licdSetup(t)
	ctx := context.Background()
	acc := strconv.FormatInt(f.account.ID, 10)
	path := "/luarmor/accounts/" + acc + "/plan"
	admin := f.env.As("admin")

	// The account's Luarmor tab loads the plan card.
	if r := admin.Get("/luarmor/accounts/" + acc + "/projects"); r.Status != 200 || !r.Has(`[data-testid="luarmor-plan-loader"][hx-get="`+path+`"]`) {
		t.Fatalf("tab: %d, plan loader missing", r.Status)
	}
	r := admin.Get(path)
	if r.Status != 200 || r.Text(`[data-testid="plan-max-users"]`) != "No limit" || r.Text(`[data-testid="plan-obfuscations"]`) != "No limit" ||
		r.Text(`[data-testid="plan-used"]`) != "1 this month" || !r.Has(`form[data-testid="plan-form"]`) {
		t.Fatalf("plan page: %d %q %q %q", r.Status, r.Text(`[data-testid="plan-max-users"]`), r.Text(`[data-testid="plan-obfuscations"]`), r.Text(`[data-testid="plan-used"]`))
	}

	// Plain form post: saved, audited with the reason, back to the account.
	r = admin.PostForm(path, url.Values{"max_users": {"500"}, "obfuscations": {"40"}, "reason": {"Pro plan, invoice 88"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/accounts/"+acc+"?tab=luarmor" {
		t.Fatalf("save: %d %q %s", r.Status, r.Header.Get("Location"), r.Text(".field-error"))
	}
	u, err := f.env.Licensing.PlanUsage(ctx, f.account.ID)
	if err != nil || u.MaxUsers != 500 || u.Obfuscations != 40 || u.ObfuscationsRemaining != 39 {
		t.Fatalf("saved plan %+v %v", u, err)
	}
	if got := licdReason(t, f.env, "licensing_plan.set", acc); got != "Pro plan, invoice 88" {
		t.Errorf("audit reason %q", got)
	}
	r = admin.Get(path)
	if r.Text(`[data-testid="plan-max-users"]`) != "500 keys per project" || r.Text(`[data-testid="plan-obfuscations"]`) != "40 per month" ||
		r.Text(`[data-testid="plan-remaining"]`) != "39 left" {
		t.Errorf("plan after save: %q %q %q", r.Text(`[data-testid="plan-max-users"]`), r.Text(`[data-testid="plan-obfuscations"]`), r.Text(`[data-testid="plan-remaining"]`))
	}
	if v, _ := r.Doc.Find(`input[name="max_users"]`).Attr("value"); v != "500" {
		t.Errorf("form max_users %q", v)
	}

	// htmx: the card comes back in place, with a toast; empty is no limit.
	r = admin.HTMX("POST", path, url.Values{"csrf": {admin.CSRF}, "max_users": {""}, "obfuscations": {"12"}, "reason": {"trial"}})
	if r.Status != 200 || !r.Has(`[data-testid="luarmor-plan"]`) || strings.Contains(r.Body, "<html") ||
		r.Text(`[data-testid="plan-max-users"]`) != "No limit" || !strings.Contains(r.Header.Get("HX-Trigger"), "saved") {
		t.Fatalf("htmx save: %d %q %s", r.Status, r.Header.Get("HX-Trigger"), r.Body)
	}
	if u, _ := f.env.Licensing.PlanUsage(ctx, f.account.ID); u.MaxUsers != licensing.Unlimited || u.Obfuscations != 12 {
		t.Fatalf("htmx saved plan %+v", u)
	}
	// htmx with a bad value: the card comes back (200, so htmx swaps it)
	// with the message and the typed value; nothing saved.
	r = admin.HTMX("POST", path, url.Values{"csrf": {admin.CSRF}, "max_users": {"ten"}, "obfuscations": {"12"}, "reason": {"x"}})
	if v, _ := r.Doc.Find(`input[name="max_users"]`).Attr("value"); r.Status != 200 || strings.Contains(r.Body, "<html") ||
		r.Text(`#f-max_users-msg.field-error`) == "" || v != "ten" || strings.Contains(r.Header.Get("HX-Trigger"), "toast") {
		t.Fatalf("htmx bad value: %d %q %q", r.Status, r.Text(`.field-error`), v)
	}

	// Bad input: 422 with the field's message, nothing saved, typed values kept.
	cases := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"no reason", url.Values{"max_users": {"5"}, "obfuscations": {"5"}}, "reason"},
		{"negative", url.Values{"max_users": {"-5"}, "obfuscations": {"5"}, "reason": {"x"}}, "max_users"},
		{"text", url.Values{"max_users": {"5"}, "obfuscations": {"lots"}, "reason": {"x"}}, "obfuscations"},
		{"too big", url.Values{"max_users": {"99999999999999999999"}, "obfuscations": {"5"}, "reason": {"x"}}, "max_users"},
	}
	// NUL and invalid UTF-8 never reach the form: the input guard (one place
	// for every face) answers 400 naming the field.
	for _, tc := range []struct {
		name  string
		form  url.Values
		field string
	}{
		{"NUL", url.Values{"max_users": {"5\x00"}, "obfuscations": {"5"}, "reason": {"x"}}, "max_users"},
		{"invalid UTF-8", url.Values{"max_users": {"5"}, "obfuscations": {"\xff\xfe"}, "reason": {"x"}}, "obfuscations"},
		{"NUL in reason", url.Values{"max_users": {"5"}, "obfuscations": {"5"}, "reason": {"a\x00b"}}, "reason"},
		{"invalid UTF-8 reason", url.Values{"max_users": {"5"}, "obfuscations": {"5"}, "reason": {"\xff"}}, "reason"},
	} {
		if r := admin.PostForm(path, tc.form); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `field &#34;`+tc.field+`&#34;`) {
			t.Errorf("%s: %d, want 400 naming %s", tc.name, r.Status, tc.field)
		}
	}
	for _, tc := range cases {
		r := admin.PostForm(path, tc.form)
		if r.Status != http.StatusUnprocessableEntity || r.Text(`#f-`+tc.field+`-msg.field-error`) == "" {
			t.Errorf("%s: %d, message at %s %q; errors %q", tc.name, r.Status, tc.field, r.Text(`#f-`+tc.field+`-msg.field-error`), r.Text(".field-error"))
		}
	}
	if u, _ := f.env.Licensing.PlanUsage(ctx, f.account.ID); u.MaxUsers != licensing.Unlimited || u.Obfuscations != 12 {
		t.Fatalf("a refused form changed the plan: %+v", u)
	}
	if r := admin.Get("/luarmor/accounts/999999/plan"); r.Status != http.StatusNotFound {
		t.Errorf("unknown account: %d", r.Status)
	}
	if r := admin.PostForm("/luarmor/accounts/999999/plan", url.Values{"max_users": {"1"}, "obfuscations": {"1"}, "reason": {"x"}}); r.Status != http.StatusNotFound {
		t.Errorf("unknown account post: %d", r.Status)
	}
}

// Support and viewers see the plan but may not set it.
func TestLicensingPlanRefusedToSupportAndViewer(t *testing.T) {
	t.Parallel()
	f := licdSetup(t)
	path := "/luarmor/accounts/" + strconv.FormatInt(f.account.ID, 10) + "/plan"
	for _, role := range []string{"support", "viewer"} {
		c := f.env.As(role)
		r := c.Get(path)
		if r.Status != 200 || r.Has(`[data-testid="plan-form"]`) || r.Text(`[data-testid="plan-max-users"]`) != "No limit" {
			t.Errorf("%s GET: %d, form shown: %v", role, r.Status, r.Has(`[data-testid="plan-form"]`))
		}
		if r := c.PostForm(path, url.Values{"max_users": {"1"}, "obfuscations": {"1"}, "reason": {"sneaky"}}); r.Status != http.StatusForbidden {
			t.Errorf("%s POST: %d, want 403", role, r.Status)
		}
	}
	if n := f.env.AuditCount("licensing_plan.set", ""); n != 0 {
		t.Errorf("%d plan changes by roles without licensing.plan.edit", n)
	}
}

// A console upload or script create past the month's quota is a form
// message, not an error page.
func TestLicensingPlanQuotaRefusedInConsoleForms(t *testing.T) {
	t.Parallel()
	f := licdSetup(t) // its script creation used 1
	if _, err := f.env.Licensing.SetPlan(context.Background(), licdCLI, f.account.ID,
		licensing.PlanInput{MaxUsers: licensing.Unlimited, Obfuscations: 1, Reason: "tiny"}); err != nil {
		t.Fatal(err)
	}
	support := f.env.As("support")
	sp := "/luarmor/projects/" + f.project.ID + "/scripts/" + f.script.ID
	r := support.PostForm(sp+"/versions", url.Values{"script": {"print(1)"}, "reason": {"release"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="upload-form"]`), "script updates for this month are used up") {
		t.Errorf("upload past the quota: %d %q", r.Status, r.Text(`[data-testid="upload-form"]`))
	}
	r = support.PostForm("/luarmor/projects/"+f.project.ID+"/scripts", url.Values{"name": {"Aimbot"}, "reason": {"new game"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="script-form"]`), "script updates for this month are used up") {
		t.Errorf("create past the quota: %d %q", r.Status, r.Text(`[data-testid="script-form"]`))
	}
	if s, _ := f.env.Licensing.GetScript(context.Background(), f.project.ID, f.script.ID); s.Version != 0 {
		t.Errorf("a refused upload made version %d", s.Version)
	}
}
