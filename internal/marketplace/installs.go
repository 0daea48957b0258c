package marketplace

import (
	"context"
	"errors"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
)

// Install events, as the store backend reports them.
const (
	EventInstall   = "install"
	EventUpdate    = "update"
	EventUninstall = "uninstall"
)

// MaxInstallEvents is the most events one RecordInstallEvents call takes.
const MaxInstallEvents = 1000

// InstallEvent is one event reported by the store backend.
type InstallEvent struct {
	InstallID   string    // the store's id of one installation (1–128 printable characters)
	ExtensionID string    // ext_…
	VersionID   string    // ver_… of that extension
	Event       string    // install, update or uninstall
	At          time.Time // when it happened
}

// IngestResult says what a batch changed.
type IngestResult struct {
	Accepted   int // events applied
	Duplicates int // events already recorded (same install id, event and version): ignored
}

// InstallStats are an extension's install aggregates.
type InstallStats struct {
	Total     int64            // installations ever (the extension's installCount)
	Active    int64            // installed now
	ByVersion map[string]int64 // active installations per version public id
}

// InstallSeries is one version's active installations per day.
type InstallSeries struct {
	VersionID string  // ver_…
	Version   string  // 1.2.0
	Active    []int64 // one per InstallHistory.Days
}

// InstallHistory is the chart of active installs per day by version.
type InstallHistory struct {
	Days   []time.Time // UTC midnights, oldest first
	Series []InstallSeries
}

var errInstallsTODO = errors.New("install events are not recorded yet")

// RecordInstallEvents applies a batch (1–MaxInstallEvents) of install
// events. scope is the reporting key's (an operator key: all accounts);
// an event naming an extension outside it, or a version of another
// extension, is a ValidationError ("events[3].versionId") and nothing of
// the batch is applied. Idempotent per install id, event and version.
// Aggregates (totals, active per version, per day) change in the same
// transaction, correct under concurrent batches.
func (s *Service) RecordInstallEvents(ctx context.Context, actor audit.Actor, scope accounts.Scope, events []InstallEvent) (IngestResult, error) {
	return IngestResult{}, errInstallsTODO
}

// InstallStats returns the extension's aggregates (ErrExtensionNotFound
// outside scope).
func (s *Service) InstallStats(ctx context.Context, scope accounts.Scope, extID string) (InstallStats, error) {
	return InstallStats{}, errInstallsTODO
}

// InstallHistory returns active installs per day by version for the last
// days days (1–366), today included.
func (s *Service) InstallHistory(ctx context.Context, scope accounts.Scope, extID string, days int) (InstallHistory, error) {
	return InstallHistory{}, errInstallsTODO
}
