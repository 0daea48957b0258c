package staff_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/staff"
)

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// signedOut reports whether the client is sent to the sign-in page.
func signedOut(c *servertest.Client) bool {
	r := c.Get("/account/sessions")
	return r.Status == http.StatusSeeOther && strings.HasPrefix(r.Header.Get("Location"), "/login")
}

func TestStaffListSearchAndFilter(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := env.As("admin")
	env.CreateStaff("sam.support@test.local", "support")
	env.CreateStaff("vic@test.local", "viewer")

	r := admin.Get("/staff")
	if r.Status != 200 {
		t.Fatalf("/staff: %d", r.Status)
	}
	if n := r.Doc.Find(`[data-testid="staff-row"]`).Length(); n != 3 {
		t.Fatalf("%d rows, want 3", n)
	}
	if !r.Has(`a[href="/staff/new"]`) {
		t.Fatal("no invite link")
	}
	r = admin.Get("/staff?q=SAM.SUP")
	var emails []string
	r.Doc.Find(`[data-testid="staff-row"] td:first-child div.text-xs`).Each(func(_ int, s *goquery.Selection) {
		emails = append(emails, strings.TrimSpace(s.Text()))
	})
	if diff := cmp.Diff([]string{"sam.support@test.local"}, emails); diff != "" {
		t.Fatalf("search q=SAM.SUP (-want +got):\n%s", diff)
	}
	r = admin.Get("/staff?role=viewer&sort=-created")
	if r.Status != 200 || r.Doc.Find(`[data-testid="staff-row"]`).Length() != 1 || r.Text(`[data-testid="staff-role"]`) != "Viewer" {
		t.Fatalf("role filter: %d, %d rows", r.Status, r.Doc.Find(`[data-testid="staff-row"]`).Length())
	}
	r = admin.Get("/staff?q=nobody-here&role=bogus&sort=%27;drop")
	if r.Status != 200 || !r.Has(".empty-state") {
		t.Fatalf("no match: %d", r.Status)
	}
}

func TestStaffInvite(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := env.As("admin")
	if r := admin.Get("/staff/new"); r.Status != 200 || !r.Has(`[data-testid="invite-form"] select[name="role"]`) {
		t.Fatalf("/staff/new: %d", r.Status)
	}
	bad := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"short password", url.Values{"email": {"a@test.local"}, "role": {"support"}, "password": {"short"}}, "password"},
		{"unknown role", url.Values{"email": {"a@test.local"}, "role": {"root"}, "password": {"long-enough-password"}}, "role"},
		{"bad email", url.Values{"email": {"not an email"}, "role": {"support"}, "password": {"long-enough-password"}}, "email"},
		{"missing email", url.Values{"role": {"support"}, "password": {"long-enough-password"}}, "email"},
		{"name too long", url.Values{"email": {"a@test.local"}, "name": {strings.Repeat("n", 101)}, "role": {"support"}, "password": {"long-enough-password"}}, "name"},
		{"huge password", url.Values{"email": {"a@test.local"}, "role": {"support"}, "password": {strings.Repeat("p", 5000)}}, "password"},
	}
	for _, tc := range bad {
		r := admin.PostForm("/staff", tc.form)
		if r.Status != http.StatusUnprocessableEntity || r.Text("#f-"+tc.field+"-msg") == "" {
			t.Errorf("%s: %d, field message %q", tc.name, r.Status, r.Text("#f-"+tc.field+"-msg"))
		}
	}
	// Every wrong field is marked on the first try: a bad email beside an
	// unchosen role and a short password.
	r := admin.PostForm("/staff", url.Values{"email": {"jane.example.com"}, "name": {"Jane"}, "role": {""}, "password": {"short"}})
	for _, field := range []string{"email", "role", "password"} {
		if r.Status != http.StatusUnprocessableEntity || r.Text("#f-"+field+"-msg") == "" {
			t.Errorf("three wrong fields: %d, %s's message %q", r.Status, field, r.Text("#f-"+field+"-msg"))
		}
	}
	if n := env.AuditCount("staff.create", ""); n != 1 { // the admin itself
		t.Fatalf("bad input created users: %d staff.create events", n)
	}

	r = admin.PostForm("/staff", url.Values{"email": {"New.Person@Test.local"}, "name": {"New Person"}, "role": {"finance"}, "password": {"long-enough-password"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/staff/") {
		t.Fatalf("invite: %d %q", r.Status, r.Header.Get("Location"))
	}
	loc := r.Header.Get("Location")
	d := admin.Get(loc)
	if d.Status != 200 || d.Text(".page-title") != "New Person" || d.Text(`[data-testid="detail-role"]`) != "Finance" {
		t.Fatalf("detail after invite: %d %q %q", d.Status, d.Text(".page-title"), d.Text(`[data-testid="detail-role"]`))
	}
	if env.AuditCount("staff.create", strings.TrimPrefix(loc, "/staff/")) != 1 {
		t.Fatal("invite not audited")
	}
	dup := admin.PostForm("/staff", url.Values{"email": {"new.person@test.local"}, "role": {"viewer"}, "password": {"long-enough-password"}})
	if dup.Status != http.StatusUnprocessableEntity || !strings.Contains(dup.Text("#f-email-msg"), "already exists") {
		t.Fatalf("duplicate: %d %q", dup.Status, dup.Text("#f-email-msg"))
	}
	// The new user signs in with the initial password (finance, not demo: enrol first).
	c := env.Anonymous()
	c.SignIn("new.person@test.local", "long-enough-password", "")
	if r := c.Get("/staff"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/security" {
		t.Fatalf("new finance user: %d %q", r.Status, r.Header.Get("Location"))
	}
}

func TestStaffPagesForbiddenToOtherRoles(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	target, _ := env.CreateStaff("target@test.local", "viewer")
	var paths []string
	for _, r := range env.Handlers.Table() {
		if r.Path == "/staff" || strings.HasPrefix(r.Path, "/staff/") {
			paths = append(paths, r.Method+" "+strings.ReplaceAll(r.Path, ":id", idStr(target.ID)))
		}
	}
	if len(paths) < 16 {
		t.Fatalf("only %d staff routes: %v", len(paths), paths)
	}
	for _, role := range []string{"viewer", "support", "finance"} {
		c := env.As(role)
		for _, p := range paths {
			method, path, _ := strings.Cut(p, " ")
			var r *servertest.Response
			form := url.Values{"reason": {"x"}, "role": {"admin"}, "password": {"long-enough-password"}, "email": {"x@test.local"}}
			if method == "GET" {
				r = c.Get(path)
			} else {
				r = c.PostForm(path, form)
			}
			if r.Status != http.StatusForbidden {
				t.Errorf("%s %s as %s: %d, want 403", method, path, role, r.Status)
			}
		}
	}
	u, _ := env.Staff.Get(context.Background(), target.ID)
	if u.Role != staff.RoleViewer || u.Disabled || env.AuditCount("staff.change_role", "") != 0 {
		t.Fatalf("a refused request changed the target: %+v", u)
	}
}

func TestStaffDisableEndsSessionsAndEnable(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := env.As("admin")
	victim := env.As("support")
	id := idStr(victim.User.ID)

	// Reason is required.
	if r := admin.PostForm("/staff/"+id+"/disable", url.Values{"reason": {"  "}}); r.Status != http.StatusUnprocessableEntity || r.Text("#f-reason-msg") == "" {
		t.Fatalf("no reason: %d", r.Status)
	}
	if signedOut(victim) {
		t.Fatal("victim signed out by a refused disable")
	}
	r := admin.PostForm("/staff/"+id+"/disable", url.Values{"reason": {"left the company"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/staff/"+id {
		t.Fatalf("disable: %d %q", r.Status, r.Header.Get("Location"))
	}
	if !signedOut(victim) {
		t.Fatal("disabled user's client still signed in")
	}
	if env.AuditCount("staff.disable", id) != 1 {
		t.Fatal("disable not audited")
	}
	d := admin.Get("/staff/" + id)
	if d.Text(`[data-testid="staff-header"] [data-status]`) != "Disabled" || !d.Has(`[data-testid="action-enable"]`) {
		t.Fatalf("detail after disable: status %q", d.Text(`[data-testid="staff-header"] [data-status]`))
	}
	// Disabled users cannot sign in.
	c := env.Anonymous()
	c.Get("/login")
	if r := c.PostForm("/login", url.Values{"email": {victim.User.Email}, "password": {servertest.Password}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("disabled user sign-in: %d", r.Status)
	}
	// Enable via htmx: fragment + toast.
	r = admin.HTMX("POST", "/staff/"+id+"/enable", url.Values{"reason": {"came back"}})
	if r.Status != 200 || !r.Has(`#staff-detail`) || !strings.Contains(r.Header.Get("HX-Trigger"), "can sign in again") {
		t.Fatalf("htmx enable: %d %q", r.Status, r.Header.Get("HX-Trigger"))
	}
	if r.Text(`[data-testid="staff-header"] [data-status]`) != "Active" || env.AuditCount("staff.enable", id) != 1 {
		t.Fatalf("after enable: %q", r.Text(`[data-testid="staff-header"] [data-status]`))
	}
	c.SignIn(victim.User.Email, servertest.Password, "")
	if signedOut(c) {
		t.Fatal("enabled user cannot sign in")
	}
}

func TestStaffChangeRole(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := env.As("admin")
	sup := env.As("support")
	id := idStr(sup.User.ID)

	// The dialog (htmx) and the page (plain link) both offer the form.
	if r := admin.HTMX("GET", "/staff/"+id+"/role", nil); r.Status != 200 || !r.Has(`dialog form[hx-post="/staff/`+id+`/role"] select[name="role"]`) {
		t.Fatalf("role dialog: %d %s", r.Status, r.Body)
	}
	if r := admin.Get("/staff/" + id + "/role"); r.Status != 200 || !r.Has(`[data-testid="action-form"] textarea[name="reason"]`) {
		t.Fatalf("role page: %d", r.Status)
	}
	for _, role := range []string{"root", "", "support"} {
		if r := admin.PostForm("/staff/"+id+"/role", url.Values{"role": {role}, "reason": {"x"}}); r.Status != http.StatusUnprocessableEntity || r.Text("#f-role-msg") == "" {
			t.Errorf("role %q: %d %q", role, r.Status, r.Text("#f-role-msg"))
		}
	}
	r := admin.PostForm("/staff/"+id+"/role", url.Values{"role": {"admin"}, "reason": {"promoted"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("change role: %d", r.Status)
	}
	if got := admin.Get("/staff/" + id).Text(`[data-testid="detail-role"]`); got != "Admin" {
		t.Fatalf("role after change: %q", got)
	}
	if env.AuditCount("staff.change_role", id) != 1 {
		t.Fatal("role change not audited")
	}
	// Effective at once: the promoted user (no TOTP, not demo) must enrol first.
	if r := sup.Get("/staff"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/security" {
		t.Fatalf("promoted user /staff: %d %q", r.Status, r.Header.Get("Location"))
	}
	// And demoted again via htmx: the role is visible in the returned fragment.
	r = admin.HTMX("POST", "/staff/"+id+"/role", url.Values{"role": {"viewer"}, "reason": {"demoted"}, "tab": {"sessions"}})
	if r.Status != 200 || r.Text(`[data-testid="detail-role"]`) != "Viewer" || !r.Has(`[data-testid="session-row"]`) {
		t.Fatalf("htmx change role: %d %q", r.Status, r.Text(`[data-testid="detail-role"]`))
	}
	if r := sup.Get("/staff"); r.Status != http.StatusForbidden {
		t.Fatalf("demoted user /staff: %d", r.Status)
	}
}

func TestLastAdminAndSelfAreRefused(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := env.As("admin")
	me := idStr(admin.User.ID)

	r := admin.PostForm("/staff/"+me+"/role", url.Values{"role": {"viewer"}, "reason": {"oops"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("[role=alert]"), "At least one active admin must remain") {
		t.Fatalf("demote last admin: %d %q", r.Status, r.Text("[role=alert]"))
	}
	r = admin.HTMX("POST", "/staff/"+me+"/role", url.Values{"role": {"viewer"}, "reason": {"oops"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Header.Get("HX-Trigger"), "At least one active admin") || r.Header.Get("HX-Reswap") != "none" {
		t.Fatalf("htmx demote last admin: %d %q", r.Status, r.Header.Get("HX-Trigger"))
	}
	r = admin.PostForm("/staff/"+me+"/disable", url.Values{"reason": {"oops"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("[role=alert]"), "your own account") {
		t.Fatalf("disable self: %d %q", r.Status, r.Text("[role=alert]"))
	}
	if r := admin.Get("/staff/" + me); r.Has(`[data-testid="action-disable"]`) || r.Text(`[data-testid="detail-role"]`) != "Admin" {
		t.Fatal("self detail offers disable, or role changed")
	} else if txt := r.Text("main"); !strings.Contains(txt, "Open an account's customer portal, read-only") ||
		!strings.Contains(txt, "Change Lumi domains, VPS and proxies") || strings.Contains(txt, "Billing products manage") {
		t.Errorf("the permissions are not described in words: %q", txt)
	}
	// Typed in, your own disable form says why not, with nothing to submit.
	if r := admin.Get("/staff/" + me + "/disable"); !strings.Contains(r.Text("[role=alert]"), "your own account") ||
		r.Has(`[data-testid="action-form"] button[type="submit"]`) || r.Has(`[data-testid="action-form"] textarea`) {
		t.Errorf("own disable page: %d %q", r.Status, r.Text("main"))
	}
	if r := admin.HTMX("GET", "/staff/"+me+"/disable", nil); !strings.Contains(r.Text("[role=alert]"), "your own account") || r.Has(`dialog button[type="submit"]`) {
		t.Errorf("own disable dialog: %d %q", r.Status, r.Text("dialog"))
	}
	// With a second admin, demoting yourself is allowed.
	other := env.As("admin")
	if r := admin.PostForm("/staff/"+me+"/role", url.Values{"role": {"support"}, "reason": {"stepping back"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("demote self with another admin: %d", r.Status)
	}
	// Now other is the last admin: it cannot be disabled by anyone.
	if r := other.PostForm("/staff/"+idStr(other.User.ID)+"/role", url.Values{"role": {"viewer"}, "reason": {"x"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("demote the new last admin: %d", r.Status)
	}
	if env.AuditCount("staff.change_role", "") != 1 || env.AuditCount("staff.disable", "") != 0 {
		t.Fatal("refused actions were recorded")
	}
}

func TestStaffResetPasswordAndRevokeSessions(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := env.As("admin")
	sup := env.As("support")
	id := idStr(sup.User.ID)

	if r := admin.PostForm("/staff/"+id+"/password", url.Values{"password": {"short"}, "reason": {"x"}}); r.Status != http.StatusUnprocessableEntity || r.Text("#f-password-msg") == "" {
		t.Fatalf("short password: %d", r.Status)
	}
	r := admin.PostForm("/staff/"+id+"/password", url.Values{"password": {"a-brand-new-password"}, "reason": {"forgot it"}})
	if r.Status != http.StatusSeeOther || env.AuditCount("staff.reset_password", id) != 1 {
		t.Fatalf("reset password: %d", r.Status)
	}
	if !signedOut(sup) {
		t.Fatal("password reset did not end the user's session")
	}
	c := env.Anonymous()
	c.Get("/login")
	if r := c.PostForm("/login", url.Values{"email": {sup.User.Email}, "password": {servertest.Password}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("old password: %d", r.Status)
	}
	c.SignIn(sup.User.Email, "a-brand-new-password", "")
	if signedOut(c) {
		t.Fatal("new password does not work")
	}
	d := admin.Get("/staff/" + id + "?tab=sessions")
	if d.Doc.Find(`[data-testid="session-row"]`).Length() != 1 || d.Has(`[data-testid="revoke-session"]`) {
		t.Fatalf("sessions tab: %d rows", d.Doc.Find(`[data-testid="session-row"]`).Length())
	}
	r = admin.HTMX("POST", "/staff/"+id+"/revoke-sessions", url.Values{"reason": {"suspicious"}})
	if r.Status != 200 || !strings.Contains(r.Header.Get("HX-Trigger"), "Ended 1 session of") {
		t.Fatalf("revoke sessions: %d %q", r.Status, r.Header.Get("HX-Trigger"))
	}
	if !signedOut(c) || env.AuditCount("staff.revoke_sessions", id) != 1 {
		t.Fatal("revoke sessions did not end the session, or was not audited")
	}
	if signedOut(admin) {
		t.Fatal("the acting admin was signed out")
	}
}

func TestStaffResetOwnPasswordSignsYouOut(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := env.As("admin")
	r := admin.PostForm("/staff/"+idStr(admin.User.ID)+"/password", url.Values{"password": {"my-own-new-password"}, "reason": {"rotation"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("own password reset: %d %q", r.Status, r.Header.Get("Location"))
	}
	if !signedOut(admin) {
		t.Fatal("still signed in after resetting own password")
	}
	var n int
	_ = env.DB.Pool.QueryRow(context.Background(), "SELECT count(*) FROM staff_sessions WHERE staff_id = $1", admin.User.ID).Scan(&n)
	if n != 0 {
		t.Fatalf("%d session rows left (flash saved the session back?)", n)
	}
}

func TestStaffResetTOTP(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := env.As("admin")
	fin := env.As("finance")
	id := idStr(fin.User.ID)

	if r := admin.Get("/staff/" + idStr(admin.User.ID)); r.Has(`[data-testid="action-reset-totp"]`) {
		t.Fatal("own detail offers reset two-factor")
	}
	if r := admin.PostForm("/staff/"+idStr(admin.User.ID)+"/reset-totp", url.Values{"reason": {"x"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("reset own totp: %d", r.Status)
	}
	if r := admin.Get("/staff/" + id); !r.Has(`[data-testid="action-reset-totp"]`) {
		t.Fatal("no reset two-factor action for a TOTP user")
	}
	r := admin.PostForm("/staff/"+id+"/reset-totp", url.Values{"reason": {"lost phone"}})
	if r.Status != http.StatusSeeOther || env.AuditCount("staff.reset_totp", id) != 1 {
		t.Fatalf("reset totp: %d", r.Status)
	}
	u, _ := env.Staff.Get(context.Background(), fin.User.ID)
	if u.TOTPEnabled {
		t.Fatal("TOTP still on")
	}
	if n, _ := env.Staff.RecoveryCodesLeft(context.Background(), fin.User.ID); n != 0 {
		t.Fatalf("%d recovery codes left", n)
	}
	// Finance needs TOTP: the user is sent to enrolment.
	if r := fin.Get("/account/sessions"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/security" {
		t.Fatalf("finance after reset: %d %q", r.Status, r.Header.Get("Location"))
	}
	if r := admin.PostForm("/staff/"+id+"/reset-totp", url.Values{"reason": {"again"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text("[role=alert]"), "not set up") {
		t.Fatalf("reset totp twice: %d %q", r.Status, r.Text("[role=alert]"))
	}
}

func TestStaffBadIDsAndInput(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := env.As("admin")
	for _, p := range []string{"/staff/abc", "/staff/999999", "/staff/-1", "/staff/0", "/staff/99999999999999999999", "/staff/abc/role", "/staff/999999/disable"} {
		if r := admin.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, r.Status)
		}
	}
	for _, p := range []string{"/staff/abc/disable", "/staff/999999/role", "/staff/999999/password", "/staff/1.5/enable", "/staff/999999/reset-totp", "/staff/999999/revoke-sessions"} {
		if r := admin.PostForm(p, url.Values{"reason": {"x"}, "role": {"viewer"}, "password": {"long-enough-password"}}); r.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d", p, r.Status)
		}
	}
	id := idStr(admin.User.ID)
	if r := admin.PostForm("/staff/"+id+"/role", url.Values{"role": {"viewer"}, "reason": {strings.Repeat("r", 600)}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("long reason: %d", r.Status)
	}
	if r := admin.Get("/staff/" + id + "?tab=nonsense"); r.Status != 200 {
		t.Fatalf("bogus tab: %d", r.Status)
	}
	if r := admin.Get("/staff/" + id + "?tab=%00nonsense"); r.Status != http.StatusBadRequest {
		t.Fatalf("NUL in tab: %d, want 400 from the input guard", r.Status)
	}
	if r := admin.Get("/staff/" + id + "?tab=history"); r.Status != 200 || !r.Has(`[hx-get="/history/staff_user/`+id+`"]`) {
		t.Fatalf("history tab: %d", r.Status)
	}
	// A refused change leaves the audit log untouched.
	var n int
	_ = env.DB.Pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_events WHERE action LIKE 'staff.%' AND action NOT IN ('staff.create', 'staff.login', 'staff.totp_enable')").Scan(&n)
	if n != 0 {
		t.Fatalf("%d unexpected staff audit rows", n)
	}
}
