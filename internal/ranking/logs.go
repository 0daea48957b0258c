package ranking

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/ranking/discord"
)

// LogFilter pages a group's actions.
type LogFilter struct {
	UserID int64  // 0: every member
	Kind   string // "": every kind (set, promote, demote, points, outside_change)
	Status string // "": every status (pending, done, failed)
	Limit  int    // 1-200; 0: 50
	Cursor string // NextCursor of the previous page
}

// ActionKinds and ActionStatuses are the values LogFilter takes.
var (
	ActionKinds    = []string{KindSet, KindPromote, KindDemote, KindPoints, KindOutsideChange}
	ActionStatuses = []string{ActionPending, ActionDone, ActionFailed}
)

// LogPage is a page of actions, newest first.
type LogPage struct {
	Items      []Action `json:"items"`
	NextCursor string   `json:"next_cursor"` // "": the last page
}

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("a" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) < 2 || raw[0] != 'a' {
		return 0, false
	}
	id, err := strconv.ParseInt(string(raw[1:]), 10, 64)
	return id, err == nil && id > 0
}

// Logs lists a group's actions, newest first, by keyset cursor.
func (s *Service) Logs(ctx context.Context, scope accounts.Scope, groupID string, f LogFilter) (_ LogPage, err error) {
	defer wrap(&err, "list actions of lumira group %s", groupID)
	fe := ValidationError{}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	if f.Limit < 1 || f.Limit > MaxLogLimit {
		fe["limit"] = fmt.Sprintf("limit is 1-%d.", MaxLogLimit)
	}
	var before *int64
	if f.Cursor != "" {
		id, ok := decodeCursor(f.Cursor)
		if !ok {
			fe["cursor"] = "Unknown cursor: pass next_cursor as it was given."
		}
		before = &id
	}
	if f.UserID < 0 {
		fe["user_id"] = "Enter a Roblox user ID."
	}
	if f.Kind != "" && !slices.Contains(ActionKinds, f.Kind) {
		fe["kind"] = "Choose set, promote, demote, points or outside_change."
	}
	if f.Status != "" && !slices.Contains(ActionStatuses, f.Status) {
		fe["status"] = "Choose pending, done or failed."
	}
	if len(fe) > 0 {
		return LogPage{}, fe
	}
	r, err := findGroup(ctx, s.db.Queries, scope, groupID)
	if err != nil {
		return LogPage{}, err
	}
	p := store.ListLumiraActionsParams{GroupID: r.ID, Limit: int32(f.Limit + 1), BeforeID: before}
	if f.UserID > 0 {
		p.UserID = &f.UserID
	}
	if f.Kind != "" {
		p.Kind = &f.Kind
	}
	if f.Status != "" {
		p.Status = &f.Status
	}
	rows, err := s.db.ListLumiraActions(ctx, p)
	if err != nil {
		return LogPage{}, err
	}
	out := LogPage{Items: []Action{}}
	for i, a := range rows {
		if i == f.Limit {
			out.NextCursor = encodeCursor(rows[i-1].ID)
			break
		}
		out.Items = append(out.Items, actionFromRow(a, r.PublicID))
	}
	return out, nil
}

// GetAction is one action, if its group is inside the scope.
func (s *Service) GetAction(ctx context.Context, scope accounts.Scope, actionID string) (_ Action, err error) {
	defer wrap(&err, "get lumira action %s", actionID)
	if !ids.ValidPublic("act_", actionID) {
		return Action{}, ErrActionNotFound
	}
	a, err := s.db.GetLumiraAction(ctx, actionID)
	if db.IsNotFound(err) {
		return Action{}, ErrActionNotFound
	} else if err != nil {
		return Action{}, err
	}
	g, err := s.db.GetLumiraGroupByID(ctx, a.GroupID)
	if err != nil {
		return Action{}, err
	}
	if !scope.Allows(g.AccountID) {
		return Action{}, ErrActionNotFound
	}
	return actionFromRow(a, g.PublicID), nil
}

// Batch actions.
const (
	BatchSet     = "set"
	BatchPromote = "promote"
	BatchDemote  = "demote"
	BatchPoints  = "points"
)

// BatchItem is one change of a batch.
type BatchItem struct {
	Ref    string // the caller's reference ("": the item's index)
	UserID int64
	Action string // set, promote, demote, points
	Rank   *int   // set
	RoleID string // set
	Delta  int64  // points
	Reason string
}

// BatchItemResult is one item's outcome.
type BatchItemResult struct {
	Ref     string  `json:"ref"`
	Status  string  `json:"status"` // ok or error
	Result  *Change `json:"result,omitempty"`
	Err     error   `json:"-"`
	Code    string  `json:"code,omitempty"` // ErrorCode(Err)
	Message string  `json:"message,omitempty"`
}

// BatchResult is a batch's outcome.
type BatchResult struct {
	Total  int               `json:"total"`
	OK     int               `json:"ok"`
	Failed int               `json:"failed"`
	Items  []BatchItemResult `json:"items"`
}

// Batch runs 1-100 changes of one group in order. It is not atomic: each
// item succeeds or fails on its own, with its own result.
func (s *Service) Batch(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, items []BatchItem) (_ BatchResult, err error) {
	defer wrap(&err, "batch in lumira group %s", groupID)
	if len(items) == 0 || len(items) > MaxBatch {
		return BatchResult{}, ValidationError{"actions": fmt.Sprintf("Send 1-%d actions.", MaxBatch)}
	}
	r, err := findGroup(ctx, s.db.Queries, scope, groupID)
	if err != nil {
		return BatchResult{}, err
	}
	if err := usable(r); err != nil {
		return BatchResult{}, err
	}
	out := BatchResult{Total: len(items), Items: make([]BatchItemResult, 0, len(items))}
	for i, it := range items {
		res := BatchItemResult{Ref: it.Ref}
		if res.Ref == "" {
			res.Ref = strconv.Itoa(i)
		}
		var c Change
		var err error
		switch it.Action {
		case BatchSet:
			c, err = s.SetRank(ctx, actor, scope, groupID, it.UserID, RankInput{Rank: it.Rank, RoleID: it.RoleID, Reason: it.Reason})
		case BatchPromote:
			c, err = s.Promote(ctx, actor, scope, groupID, it.UserID, it.Reason)
		case BatchDemote:
			c, err = s.Demote(ctx, actor, scope, groupID, it.UserID, it.Reason)
		case BatchPoints:
			c, err = s.AddPoints(ctx, actor, scope, groupID, it.UserID, it.Delta, it.Reason)
		default:
			err = ValidationError{"action": "Choose set, promote, demote or points."}
		}
		if err != nil {
			res.Status, res.Err, res.Code, res.Message = "error", err, ErrorCode(err), err.Error()
			out.Failed++
		} else {
			res.Status, res.Result = "ok", &c
			out.OK++
		}
		out.Items = append(out.Items, res)
	}
	return out, nil
}

// NotifyInput is a custom log message.
type NotifyInput struct {
	Content string
	Embed   *discord.Embed
}

// Notify sends a custom message to the group's Discord (through the same
// River job as the logs; Discord's limits kept by truncation).
func (s *Service) Notify(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, in NotifyInput) (err error) {
	defer wrap(&err, "notify lumira group %s", groupID)
	msg := discord.Message{Content: in.Content}
	if in.Embed != nil {
		msg.Embeds = []discord.Embed{*in.Embed}
	}
	fe := ValidationError{}
	checkText(fe, "content", in.Content, 1<<16)
	if msg.Empty() || (in.Embed != nil && strings.TrimSpace(in.Content) == "" && discord.EmbedTotal(msg.Embeds) == 0) {
		fe["content"] = "Give content or an embed with text."
	}
	if len(fe) > 0 {
		return fe
	}
	msg = discord.Fit(msg)
	return pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		r, err := findGroup(ctx, q, scope, groupID)
		if err != nil {
			return err
		}
		if r.WebhookStatus != WebhookOK {
			return ErrNoWebhook
		}
		if err := s.enqueueDiscord(ctx, tx, DiscordArgs{GroupID: r.ID, Message: &msg}); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "lumira_group.notify", EntityType: audit.EntityLumiraGroup,
			EntityID: r.PublicID, After: map[string]any{"content": truncate(msg.Content, 200)}})
	})
}

// DiscordArgs is River's side of a Discord post: an action's log, or a
// custom message.
type DiscordArgs struct {
	GroupID  int64            `json:"group_id"`
	ActionID int64            `json:"action_id,omitempty"`
	Message  *discord.Message `json:"message,omitempty"`
}

// Kind is the River job kind.
func (DiscordArgs) Kind() string { return KindDiscord }

func (s *Service) enqueueDiscord(ctx context.Context, tx pgx.Tx, args DiscordArgs) error {
	_, err := s.inserter.InsertTx(ctx, tx, args, &river.InsertOpts{MaxAttempts: s.set.DiscordMaxAttempts})
	return err
}

// Register adds the Discord worker to a River workers bundle (the runner
// of internal/jobs).
func (s *Service) Register(w *river.Workers) { river.AddWorker(w, &discordWorker{s: s}) }

type discordWorker struct {
	river.WorkerDefaults[DiscordArgs]
	s *Service
}

func (w *discordWorker) Timeout(*river.Job[DiscordArgs]) time.Duration { return 30 * time.Second }

// Work posts once: a 429 snoozes the job for Discord's retry_after (no
// attempt used), a 404 disables the webhook, a refused message is
// cancelled, anything else is retried by River with its backoff.
func (w *discordWorker) Work(ctx context.Context, j *river.Job[DiscordArgs]) error {
	err := w.s.postDiscord(ctx, j.Args)
	var rl *discord.RateLimitedError
	var refused *discord.RefusedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &rl):
		return river.JobSnooze(max(rl.RetryAfter, 10*time.Millisecond))
	case errors.As(err, &refused):
		w.s.log.Warn("discord refused a lumira log message", "group", j.Args.GroupID, "err", err)
		return river.JobCancel(err)
	}
	w.s.log.Warn("lumira discord post failed", "group", j.Args.GroupID, "attempt", j.Attempt, "err", err)
	return err
}

func (s *Service) postDiscord(ctx context.Context, args DiscordArgs) error {
	g, err := s.db.GetLumiraGroupByID(ctx, args.GroupID)
	if db.IsNotFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	if g.WebhookStatus != WebhookOK || g.WebhookSealed == nil {
		return nil // removed or disabled since: nothing to post
	}
	url, err := s.box.Open(g.WebhookSealed, webhookContext(g.PublicID))
	if err != nil {
		return fmt.Errorf("the webhook URL does not open (master key changed?): %w", err)
	}
	var msg discord.Message
	switch {
	case args.Message != nil:
		msg = *args.Message
	case args.ActionID != 0:
		a, err := s.db.GetLumiraActionByID(ctx, args.ActionID)
		if db.IsNotFound(err) {
			return nil
		} else if err != nil {
			return err
		}
		m, err := s.db.GetLumiraMember(ctx, store.GetLumiraMemberParams{GroupID: g.ID, RobloxUserID: a.RobloxUserID})
		if err != nil && !db.IsNotFound(err) {
			return err
		}
		roles, err := s.db.ListLumiraRoles(ctx, g.ID)
		if err != nil {
			return err
		}
		msg = actionMessage(groupFromRow(g, roles), actionFromRow(a, g.PublicID), m.Username)
	default:
		return nil
	}
	err = s.discord.Post(ctx, string(url), msg)
	if errors.Is(err, discord.ErrWebhookGone) {
		return s.disableWebhook(ctx, g, "Discord answered 404 Unknown Webhook: the webhook was deleted. Set a new one.")
	}
	return err
}

func (s *Service) disableWebhook(ctx context.Context, g store.LumiraGroup, reason string) error {
	return s.db.Tx(ctx, func(q *store.Queries) error {
		before, err := s.loadGroup(ctx, q, g)
		if err != nil {
			return err
		}
		row, err := q.DisableLumiraGroupWebhook(ctx, store.DisableLumiraGroupWebhookParams{ID: g.ID, WebhookDisabledReason: reason, Now: s.clock()})
		if db.IsNotFound(err) {
			return nil // disabled (or replaced) meanwhile
		} else if err != nil {
			return err
		}
		after, err := s.loadGroup(ctx, q, row)
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.System("lumira discord"), audit.Event{Action: "lumira_group.webhook_disabled",
			EntityType: audit.EntityLumiraGroup, EntityID: g.PublicID, Reason: reason, Before: groupAudit(before), After: groupAudit(after)})
	})
}

var kindTitles = map[string]string{KindSet: "Rank set", KindPromote: "Promoted", KindDemote: "Demoted", KindPoints: "Points changed",
	KindOutsideChange: "Rank changed outside Lumira"}

var kindColors = map[string]int{KindSet: 0x3b82f6, KindPromote: 0x22c55e, KindDemote: 0xef4444, KindPoints: 0xa855f7, KindOutsideChange: 0xf59e0b}

// actionMessage is an action's log embed: user, old → new rank, actor,
// reason, time.
func actionMessage(g Group, a Action, username string) discord.Message {
	user := fmt.Sprintf("User %d", a.UserID)
	if username != "" {
		user = fmt.Sprintf("%s (%d)", username, a.UserID)
	}
	roleName := func(id string, rank *int) string {
		if r, ok := g.RoleByID(id); ok {
			return fmt.Sprintf("%s (%d)", r.Name, r.Rank)
		}
		if rank != nil {
			return fmt.Sprintf("rank %d", *rank)
		}
		return "not in the group"
	}
	actor := a.ActorLabel
	if actor == "" {
		actor = a.ActorKind
	}
	reason := a.Reason
	if reason == "" {
		reason = "(none)"
	}
	e := discord.Embed{Title: kindTitles[a.Kind], Color: kindColors[a.Kind], Timestamp: a.CreatedAt.Format(time.RFC3339),
		Description: fmt.Sprintf("**%s**: %s → %s", user, roleName(a.OldRoleID, a.OldRank), roleName(a.NewRoleID, a.NewRank)),
		Fields: []discord.Field{{Name: "User", Value: user, Inline: true}, {Name: "Old rank", Value: roleName(a.OldRoleID, a.OldRank), Inline: true},
			{Name: "New rank", Value: roleName(a.NewRoleID, a.NewRank), Inline: true}, {Name: "By", Value: actor, Inline: true},
			{Name: "Reason", Value: reason}},
		Footer: &discord.Footer{Text: fmt.Sprintf("%s · %s", g.Name, a.ID)}}
	if a.Kind == KindPoints {
		e.Fields = append(e.Fields, discord.Field{Name: "Points", Value: fmt.Sprintf("%+d", a.PointsDelta), Inline: true})
	}
	return discord.Fit(discord.Message{Username: "Lumira", Embeds: []discord.Embed{e}})
}
