package bot_test

import (
	"testing"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/bot"
)

func TestPruneForgetsOnlyWhatIsPastRetention(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.linkProject(guild) // one interaction now, and one used link code
	old := time.Now().Add(-bot.InteractionRetention - time.Hour)
	if _, err := f.db.Pool.Exec(bctx, `INSERT INTO bot_interactions (at, name, outcome) SELECT $1, '/luarmor panel', 'ok' FROM generate_series(1, 7)`, old); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Pool.Exec(bctx, `INSERT INTO bot_sandbox_messages (interaction_token, body, created_at) VALUES ('t-old', '{}', $1), ('t-new', '{}', now())`,
		time.Now().Add(-bot.SandboxRetention-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.bot.NewLinkCode(bctx, bActor, accounts.Only(f.acct), bot.AreaLicensing, f.project.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Pool.Exec(bctx, `UPDATE bot_link_codes SET expires_at = $1 WHERE used_at IS NOT NULL`, old); err != nil {
		t.Fatal(err)
	}
	n, err := f.bot.Prune(bctx)
	if err != nil || n != 7+1+1 {
		t.Fatalf("pruned %d rows, %v; want 9", n, err)
	}
	var interactions, sandbox, codes int
	if err := f.db.Pool.QueryRow(bctx, `SELECT (SELECT count(*) FROM bot_interactions), (SELECT count(*) FROM bot_sandbox_messages),
		(SELECT count(*) FROM bot_link_codes)`).Scan(&interactions, &sandbox, &codes); err != nil {
		t.Fatal(err)
	}
	if interactions != 1 || sandbox != 1 || codes != 1 {
		t.Fatalf("left %d interactions, %d sandbox messages, %d codes; want 1 each", interactions, sandbox, codes)
	}
	if links, _ := f.bot.ListLinks(bctx, bot.LinkFilter{Scope: accounts.AllAccounts}); len(links) != 1 {
		t.Fatal("the link went with its code")
	}
}
