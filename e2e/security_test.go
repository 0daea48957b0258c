package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/audit"
	"lumdesk/internal/staff"
)

// A new admin without two-factor is held on /account/security until they
// enrol (QR code, key, code), gets recovery codes once, then reaches the
// rest of the console (staff, sessions, audit detail, opened by row clicks);
// after signing out, a recovery code stands in for the app code.
func TestAdminEnrolsTOTPAndSignsInWithRecoveryCode(t *testing.T) {
	b := start(t)
	const email = "new-admin@e2e.test"
	if _, err := b.Env.Staff.Create(context.Background(), audit.CLI("e2e"), staff.CreateInput{
		Email: email, Name: "Nova Admin", Role: "admin", Password: servertest.Password,
	}); err != nil {
		t.Fatal(err)
	}
	seedAccounts(t, b, 1)

	b.signIn(email, servertest.Password, "")
	b.waitPath(`^/account/security$`)
	b.waitVisible(`[data-testid="totp-required"]`)
	b.open("/accounts", `[data-testid="totp-required"]`) // still held here
	if p := b.path(); p != "/account/security" {
		t.Errorf("an admin without two-factor reached %s", p)
	}
	b.screenshot("must-enrol")

	b.click(`[data-testid="totp-begin"]`)
	b.waitVisible(`[data-testid="totp-enrol"] [data-testid="totp-qr"]`)
	if !eval[bool](b, `(function () { var i = document.querySelector('[data-testid="totp-qr"]'); return i.complete && i.naturalWidth > 0; })()`) {
		t.Error("the TOTP QR code image did not load")
	}
	secret := strings.ReplaceAll(b.text(`[data-testid="totp-secret"]`), " ", "")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatalf("TOTP key %q on the page: %v", secret, err)
	}
	b.screenshot("enrol")
	b.fill(`[data-testid="totp-confirm-form"] `, "code", code)
	b.click(`[data-testid="totp-confirm"]`)
	b.waitVisible(`[data-testid="recovery-codes"]`)
	codes := eval[[]string](b, `Array.from(document.querySelectorAll('[data-testid="recovery-code"]')).map(e => e.textContent.trim())`)
	if len(codes) < 5 {
		t.Fatalf("recovery codes: %q", codes)
	}
	b.screenshot("recovery-codes")
	b.click(`[data-testid="recovery-continue"]`)
	b.waitVisible(`[data-testid="overview-stats"]`)

	// The rest of the console opens; rows open their detail pages on click.
	b.open("/staff", `[data-testid="staff-row"]`)
	b.screenshot("staff")
	b.click(`[data-testid="staff-row"] td:last-child`)
	b.waitPath(`^/staff/\d+$`)
	b.waitVisible(`[data-testid="staff-header"]`)
	b.screenshot("staff-detail")
	b.open("/account/sessions", `[data-testid="session-row"]`)
	if !b.exists(`[data-testid="this-session"]`) {
		t.Error("/account/sessions does not mark this session")
	}
	b.screenshot("sessions")
	b.open("/audit", `[data-testid="audit-row"]`)
	b.click(`[data-testid="audit-row"] td:first-child`)
	b.waitPath(`^/audit/\d+$`)
	b.waitVisible(`[data-testid="audit-detail"]`)
	b.screenshot("audit-detail")
	b.checkConsole("console pages")

	// Sign out through the user menu, then in with a recovery code.
	b.click(`details[data-menu] > summary`)
	b.click(`form[action="/logout"] button[type=submit]`)
	b.waitVisible(`[data-testid="login-form"]`)
	b.fill(`[data-testid="login-form"] `, "email", email)
	b.fill(`[data-testid="login-form"] `, "password", servertest.Password)
	b.click(`[data-testid="login-submit"]`)
	b.waitVisible(`[data-testid="totp-form"]`)
	b.fill(`[data-testid="totp-form"] `, "code", codes[0])
	b.click(`[data-testid="totp-submit"]`)
	b.waitVisible(`[data-testid="overview-stats"]`)
	b.open("/account/security", `[data-testid="totp-on"]`)
	if left, want := b.text(`[data-testid="recovery-codes-left"]`), strconv.Itoa(len(codes)-1); !strings.HasPrefix(left, want) {
		t.Errorf("recovery codes left: %q, want %s (one was used)", left, want)
	}
	b.screenshot("totp-on")
}
