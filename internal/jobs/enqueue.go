package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/plural"
)

// ValidationError maps input fields to messages (the licensing type, so
// the pages handle both alike).
type ValidationError = licensing.ValidationError

// params is what a job was asked to do (bulk_jobs.params).
type params struct {
	Actor  audit.Actor `json:"actor"`
	Reason string      `json:"reason"`
	// key actions
	IDs       []int64    `json:"ids,omitempty"`
	BanReason string     `json:"ban_reason,omitempty"`
	BanExpire *time.Time `json:"ban_expire,omitempty"`
	Days      int        `json:"days,omitempty"`
	Force     bool       `json:"force,omitempty"`
	// generate
	Count      int               `json:"count,omitempty"`
	KeyDays    *int              `json:"key_days,omitempty"`
	Note       string            `json:"note,omitempty"`
	AuthExpire *licensing.Expiry `json:"auth_expire,omitempty"`
	// import
	Rows []ImportRow `json:"rows,omitempty"`
}

// jobArgs is River's side of a job: which bulk_jobs row to work.
type jobArgs struct {
	JobID int64 `json:"job_id"`
}

func (jobArgs) Kind() string { return "bulk_job" }

// InsertOpts: plenty of attempts for infrastructure trouble (items' own
// failures are results, not job errors).
func (jobArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

// KeyAction is a bulk action on selected keys.
type KeyAction struct {
	Action string  // "blacklist", "unban", "reset-hwid", "extend" or "delete"
	IDs    []int64 // internal key ids
	Reason string  // for every key's audit row; with blacklist, the optional internal note
	// blacklist: the reason shown to the user, which is also the audit reason
	BanReason string
	BanExpire *time.Time // nil: no end
	// extend
	Days int
	// reset-hwid: skip the project's cooldown (staff allowed to force a reset)
	Force bool
}

// Kinds of the key actions.
var actionKinds = map[string]string{"blacklist": KindBlacklist, "unban": KindUnban, "reset-hwid": KindResetHWID, "extend": KindExtend, "delete": KindDelete}

// checkReason: staff give a reason for every change (it goes into each audit row).
func checkReason(actor audit.Actor, reason string, verr ValidationError) string {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "" && actor.Kind == audit.KindStaff:
		verr["reason"] = "is required; it is recorded in the audit log of every key"
	case utf8.RuneCountInString(reason) > licensing.MaxReasonLen || !utf8.ValidString(reason):
		verr["reason"] = fmt.Sprintf("must be text, at most %d characters", licensing.MaxReasonLen)
	}
	return reason
}

// EnqueueKeyAction starts a bulk action on up to MaxSelection keys.
func (s *Service) EnqueueKeyAction(ctx context.Context, actor audit.Actor, in KeyAction) (Job, error) {
	verr := ValidationError{}
	kind, ok := actionKinds[in.Action]
	if !ok {
		verr["action"] = "must be blacklist, unban, reset-hwid, extend or delete"
	}
	ids := slices.Clone(in.IDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	switch {
	case len(ids) == 0:
		verr["ids"] = "select at least one key"
	case len(ids) > MaxSelection:
		verr["ids"] = fmt.Sprintf("%d keys are selected; one bulk action takes at most %d. Narrow the filter or split the selection.", len(ids), MaxSelection)
	case ids[0] <= 0:
		verr["ids"] = "contains an invalid key id"
	}
	p := params{Actor: actor, IDs: ids}
	if in.Action != "blacklist" {
		p.Reason = checkReason(actor, in.Reason, verr)
	}
	var title string
	switch in.Action {
	case "blacklist":
		// One reason, the one the user is shown, is also every audit row's
		// reason (licensing.BlacklistInput); Reason is only an internal note.
		p.BanReason = strings.TrimSpace(in.BanReason)
		p.Reason = strings.TrimSpace(in.Reason)
		if utf8.RuneCountInString(p.Reason) > licensing.MaxReasonLen || !utf8.ValidString(p.Reason) {
			verr["note"] = fmt.Sprintf("must be text, at most %d characters", licensing.MaxReasonLen)
		}
		switch {
		case len(p.BanReason) > licensing.MaxBanReasonLen || strings.ContainsAny(p.BanReason, "\r\n"):
			verr["ban_reason"] = fmt.Sprintf("must be text on one line, at most %d bytes", licensing.MaxBanReasonLen)
		case p.BanReason == "" && p.Reason == "" && actor.Kind == audit.KindStaff:
			verr["ban_reason"] = "is required; the user sees it and it is recorded in the audit log of every key"
		}
		if in.BanExpire != nil && !in.BanExpire.After(time.Now()) {
			verr["ban_expire"] = "must be in the future (leave it empty for a ban without end)"
		}
		p.BanExpire = in.BanExpire
		title = "Blacklist " + plural.Of(len(ids), "key", "keys")
	case "extend":
		if in.Days < 1 || in.Days > licensing.MaxExtendDays {
			verr["days"] = fmt.Sprintf("must be a whole number of days from 1 to %d", licensing.MaxExtendDays)
		}
		p.Days = in.Days
		title = "Extend " + plural.Of(len(ids), "key", "keys") + " by " + plural.Of(in.Days, "day", "days")
	case "unban":
		title = "Unban " + plural.Of(len(ids), "key", "keys")
	case "reset-hwid":
		p.Force = in.Force
		title = "Reset the HWID of " + plural.Of(len(ids), "key", "keys")
		if in.Force {
			title = "Force-reset the HWID of " + plural.Of(len(ids), "key", "keys")
		}
	case "delete":
		title = "Delete " + plural.Of(len(ids), "key", "keys")
	}
	if len(verr) > 0 {
		return Job{}, verr
	}
	return s.enqueue(ctx, actor, kind, "", title, p, len(ids))
}

// Generate is a request for n new keys with the same settings.
type Generate struct {
	ProjectID string // public id
	Count     int
	licensing.KeyInput
}

// EnqueueGenerate starts generating keys. The settings are checked first,
// so a mistake is a form error rather than a failed job.
func (s *Service) EnqueueGenerate(ctx context.Context, actor audit.Actor, in Generate) (Job, error) {
	verr := ValidationError{}
	if in.Count < 1 || in.Count > licensing.MaxGenerate {
		verr["count"] = fmt.Sprintf("must be between 1 and %d", licensing.MaxGenerate)
	}
	in.Reason = checkReason(actor, in.Reason, verr)
	if err := s.lic.CheckKeyInput(actor, in.KeyInput); err != nil {
		if v, ok := err.(licensing.ValidationError); ok {
			for k, m := range v {
				verr[k] = m
			}
		} else {
			return Job{}, err
		}
	}
	proj, err := s.lic.GetProject(ctx, in.ProjectID)
	if err != nil {
		if _, ok := err.(interface{ NotFound() bool }); ok {
			verr["project"] = "no such project"
		} else {
			return Job{}, err
		}
	}
	if len(verr) > 0 {
		return Job{}, verr
	}
	p := params{Actor: actor, Reason: in.Reason, Count: in.Count, KeyDays: in.KeyDays, Note: in.Note, AuthExpire: in.AuthExpire}
	return s.enqueue(ctx, actor, KindGenerate, proj.ID, "Generate "+plural.Of(in.Count, "key", "keys")+" in "+proj.Name, p, in.Count)
}

// ImportRow is one data row of a CSV import. Err is set when the row could
// not be read (it is reported as that row's failure).
type ImportRow struct {
	Line       int               `json:"line"` // line number in the file (the header is line 1)
	UserKey    string            `json:"user_key,omitempty"`
	Identifier string            `json:"identifier,omitempty"`
	DiscordID  string            `json:"discord_id,omitempty"`
	Note       string            `json:"note,omitempty"`
	KeyDays    *int              `json:"key_days,omitempty"`
	AuthExpire *licensing.Expiry `json:"auth_expire,omitempty"`
	Err        string            `json:"err,omitempty"`
}

// Import is a CSV import into a project.
type Import struct {
	ProjectID string
	FileName  string
	Rows      []ImportRow
	Reason    string
}

// EnqueueImport starts importing rows.
func (s *Service) EnqueueImport(ctx context.Context, actor audit.Actor, in Import) (Job, error) {
	verr := ValidationError{}
	reason := checkReason(actor, in.Reason, verr)
	switch {
	case len(in.Rows) == 0:
		verr["file"] = "has no data rows"
	case len(in.Rows) > MaxImportRows:
		verr["file"] = fmt.Sprintf("has %d rows; one import takes at most %d", len(in.Rows), MaxImportRows)
	}
	proj, err := s.lic.GetProject(ctx, in.ProjectID)
	if err != nil {
		if _, ok := err.(interface{ NotFound() bool }); ok {
			verr["project"] = "no such project"
		} else {
			return Job{}, err
		}
	}
	if len(verr) > 0 {
		return Job{}, verr
	}
	title := "Import " + plural.Of(len(in.Rows), "row", "rows") + " into " + proj.Name
	if in.FileName != "" {
		title += " from " + oneLine(in.FileName)
	}
	return s.enqueue(ctx, actor, KindImport, proj.ID, title, params{Actor: actor, Reason: reason, Rows: in.Rows}, len(in.Rows))
}

// enqueue writes the job row, its audit row and River's job in one transaction.
func (s *Service) enqueue(ctx context.Context, actor audit.Actor, kind, projectID, title string, p params, total int) (Job, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return Job{}, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	var row store.BulkJob
	err = pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		in := store.InsertBulkJobParams{Kind: kind, CreatedByLabel: actor.Label, ProjectID: projectID,
			Title: title, Params: raw, Total: int32(total)}
		if id := actor.StaffID(); id != 0 {
			in.CreatedBy = &id
		}
		var err error
		if row, err = q.InsertBulkJob(ctx, in); err != nil {
			return err
		}
		after := map[string]any{"kind": kind, "title": title, "total": total}
		if projectID != "" {
			after["project_id"] = projectID
		}
		if err := audit.Record(ctx, q, actor, audit.Event{Action: "bulk_job.create", EntityType: "bulk_job",
			EntityID: strconv.FormatInt(row.ID, 10), Reason: p.Reason, After: after}); err != nil {
			return err
		}
		_, err = s.inserter.InsertTx(ctx, tx, jobArgs{JobID: row.ID}, nil)
		return err
	})
	if err != nil {
		return Job{}, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	return jobFromRow(row), nil
}
