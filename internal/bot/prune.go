package bot

import (
	"context"
	"time"

	"lumdesk/db/store"
)

// Retention of what the bot keeps.
const (
	// InteractionRetention is how long the interactions log keeps a row:
	// the console's status and history look back days, not months.
	InteractionRetention = 30 * 24 * time.Hour
	// SandboxRetention: a sandbox follow-up is only read while its
	// interaction's token lives.
	SandboxRetention = 24 * time.Hour
	pruneBatch       = 5000
)

// Prune forgets interactions older than InteractionRetention, sandbox
// follow-ups older than a day and link codes that expired over
// InteractionRetention ago (the daily River job). It deletes in batches,
// so a large backlog never holds a long lock, and says how many rows went.
func (s *Service) Prune(ctx context.Context) (int, error) {
	now := s.clock()
	total := 0
	for {
		n, err := s.db.PruneBotInteractions(ctx, store.PruneBotInteractionsParams{Before: now.Add(-InteractionRetention), Batch: pruneBatch})
		if err != nil {
			return total, err
		}
		total += int(n)
		if n < pruneBatch {
			break
		}
	}
	n, err := s.db.PruneBotSandboxMessages(ctx, now.Add(-SandboxRetention))
	if err != nil {
		return total, err
	}
	total += int(n)
	// Replays are refused by the signature's clock after maxSkew.
	n, err = s.db.PruneBotInteractionsSeen(ctx, now.Add(-2*maxSkew))
	if err != nil {
		return total, err
	}
	total += int(n)
	n, err = s.db.PruneBotLinkCodes(ctx, now.Add(-InteractionRetention))
	return total + int(n), err
}
