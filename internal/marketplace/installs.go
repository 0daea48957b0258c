package marketplace

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5/pgtype"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/ids"
)

// Install events, as the store backend reports them.
const (
	EventInstall   = "install"
	EventUpdate    = "update"
	EventUninstall = "uninstall"
)

// MaxInstallEvents is the most events one RecordInstallEvents call takes.
const MaxInstallEvents = 1000

// MaxInstallID is the longest install id the store may send.
const MaxInstallID = 128

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

// installKey names one installation.
type installKey struct {
	ext int64
	id  string
}

// appliedEvent is a new event resolved to row ids.
type appliedEvent struct {
	key     installKey
	event   string
	version int64
	at      time.Time
}

// eventOrder breaks ties between events at the same instant.
var eventOrder = map[string]int{EventInstall: 0, EventUpdate: 1, EventUninstall: 2}

// checkInstallEvents judges each event's own fields.
func checkInstallEvents(events []InstallEvent, now time.Time) ValidationError {
	fe := ValidationError{}
	if len(events) == 0 {
		fe["events"] = "At least one event."
		return fe
	}
	if len(events) > MaxInstallEvents {
		fe["events"] = fmt.Sprintf("At most %d events per call.", MaxInstallEvents)
		return fe
	}
	for i, ev := range events {
		field := func(name string) string { return fmt.Sprintf("events[%d].%s", i, name) }
		if ev.InstallID == "" || len(ev.InstallID) > MaxInstallID || strings.IndexFunc(ev.InstallID, func(r rune) bool { return !unicode.IsPrint(r) || r == ' ' }) >= 0 {
			fe[field("installId")] = fmt.Sprintf("1–%d printable characters without spaces.", MaxInstallID)
		}
		if !ids.ValidPublic("ext_", ev.ExtensionID) {
			fe[field("extensionId")] = "An extension id (ext_…)."
		}
		if !ids.ValidPublic("ver_", ev.VersionID) {
			fe[field("versionId")] = "A version id (ver_…)."
		}
		if _, ok := eventOrder[ev.Event]; !ok {
			fe[field("event")] = "One of install, update, uninstall."
		}
		switch {
		case ev.At.IsZero():
			fe[field("at")] = "Required (RFC 3339)."
		case ev.At.After(now.Add(time.Hour)):
			fe[field("at")] = "In the future."
		case ev.At.Year() < 2000:
			fe[field("at")] = "Before 2000."
		}
	}
	return fe
}

// RecordInstallEvents applies a batch (1–MaxInstallEvents) of install
// events. scope is the reporting key's (an operator key: all accounts);
// an event naming an extension outside it, or a version of another
// extension, is a ValidationError ("events[3].versionId") and nothing of
// the batch is applied. Idempotent per install id, event and version.
// Aggregates (totals, active per version, per day) change in the same
// transaction, correct under concurrent batches.
//
// An installation's events apply in time order whatever order they arrive
// in: an update moves it to the newer version only when it is newer than
// what was applied; an uninstall ends it for good (the store gives a
// reinstall a new install id), so a late install after it counts in the
// total but not as active.
//
// Events are the store's telemetry, not a change anyone made: they are
// kept in marketplace_install_events (with when they arrived; by month,
// for a retention), not in the audit log, which they would flood.
func (s *Service) RecordInstallEvents(ctx context.Context, actor audit.Actor, scope accounts.Scope, events []InstallEvent) (_ IngestResult, err error) {
	defer wrap(&err, "record install events")
	now := s.clock()
	if fe := checkInstallEvents(events, now); len(fe) > 0 {
		return IngestResult{}, fe
	}
	var res IngestResult
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		resolved, err := resolveInstallEvents(ctx, q, scope, events)
		if err != nil {
			return err
		}
		rows, fresh, d, err := replayInstallEvents(ctx, q, resolved)
		if err != nil {
			return err
		}
		res = IngestResult{Accepted: len(fresh), Duplicates: len(events) - len(fresh)}
		if len(fresh) == 0 {
			return nil
		}
		// The history first: the aggregates' rows (one per extension and
		// version) are what concurrent batches queue on, so they are locked
		// last, for as short as the transaction allows.
		p := store.InsertMarketplaceInstallEventsParams{Now: now}
		for _, ev := range fresh {
			p.ExtensionIds = append(p.ExtensionIds, ev.key.ext)
			p.InstallIds = append(p.InstallIds, ev.key.id)
			p.Events = append(p.Events, ev.event)
			p.VersionIds = append(p.VersionIds, ev.version)
			p.Ats = append(p.Ats, ev.at)
		}
		if err := q.InsertMarketplaceInstallEvents(ctx, p); err != nil {
			return err
		}
		return saveInstalls(ctx, q, rows, d)
	})
	return res, err
}

// resolveInstallEvents maps public ids to row ids, checking that each
// version belongs to the event's extension and that it is in scope.
func resolveInstallEvents(ctx context.Context, q *store.Queries, scope accounts.Scope, events []InstallEvent) ([]appliedEvent, error) {
	ids := make([]string, 0, len(events))
	for _, ev := range events {
		ids = append(ids, ev.VersionID)
	}
	slices.Sort(ids)
	targets, err := q.MarketplaceInstallTargets(ctx, slices.Compact(ids))
	if err != nil {
		return nil, err
	}
	byVersion := make(map[string]store.MarketplaceInstallTargetsRow, len(targets))
	for _, t := range targets {
		byVersion[t.VersionPublicID] = t
	}
	fe := ValidationError{}
	out := make([]appliedEvent, 0, len(events))
	for i, ev := range events {
		t, ok := byVersion[ev.VersionID]
		switch {
		case !ok || !scope.Allows(t.AccountID):
			fe[fmt.Sprintf("events[%d].versionId", i)] = fmt.Sprintf("Version %s does not exist or you do not have access to it.", ev.VersionID)
		case t.ExtensionPublicID != ev.ExtensionID:
			fe[fmt.Sprintf("events[%d].versionId", i)] = fmt.Sprintf("Version %s is not a version of extension %s.", ev.VersionID, ev.ExtensionID)
		default:
			out = append(out, appliedEvent{key: installKey{t.ExtensionID, ev.InstallID}, event: ev.Event, version: t.VersionID, at: ev.At.UTC()})
		}
	}
	if len(fe) > 0 {
		return nil, fe
	}
	return out, nil
}

// installDeltas are what a batch adds to the aggregates.
type installDeltas struct {
	total, active map[int64]int64      // per extension
	version       map[[2]int64]int64   // per (extension, version): active
	daily         map[installDay]int64 // per (extension, version, day): active
}

type installDay struct {
	ext, version int64
	day          time.Time
}

func (d *installDeltas) move(ext, version int64, at time.Time, n int64) {
	d.active[ext] += n
	d.version[[2]int64{ext, version}] += n
	d.daily[installDay{ext, version, at.Truncate(24 * time.Hour)}] += n
}

// replayInstallEvents locks the installations the events touch and
// replays, in time order, the ones each has not seen (its seen list, by
// event and version): the installations' new state and the deltas it
// adds, for saveInstalls, and the events applied. A repeated event, in
// this batch or an earlier, is not applied. The row lock makes this
// once-only under concurrent batches, as the events table's key did before
// it was partitioned (migration 00055).
func replayInstallEvents(ctx context.Context, q *store.Queries, events []appliedEvent) ([]store.MarketplaceInstall, []appliedEvent, installDeltas, error) {
	slices.SortFunc(events, func(a, b appliedEvent) int {
		return cmp.Or(cmp.Compare(a.key.ext, b.key.ext), strings.Compare(a.key.id, b.key.id),
			a.at.Compare(b.at), cmp.Compare(eventOrder[a.event], eventOrder[b.event]))
	})
	var keys store.EnsureMarketplaceInstallsParams
	for i, ev := range events {
		if i == 0 || ev.key != events[i-1].key {
			keys.ExtensionIds = append(keys.ExtensionIds, ev.key.ext)
			keys.InstallIds = append(keys.InstallIds, ev.key.id)
		}
	}
	d := installDeltas{total: map[int64]int64{}, active: map[int64]int64{}, version: map[[2]int64]int64{}, daily: map[installDay]int64{}}
	if err := q.EnsureMarketplaceInstalls(ctx, keys); err != nil {
		return nil, nil, d, err
	}
	rows, err := q.LockMarketplaceInstalls(ctx, store.LockMarketplaceInstallsParams(keys))
	if err != nil {
		return nil, nil, d, err
	}
	state := make(map[installKey]*store.MarketplaceInstall, len(rows))
	for i := range rows {
		state[installKey{rows[i].ExtensionID, rows[i].InstallID}] = &rows[i]
	}
	var fresh []appliedEvent
	for _, ev := range events {
		st := state[ev.key]
		if st == nil {
			return nil, nil, d, fmt.Errorf("installation %s of extension %d has no row", ev.key.id, ev.key.ext)
		}
		seen := ev.event + ":" + strconv.FormatInt(ev.version, 10)
		if slices.Contains(st.Seen, seen) {
			continue
		}
		st.Seen = append(st.Seen, seen)
		fresh = append(fresh, ev)
		applyInstallEvent(st, ev, &d)
	}
	return rows, fresh, d, nil
}

// applyInstallEvent is the state machine of one installation.
func applyInstallEvent(st *store.MarketplaceInstall, ev appliedEvent, d *installDeltas) {
	newer := st.LastAt == nil || !ev.at.Before(*st.LastAt)
	switch ev.event {
	case EventInstall, EventUpdate:
		if !st.Counted {
			st.Counted = true
			d.total[ev.key.ext]++
		}
		switch {
		case st.Uninstalled:
		case !st.Active:
			st.Active, st.VersionID = true, &ev.version
			d.move(ev.key.ext, ev.version, ev.at, 1)
		case newer && *st.VersionID != ev.version:
			d.move(ev.key.ext, *st.VersionID, ev.at, -1)
			st.VersionID = &ev.version
			d.move(ev.key.ext, ev.version, ev.at, 1)
		}
	case EventUninstall:
		if st.Active {
			d.move(ev.key.ext, *st.VersionID, ev.at, -1)
			st.Active = false
		}
		st.Uninstalled = true
		if st.VersionID == nil {
			st.VersionID = &ev.version
		}
	}
	if newer {
		st.LastAt = &ev.at
	}
}

// saveInstalls writes the installations back and adds the deltas, each
// table in one statement with its keys sorted (the lock order).
func saveInstalls(ctx context.Context, q *store.Queries, rows []store.MarketplaceInstall, d installDeltas) error {
	var sp store.SaveMarketplaceInstallsParams
	for _, r := range rows {
		if r.VersionID == nil || r.LastAt == nil {
			continue // touched by no event (cannot happen: every locked row had one)
		}
		sp.ExtensionIds = append(sp.ExtensionIds, r.ExtensionID)
		sp.InstallIds = append(sp.InstallIds, r.InstallID)
		sp.VersionIds = append(sp.VersionIds, *r.VersionID)
		sp.Counted = append(sp.Counted, r.Counted)
		sp.Active = append(sp.Active, r.Active)
		sp.Uninstalled = append(sp.Uninstalled, r.Uninstalled)
		sp.LastAts = append(sp.LastAts, *r.LastAt)
		sp.Seen = append(sp.Seen, strings.Join(r.Seen, ","))
	}
	if err := q.SaveMarketplaceInstalls(ctx, sp); err != nil {
		return err
	}
	var vp store.AddMarketplaceVersionInstallsParams
	for _, k := range sortedKeys(d.version, func(a, b [2]int64) int { return cmp.Compare(a[1], b[1]) }) {
		vp.VersionIds = append(vp.VersionIds, k[1])
		vp.ExtensionIds = append(vp.ExtensionIds, k[0])
		vp.Deltas = append(vp.Deltas, d.version[k])
	}
	if err := q.AddMarketplaceVersionInstalls(ctx, vp); err != nil {
		return err
	}
	var dp store.AddMarketplaceInstallDailyParams
	for _, k := range sortedKeys(d.daily, func(a, b installDay) int {
		return cmp.Or(cmp.Compare(a.ext, b.ext), a.day.Compare(b.day), cmp.Compare(a.version, b.version))
	}) {
		if d.daily[k] == 0 {
			continue
		}
		dp.ExtensionIds = append(dp.ExtensionIds, k.ext)
		dp.VersionIds = append(dp.VersionIds, k.version)
		dp.Days = append(dp.Days, pgtype.Date{Time: k.day, Valid: true})
		dp.Deltas = append(dp.Deltas, d.daily[k])
	}
	if err := q.AddMarketplaceInstallDaily(ctx, dp); err != nil {
		return err
	}
	var ep store.AddMarketplaceExtensionInstallsParams
	exts := map[int64]bool{}
	for k := range d.total {
		exts[k] = true
	}
	for k := range d.active {
		exts[k] = true
	}
	for _, k := range sortedKeys(exts, cmp.Compare[int64]) {
		ep.Ids = append(ep.Ids, k)
		ep.Totals = append(ep.Totals, d.total[k])
		ep.Actives = append(ep.Actives, d.active[k])
	}
	return q.AddMarketplaceExtensionInstalls(ctx, ep)
}

func sortedKeys[K comparable, V any](m map[K]V, compare func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compare)
	return keys
}

// InstallStats returns the extension's aggregates (ErrExtensionNotFound
// outside scope).
func (s *Service) InstallStats(ctx context.Context, scope accounts.Scope, extID string) (_ InstallStats, err error) {
	defer wrap(&err, "install stats of %s", extID)
	q := s.db.Queries
	e, err := findExtension(ctx, q, scope, extID, false)
	if err != nil {
		return InstallStats{}, err
	}
	rows, err := q.MarketplaceVersionInstalls(ctx, e.ID)
	if err != nil {
		return InstallStats{}, err
	}
	st := InstallStats{Total: e.InstallCount, Active: e.ActiveInstalls, ByVersion: make(map[string]int64, len(rows))}
	for _, r := range rows {
		st.ByVersion[r.PublicID] = r.Active
	}
	return st, nil
}

// MaxHistoryDays is the longest InstallHistory.
const MaxHistoryDays = 366

// InstallHistory returns active installs per day by version for the last
// days days (1–MaxHistoryDays), today (UTC) included. Versions with no
// installs in the window are left out; the newest version comes first.
func (s *Service) InstallHistory(ctx context.Context, scope accounts.Scope, extID string, days int) (_ InstallHistory, err error) {
	defer wrap(&err, "install history of %s", extID)
	days = min(max(days, 1), MaxHistoryDays)
	q := s.db.Queries
	e, err := findExtension(ctx, q, scope, extID, false)
	if err != nil {
		return InstallHistory{}, err
	}
	today := s.clock().Truncate(24 * time.Hour)
	first := today.AddDate(0, 0, 1-days)
	firstDay := pgtype.Date{Time: first, Valid: true}
	before, err := q.MarketplaceInstallsBefore(ctx, store.MarketplaceInstallsBeforeParams{ExtensionID: e.ID, FirstDay: firstDay})
	if err != nil {
		return InstallHistory{}, err
	}
	deltas, err := q.MarketplaceInstallDays(ctx, store.MarketplaceInstallDaysParams{ExtensionID: e.ID, FirstDay: firstDay})
	if err != nil {
		return InstallHistory{}, err
	}
	labels, err := q.MarketplaceVersionLabels(ctx, e.ID)
	if err != nil {
		return InstallHistory{}, err
	}
	h := InstallHistory{Days: make([]time.Time, days)}
	for i := range h.Days {
		h.Days[i] = first.AddDate(0, 0, i)
	}
	series := map[int64][]int64{}
	at := func(v int64) []int64 {
		if series[v] == nil {
			series[v] = make([]int64, days)
		}
		return series[v]
	}
	for _, b := range before {
		if b.Active != 0 {
			at(b.VersionID)[0] += b.Active
		}
	}
	for _, d := range deltas {
		i := int(d.Day.Time.Sub(first) / (24 * time.Hour))
		if i >= 0 && i < days {
			at(d.VersionID)[i] += d.Delta
		}
	}
	for v, vals := range series {
		any := false
		for i := range vals {
			if i > 0 {
				vals[i] += vals[i-1] // the running sum: a day's active installs
			}
			any = any || vals[i] != 0
		}
		if !any {
			delete(series, v)
		}
	}
	type label struct {
		publicID string
		version  Version
		text     string
	}
	byID := map[int64]label{}
	for _, l := range labels {
		pv, _ := ParseVersion(l.Version)
		byID[l.ID] = label{l.PublicID, pv, l.Version}
	}
	for v, vals := range series {
		l := byID[v]
		h.Series = append(h.Series, InstallSeries{VersionID: l.publicID, Version: l.text, Active: vals})
	}
	slices.SortFunc(h.Series, func(a, b InstallSeries) int {
		va, _ := ParseVersion(a.Version)
		vb, _ := ParseVersion(b.Version)
		return vb.Compare(va)
	})
	return h, nil
}
