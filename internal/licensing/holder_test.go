package licensing

import (
	"errors"
	"sync"
	"testing"
	"time"

	"lumdesk/internal/audit"
)

// A key holder's own HWID reset (the Discord bot's Reset HWID) follows the
// project's "users may reset" setting and always its cooldown.
func TestResetByKeyHolder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	holder := audit.Discord("555000000000000001", "holder")
	k := f.key(KeyInput{DiscordID: "555000000000000001"})
	f.check(k.UserKey, "hw-1")
	byHolder := ResetOpts{ByKeyHolder: true, HolderDiscordID: "555000000000000001"}

	// The fixture's project does not let users reset: refused, nothing changed.
	if _, err := f.svc.ResetHWID(ctx, holder, f.project.ID, k.UserKey, byHolder); !errors.Is(err, ErrUsersMayNotReset) {
		t.Fatalf("users may not reset: %v", err)
	}
	if got := f.get(k.UserKey); got.Identifier != "hw-1" || got.TotalResets != 0 {
		t.Fatalf("refused reset changed the key: %+v", got)
	}
	// Staff still can.
	if _, err := f.svc.ResetHWID(ctx, cli, f.project.ID, k.UserKey, ResetOpts{}); err != nil {
		t.Fatalf("staff reset: %v", err)
	}
	if _, err := f.svc.UpdateProject(ctx, cli, f.project.ID, ProjectInput{Name: "Hub", ResetCooldown: time.Hour, UsersCanReset: true}); err != nil {
		t.Fatal(err)
	}
	f.check(k.UserKey, "hw-2")
	// The cooldown counts from the staff reset, and a holder cannot force it.
	f.advance(20 * time.Minute)
	var cd *ResetCooldownError
	if _, err := f.svc.ResetHWID(ctx, holder, f.project.ID, k.UserKey, byHolder); !errors.As(err, &cd) || !cd.Ends.Equal(f.now().Add(40*time.Minute)) {
		t.Fatalf("cooldown: %v", err)
	}
	forced := byHolder
	forced.Force = true
	var verr ValidationError
	if _, err := f.svc.ResetHWID(ctx, holder, f.project.ID, k.UserKey, forced); !errors.As(err, &verr) || verr["force"] == "" {
		t.Fatalf("forced by holder: %v", err)
	}
	f.advance(time.Hour)
	// Only the linked Discord user is the holder.
	other := byHolder
	other.HolderDiscordID = "555000000000000002"
	if _, err := f.svc.ResetHWID(ctx, holder, f.project.ID, k.UserKey, other); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("another user's key: %v", err)
	}
	got, err := f.svc.ResetHWID(ctx, holder, f.project.ID, k.UserKey, byHolder)
	if err != nil || got.Identifier != "" || got.TotalResets != 2 {
		t.Fatalf("holder reset: %+v %v", got, err)
	}
	var kind, id string
	if err := f.db.Pool.QueryRow(ctx, `SELECT actor_kind, actor_id FROM audit_events WHERE action = 'license_key.reset_hwid'
		ORDER BY id DESC LIMIT 1`).Scan(&kind, &id); err != nil || kind != "discord" || id != "555000000000000001" {
		t.Fatalf("audit actor %q %q %v", kind, id, err)
	}
}

// A key holder cannot claim a banned key; staff can still link one.
func TestLinkDiscordByKeyHolder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	holder := audit.Discord("555000000000000001", "holder")
	k := f.key(KeyInput{KeyDays: ptr(7)})
	if _, err := f.svc.Blacklist(ctx, cli, f.project.ID, k.UserKey, BlacklistInput{BanReason: "chargeback"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.LinkDiscord(ctx, holder, f.project.ID, k.UserKey, "555000000000000001", LinkOpts{ByKeyHolder: true}); !errors.Is(err, ErrKeyBanned) {
		t.Fatalf("banned key claimed: %v", err)
	}
	if got := f.get(k.UserKey); got.DiscordID != "" || got.ActivatedAt != nil {
		t.Fatalf("refused claim changed the key: %+v", got)
	}
	if _, err := f.svc.LinkDiscord(ctx, holder, f.project.ID, k.UserKey, "555000000000000001", LinkOpts{ByKeyHolder: true, Force: true}); err == nil {
		t.Fatal("a holder forced a link")
	}
	if _, err := f.svc.LinkDiscord(ctx, cli, f.project.ID, k.UserKey, "555000000000000001", LinkOpts{}); err != nil {
		t.Fatalf("staff link of a banned key: %v", err)
	}
	// An unbanned key's days start at the claim.
	k2 := f.key(KeyInput{KeyDays: ptr(7)})
	f.advance(3 * 24 * time.Hour)
	got, err := f.svc.LinkDiscord(ctx, holder, f.project.ID, k2.UserKey, "555000000000000001", LinkOpts{ByKeyHolder: true})
	if err != nil || got.AuthExpire == nil || !got.AuthExpire.Equal(f.now().Add(7*day)) || !got.ActivatedAt.Equal(f.now()) {
		t.Fatalf("claim: %+v %v", got, err)
	}
}

// Two users claiming one key at once: the key's row lock lets exactly one win.
func TestLinkDiscordRace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for round := range 5 {
		k := f.key(KeyInput{})
		ids := []string{"555000000000000001", "555000000000000002"}
		errs := make([]error, len(ids))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = f.svc.LinkDiscord(ctx, audit.Discord(id, "u"), f.project.ID, k.UserKey, id, LinkOpts{ByKeyHolder: true})
			}()
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won == -1:
				won = i
			case err == nil:
				t.Fatalf("round %d: both claimed the key", round)
			case !errors.Is(err, ErrDiscordLinked):
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if won == -1 {
			t.Fatalf("round %d: nobody claimed the key", round)
		}
		if got := f.get(k.UserKey); got.DiscordID != ids[won] {
			t.Fatalf("round %d: linked to %q, winner %q", round, got.DiscordID, ids[won])
		}
	}
}
