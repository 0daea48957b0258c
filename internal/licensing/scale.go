package licensing

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
)

// BulkKey is one key of a bulk load: a full row, as a synthetic data set
// describes it. Bulk loads are for `lumdesk seed --scale` only: they skip
// the rules (validation, time rules) and are audited once per call, not per
// key. Imports of real keys go through CreateKey.
type BulkKey struct {
	UserKey         string // "" = a random one
	Identifier      string
	DiscordID       string
	Note            string
	KeyDays         *int32
	AuthExpire      *time.Time
	ActivatedAt     *time.Time
	Banned          bool
	BanReason       string
	BanExpire       *time.Time
	TotalResets     int32
	LastResetAt     *time.Time
	TotalExecutions int64      // counted only with a LastExecutionAt
	LastExecutionAt *time.Time // nil: never executed
	CreatedAt       time.Time
}

// BulkLoadKeys writes keys into a project with COPY and returns how many.
func (s *Service) BulkLoadKeys(ctx context.Context, actor audit.Actor, projectID string, keys []BulkKey) (int64, error) {
	p, err := s.project(ctx, s.db.Queries, projectID)
	if err != nil {
		return 0, err
	}
	rows := make([]store.CopyLicenseKeysParams, len(keys))
	var ran store.SetBulkLicenseKeyExecutionsParams // the keys' executions, on their activity rows
	for i, k := range keys {
		if k.UserKey == "" {
			k.UserKey = ids.Token(UserKeyLen)
		}
		var tok *string
		if k.Banned {
			t := ids.Token(UnbanTokenLen)
			tok = &t
		}
		rows[i] = store.CopyLicenseKeysParams{ProjectID: p.ID, UserKey: k.UserKey, Identifier: k.Identifier,
			DiscordID: k.DiscordID, Note: k.Note, KeyDays: k.KeyDays, AuthExpire: k.AuthExpire, ActivatedAt: k.ActivatedAt,
			Banned: k.Banned, BanReason: k.BanReason, BanExpire: k.BanExpire, UnbanToken: tok, TotalResets: k.TotalResets,
			LastResetAt: k.LastResetAt, Used: k.LastExecutionAt != nil, CreatedAt: k.CreatedAt}
		if k.LastExecutionAt != nil {
			ran.UserKeys = append(ran.UserKeys, k.UserKey)
			ran.Counts = append(ran.Counts, k.TotalExecutions)
			ran.Lasts = append(ran.Lasts, *k.LastExecutionAt)
		}
	}
	ran.ProjectID = p.ID
	var n int64
	err = s.write(ctx, func(q *store.Queries) error {
		var err error
		if n, err = q.CopyLicenseKeys(ctx, rows); err != nil {
			return fmt.Errorf("bulk load keys into %s: %w", projectID, err)
		}
		if len(ran.UserKeys) > 0 {
			if err := q.SetBulkLicenseKeyExecutions(ctx, ran); err != nil {
				return fmt.Errorf("bulk load keys into %s: executions: %w", projectID, err)
			}
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "license_key.bulk_load", EntityType: "licensing_project",
			EntityID: p.PublicID, After: map[string]any{"keys": n}})
	})
	return n, err
}

// BulkLoadProjectExecutions adds executions per day to a project's history
// (synthetic data for the stats of a scale data set).
func (s *Service) BulkLoadProjectExecutions(ctx context.Context, projectID string, days []DayCount) error {
	p, err := s.project(ctx, s.db.Queries, projectID)
	if err != nil {
		return err
	}
	prm := store.FlushLicensingProjectDailyExecutionsParams{}
	for _, d := range days {
		prm.Ids = append(prm.Ids, p.ID)
		prm.Days = append(prm.Days, pgtype.Date{Time: d.Day.UTC().Truncate(day), Valid: true})
		prm.Counts = append(prm.Counts, d.Count)
	}
	return s.db.FlushLicensingProjectDailyExecutions(ctx, prm)
}

// FindProject is the account's first project with that name (idempotent seeding).
func (s *Service) FindProject(ctx context.Context, accountID int64, name string) (Project, bool, error) {
	r, err := s.db.LicensingProjectNamed(ctx, store.LicensingProjectNamedParams{AccountID: accountID, Name: name})
	if err != nil {
		if db.IsNotFound(err) {
			return Project{}, false, nil
		}
		return Project{}, false, fmt.Errorf("find project %q: %w", name, err)
	}
	p, err := s.GetProject(ctx, r.PublicID)
	return p, err == nil, err
}

// DropSearchIndex drops the keys' search indexes (the key fragments'
// trigram index and the note's word index) before a large bulk load;
// RebuildSearchIndex makes them again (with more memory for the build).
// Search still works in between, without the indexes.
func (s *Service) DropSearchIndex(ctx context.Context) error {
	return s.db.DropLicenseKeySearchIndexes(ctx)
}

// RebuildSearchIndex recreates the indexes DropSearchIndex dropped, then
// compacts the activity table (CompactLicenseKeyActivity) and analyzes: the planner's estimates for search come from the
// statistics of the indexed columns (search_ids, note_words), which only
// ANALYZE gathers.
func (s *Service) RebuildSearchIndex(ctx context.Context) error {
	err := s.write(ctx, func(q *store.Queries) error {
		if err := q.SetMaintenanceWorkMem(ctx); err != nil {
			return err
		}
		if err := q.CreateLicenseKeySearchIndex(ctx); err != nil {
			return err
		}
		return q.CreateLicenseKeyNoteIndex(ctx)
	})
	if err != nil {
		return err
	}
	if err := s.db.CompactLicenseKeyActivity(ctx); err != nil {
		return fmt.Errorf("compact the key activity table: %w", err)
	}
	return s.Analyze(ctx)
}

// Analyze refreshes the planner's statistics of the keys after a bulk load.
func (s *Service) Analyze(ctx context.Context) error { return s.db.AnalyzeLicenseKeys(ctx) }
