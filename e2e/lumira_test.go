package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/jobs"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/ranking/discord"
	"lumdesk/internal/ranking/discord/discordtest"
)

// Staff add a Sandbox group in the console with a webhook on the test
// Discord, edit its ladder (a bad threshold is refused first), promote a
// member from the member page, and find the promotion in the group's log,
// in its action's History, and posted to the Discord channel as an embed.
func TestLumiraSandboxPromoteToDiscord(t *testing.T) {
	dc := discordtest.New(t)
	b := startFor(t, testTimeout, func(c *config.Config) { c.LumiraDiscordURL = dc.URL })
	ctx := context.Background()
	b.Env.Jobs.SetOptions(jobs.Options{TestOnly: true, PollInterval: 50 * time.Millisecond})
	if err := b.Env.Jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = b.Env.Jobs.Stop(sctx)
	})
	acct, err := b.Env.Accounts.Create(ctx, audit.CLI("e2e"), accounts.CreateInput{Name: "Nightfall Studios", Email: "ops@nightfall.e2e"})
	if err != nil {
		t.Fatal(err)
	}
	b.allow(`status of 422 .*/lumira/groups/grp_[a-z2-7]+/ladder\]$`) // the refused ladder's form answer
	b.staff("support")

	// Add the group: no key, so it is a Sandbox group.
	b.open("/lumira", `[data-testid="add-group"]`)
	b.click(`[data-testid="add-group"] summary`)
	form := `[data-testid="add-group-form"] `
	b.fill(form, "account", strconv.FormatInt(acct.ID, 10))
	b.fill(form, "roblox_group_id", "5150")
	b.fill(form, "name", "Night Watch")
	b.fill(form, "discord_webhook", dc.WebhookURL())
	b.screenshot("add-group")
	b.click(`[data-testid="add-group-submit"]`)
	groupPath := b.waitPath(`^/lumira/groups/grp_[a-z2-7]{16}$`)
	b.toast(`Sandbox group added`)
	b.waitText(`[data-testid="group-header"] [data-testid="group-status"]`, `^Sandbox$`)
	b.screenshot("group-ladder")

	// Edit the ladder: a threshold that is not a number is refused on its row.
	trainee := `[data-testid="role-row"][data-rank="5"] `
	b.fill(trainee, "pts_1005", "lots")
	b.click(`[data-testid="save-ladder"]`)
	b.waitText(trainee+`[data-testid="field-error"]`, `whole number`)
	b.waitVisible(`[data-testid="ladder-error"]`)
	b.fill(trainee, "pts_1005", "20") // between Member (0) and Junior Staff (25)
	b.click(`[data-testid="save-ladder"]`)
	b.toast(`Ladder saved`)
	if v := eval[string](b, `document.querySelector('input[name="pts_1005"]').value`); v != "20" {
		t.Errorf("Trainee threshold after saving = %q", v)
	}

	// Promote sandbox_alex (Member) from his page, found by user ID.
	b.open(groupPath+"?tab=members&q=9000000001", `[data-testid="open-member"]`)
	b.click(`[data-testid="open-member"]`)
	b.waitPath(`/members/9000000001$`)
	b.waitText(`[data-testid="member-role"]`, `^Member`)
	b.fill(`[data-testid="rank-step-form"] `, "reason", "Passed the patrol exam")
	b.click(`[data-testid="promote"]`)
	b.toast(`Promoted: now Trainee`)
	b.waitText(`[data-testid="member-role"]`, `^Trainee`)
	b.waitText(`[data-testid="action-row"]`, `Passed the patrol exam`)
	b.screenshot("member")

	// The log lists it; its page's History has the audit event.
	b.open(groupPath+"?tab=log", `[data-testid="action-row"][data-kind="promote"]`)
	b.waitText(`[data-testid="action-row"][data-kind="promote"] [data-testid="action-change"]`, `Member \(1\) → Trainee \(5\)`)
	b.click(`[data-testid="action-row"][data-kind="promote"] a.cell-primary`)
	b.waitPath(`^/lumira/actions/act_[a-z2-7]{16}$`)
	b.waitText(`[data-testid="history"]`, `(?i)promot`)
	b.screenshot("action")
	// The group's History tab has the ladder edit.
	b.open(groupPath+"?tab=history", `[data-testid="history"]`)
	b.waitText(`[data-testid="history"]`, `(?i)ladder`)

	// Discord got the promotion as an embed.
	m := lmE2EWaitEmbed(t, dc, "Passed the patrol exam")
	e := m.Embeds[0]
	if !strings.Contains(e.Description, "Member") || !strings.Contains(e.Description, "Trainee") || e.Footer == nil ||
		!strings.Contains(e.Footer.Text, "Night Watch") {
		t.Errorf("embed: %+v", e)
	}

	// "Send test" reaches the channel too.
	b.open(groupPath+"?tab=discord", `[data-testid="send-test"]`)
	b.waitText(`[data-testid="webhook-status"]`, `OK`)
	b.click(`[data-testid="send-test"]`)
	b.toast(`Test message queued`)
	deadline := time.Now().Add(15 * time.Second)
	for !lmE2EPosted(dc, func(m discord.Message) bool { return strings.Contains(m.Content, "Test message from Lumdesk") }) {
		if time.Now().After(deadline) {
			t.Fatalf("the test message never reached Discord: %+v", dc.Messages())
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.screenshot("discord")
	b.viewport(390, 844, true)
	b.open(groupPath, `[data-testid="group-header"]`)
	b.screenshot("group-phone")
	b.open(groupPath+"/members/9000000001", `[data-testid="member-header"]`)
	b.screenshot("member-phone")
}

func lmE2EPosted(dc *discordtest.Server, ok func(discord.Message) bool) bool {
	for _, m := range dc.Messages() {
		if ok(m) {
			return true
		}
	}
	return false
}

// lmE2EWaitEmbed waits for a message with an embed naming reason.
func lmE2EWaitEmbed(t *testing.T, dc *discordtest.Server, reason string) discord.Message {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, m := range dc.Messages() {
			for _, e := range m.Embeds {
				for _, f := range e.Fields {
					if f.Name == "Reason" && f.Value == reason {
						return discord.Message{Username: m.Username, Content: m.Content, Embeds: []discord.Embed{e}}
					}
				}
			}
		}
	}
	t.Fatalf("no embed with reason %q reached Discord: %+v", reason, dc.Messages())
	return discord.Message{}
}
