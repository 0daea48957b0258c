package demo_test

import (
	"bytes"
	"context"
	"testing"

	"lumdesk/handlers/server"
	"lumdesk/internal/audit"
	"lumdesk/internal/demo"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

var demoActor = audit.CLI("demo test")

// The demo accounts get real Luarmor plans, once: a second seed keeps a
// plan that staff changed.
func TestSeedLicensingPlans(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	box, _ := secretbox.New(bytes.Repeat([]byte{1}, 32))
	svc := server.NewServices(config.Config{Demo: true}, d, box)
	t.Cleanup(svc.Licensing.Close)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, svc.DemoDeps()); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int{"ops@nightfall.gg": {500, 100}, "contact@voidline.dev": {60, 10}}
	for email, limits := range want {
		acc, err := svc.Licensing.ResolveAccount(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		u, err := svc.Licensing.PlanUsage(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.UpdatedAt == nil || u.MaxUsers != limits[0] || u.Obfuscations != limits[1] || u.ObfuscationsUsed == 0 || u.ObfuscationsRemaining <= 0 {
			t.Errorf("%s: plan %+v", email, u)
		}
	}
	acc, _ := svc.Licensing.ResolveAccount(ctx, "contact@voidline.dev")
	if _, err := svc.Licensing.SetPlan(ctx, demoActor, acc.ID, licensing.PlanInput{MaxUsers: 1000, Obfuscations: 50, Reason: "upgrade"}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Seed(ctx, svc.DemoDeps()); err != nil {
		t.Fatal(err)
	}
	if p, _ := svc.Licensing.GetPlan(ctx, acc.ID); p.MaxUsers != 1000 || p.Obfuscations != 50 {
		t.Errorf("a second seed reset the changed plan: %+v", p)
	}
}
