package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/customers"
)

// portalSignIn goes through the portal's sign-in form and waits for the
// portal's shell.
func (b *B) portalSignIn(email string) {
	b.t.Helper()
	b.open("/portal/login", `[data-testid="login-form"]`)
	b.fill(`[data-testid="login-form"] `, "email", email)
	b.fill(`[data-testid="login-form"] `, "password", servertest.Password)
	b.click(`[data-testid="login-submit"]`)
	b.waitPath(`^/portal$`)
	b.waitVisible(`#sidebar`)
}

// A read-only user reads the team but is offered no change, and a change
// posted from the page with the session's own CSRF token is refused with
// 403; an owner invites a teammate, who is mailed the link (never shown),
// and changes a role through the dialog.
func TestPortalTeamReadOnlyRefusedOwnerInvites(t *testing.T) {
	b := start(t)
	acc := b.Env.CreateAccount("Teamwork Games")
	owner := b.Env.CreateCustomer(acc.ID, "owner@teamwork.e2e", customers.RoleOwner)
	reader := b.Env.CreateCustomer(acc.ID, "reader@teamwork.e2e", customers.RoleReadOnly)

	b.portalSignIn(reader.Email)
	b.open("/portal/account/team", `[data-testid="member-row"]`)
	if !b.exists(`[data-testid="team-readonly"]`) {
		t.Error("the read-only note is missing")
	}
	for _, sel := range []string{`[data-testid="member-change-role"]`, `[data-testid="member-remove"]`, `[data-testid="invite-form"]`,
		`[data-testid="invite-open"]`, `[data-testid="invitation-revoke"]`} {
		if b.exists(sel) {
			t.Errorf("a read-only user is offered %s", sel)
		}
	}
	b.screenshot("readonly")

	b.allow(`status of 403 .*/portal/account/team/`)
	type answer struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	for _, post := range []struct{ path, body string }{
		{"/portal/account/team/" + strconv.FormatInt(owner.ID, 10) + "/role", "role=read_only"},
		{"/portal/account/team/" + strconv.FormatInt(owner.ID, 10) + "/remove", ""},
		{"/portal/account/team/invite", "email=sneaky%40teamwork.e2e&role=owner"},
	} {
		got := eval[answer](b, `fetch(`+strconv.Quote(post.path)+`, {
			method: 'POST',
			headers: {
				'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content,
				'Content-Type': 'application/x-www-form-urlencoded',
			},
			body: `+strconv.Quote(post.body)+`,
			redirect: 'manual',
		}).then(async r => ({status: r.status, body: await r.text()}))`)
		if got.Status != 403 || !strings.Contains(got.Body, "permission") {
			t.Errorf("read-only POST %s: %d (want 403 about permission)\n%.300s", post.path, got.Status, got.Body)
		}
	}
	if u, err := b.Env.Customers.Get(context.Background(), owner.ID); err != nil || u.Role != customers.RoleOwner || u.Disabled {
		t.Fatalf("the owner was changed: %+v %v", u, err)
	}

	// The owner's turn, in a fresh browser session.
	if st := eval[int](b, `fetch('/portal/logout', {method: 'POST', redirect: 'manual',
		headers: {'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content}}).then(r => r.type === 'opaqueredirect' ? 303 : r.status)`); st != 303 {
		t.Fatalf("sign out: %d", st)
	}
	b.portalSignIn(owner.Email)
	if !b.exists(`#sidebar a[href="/portal/account/team"]`) {
		t.Error("the sidebar has no Team entry")
	}
	b.open("/portal/account/team", `[data-testid="invite-form"]`)
	b.fill(`[data-testid="invite-form"] `, "email", "mate@teamwork.e2e")
	b.click(`label[for="invite-billing"]`)
	b.click(`[data-testid="invite-submit"]`)
	b.toast(`Invitation mailed to mate@teamwork\.e2e`)
	b.waitVisible(`[data-testid="invitation-row"][data-email="mate@teamwork.e2e"]`)
	if got := b.text(`[data-testid="invitation-row"][data-email="mate@teamwork.e2e"]`); !strings.Contains(got, "Billing") {
		t.Errorf("invitation row: %q", got)
	}
	if strings.Contains(b.html(), "/portal/invite/") {
		t.Error("the invitation link is shown to the owner")
	}
	var mails int
	if err := b.Env.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM mail_recipients WHERE email = 'mate@teamwork.e2e'`).Scan(&mails); err != nil || mails != 1 {
		t.Fatalf("mails to the invitee: %d %v", mails, err)
	}
	b.screenshot("invited")

	// Change the reader's role through the dialog.
	row := `tr[data-email="reader@teamwork.e2e"] `
	b.click(row + `[data-testid="member-change-role"]`)
	dialog := `#role-` + strconv.FormatInt(reader.ID, 10)
	b.waitVisible(dialog)
	b.click(dialog + ` label[for="role-` + strconv.FormatInt(reader.ID, 10) + `-developer"]`)
	b.click(dialog + ` button[type=submit]`)
	b.toast(`is now Developer`)
	b.waitText(row+`[data-testid="member-role"]`, `^Developer$`)

	// No page scrolls sideways on a phone, and at 1024 px every table fits its card.
	for _, vp := range []struct {
		w      int64
		mobile bool
	}{{375, true}, {1024, false}} {
		b.viewport(vp.w, 800, vp.mobile)
		for _, p := range []string{"/portal/account/team", "/portal/account/security", "/portal/account/sessions"} {
			b.open(p, "#main")
			if w := eval[int64](b, `document.documentElement.scrollWidth`); w > vp.w {
				t.Errorf("%s is %d px wide at %d", p, w, vp.w)
			}
			if !vp.mobile {
				b.screenshot(strings.TrimPrefix(p, "/portal/account/") + "-1024")
				if n := eval[int](b, `Array.from(document.querySelectorAll('.table-wrap')).filter(e => e.scrollWidth > e.clientWidth + 1).length`); n > 0 {
					t.Errorf("%s at %d px: %d tables wider than their card", p, vp.w, n)
				}
			}
		}
	}
	b.viewport(375, 800, true)
	b.open("/portal/account/team", `[data-testid="member-row"]`)
	b.screenshot("phone")
}
