package e2e

import (
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
)

// An admin (TOTP enrolled) signs in through the real form and the TOTP page
// and lands on the overview.
func TestAdminSignsInWithTOTP(t *testing.T) {
	b := start(t)
	_, secret := b.Env.CreateStaff("admin@e2e.test", "admin")
	if secret == "" {
		t.Fatal("CreateStaff gave an admin no TOTP secret")
	}
	b.open("/", `[data-testid="login-form"]`) // signed out: sent to sign-in
	if p := b.path(); !strings.HasPrefix(p, "/login") {
		t.Fatalf("signed-out / went to %s, want /login", p)
	}
	b.screenshot("login")
	b.signIn("admin@e2e.test", servertest.Password, secret)
	b.waitVisible(`[data-testid="overview-stats"]`)
	if p := b.path(); p != "/" {
		t.Errorf("after sign-in at %s, want /", p)
	}
	b.screenshot("overview")
	b.checkConsole("overview")
}
