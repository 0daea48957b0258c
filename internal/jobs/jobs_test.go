package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/internal/audit"
	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/testdb"
)

var (
	ctx     = context.Background()
	support = audit.Staff(7, "support@test.local")
)

type world struct {
	t       *testing.T
	db      *db.DB
	lic     *licensing.Service
	jobs    *jobs.Service
	project licensing.Project
}

// newWorld is a database with one project and a job service whose runner
// is not started yet.
func newWorld(t *testing.T) *world {
	t.Helper()
	d := db.New(testdb.New(t))
	lic := licensing.NewService(d)
	t.Cleanup(lic.Close)
	w := &world{t: t, db: d, lic: lic, jobs: jobs.New(d, lic)}
	w.jobs.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	var acc int64
	if err := d.Pool.QueryRow(ctx, "INSERT INTO accounts (name, email) VALUES ('Nightfall', 'ops@nightfall.test') RETURNING id").Scan(&acc); err != nil {
		t.Fatal(err)
	}
	// The audit rows name staff user 7; it must exist for bulk_jobs.created_by.
	if _, err := d.Pool.Exec(ctx, `INSERT INTO staff_users (id, email, name, role, password_hash)
		OVERRIDING SYSTEM VALUE VALUES (7, 'support@test.local', 'Support', 'support', 'x')`); err != nil {
		t.Fatal(err)
	}
	var err error
	w.project, err = lic.CreateProject(ctx, audit.CLI("test"), licensing.ProjectInput{AccountID: acc, Name: "Hub"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) start(o jobs.Options) {
	w.t.Helper()
	o.TestOnly = true
	if o.PollInterval == 0 {
		o.PollInterval = 50 * time.Millisecond
	}
	w.jobs.SetOptions(o)
	if err := w.jobs.Start(ctx); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() {
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := w.jobs.Stop(stop); err != nil {
			w.t.Errorf("stop: %v", err)
		}
	})
}

func (w *world) keys(n int, in licensing.KeyInput) []licensing.Key {
	w.t.Helper()
	out := make([]licensing.Key, n)
	for i := range out {
		k, err := w.lic.CreateKey(ctx, audit.CLI("test"), w.project.ID, in)
		if err != nil {
			w.t.Fatal(err)
		}
		out[i] = k
	}
	return out
}

func (w *world) wait(id int64) jobs.Job {
	w.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		j, err := w.jobs.Get(ctx, id)
		if err != nil {
			w.t.Fatal(err)
		}
		if j.Finished() {
			return j
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("job %d not finished: %+v", id, j)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

type short struct {
	Ref     string
	OK      bool
	Message string
}

func (w *world) results(id int64) []short {
	w.t.Helper()
	var out []short
	if err := w.jobs.EachItem(ctx, id, func(it jobs.Item) error {
		out = append(out, short{it.Ref, it.OK, it.Message})
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	return out
}

func (w *world) auditRows(action, reason string) int {
	w.t.Helper()
	var n int
	if err := w.db.Pool.QueryRow(ctx, "SELECT count(*) FROM audit_events WHERE action = $1 AND reason = $2 AND actor_id = '7'",
		action, reason).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

func ids(keys ...licensing.Key) []int64 {
	out := make([]int64, len(keys))
	for i, k := range keys {
		out[i] = k.ID
	}
	return out
}

func TestBlacklistPerItemResults(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.start(jobs.Options{})
	ks := w.keys(3, licensing.KeyInput{})
	job, err := w.jobs.EnqueueKeyAction(ctx, support, jobs.KeyAction{Action: "blacklist",
		IDs: append(ids(ks...), 99999999), Reason: "chargeback wave", BanReason: "Chargeback"})
	if err != nil {
		t.Fatal(err)
	}
	if job.Title != "Blacklist 4 keys" || job.Status != jobs.StatusQueued || job.Total != 4 {
		t.Fatalf("queued job: %+v", job)
	}
	done := w.wait(job.ID)
	if done.Status != jobs.StatusDone || done.Done != 4 || done.OK != 3 || done.Failed != 1 {
		t.Fatalf("finished job: %+v", done)
	}
	want := []short{{fmt.Sprint(ks[0].ID), true, "Blacklisted"}, {fmt.Sprint(ks[1].ID), true, "Blacklisted"},
		{fmt.Sprint(ks[2].ID), true, "Blacklisted"}, {"99999999", false, "Key not found."}}
	if diff := cmp.Diff(want, w.results(job.ID)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	for _, k := range ks {
		got, _ := w.lic.GetKeyByID(ctx, k.ID)
		if !got.Banned || got.BanReason != "Chargeback" {
			t.Errorf("key %d: banned %v %q", k.ID, got.Banned, got.BanReason)
		}
	}
	// Each key's row carries the user's reason, then the job's internal note.
	if n := w.auditRows("license_key.blacklist", "Chargeback · Internal note: chargeback wave"); n != 3 {
		t.Errorf("blacklist audit rows = %d, want 3", n)
	}
	if n := w.auditRows("bulk_job.create", "chargeback wave"); n != 1 {
		t.Errorf("bulk_job.create audit rows = %d, want 1", n)
	}
}

// Unbanning in bulk: each banned key works again, with the job's reason in
// its audit row; a key that is not banned is reported and left alone.
func TestUnbanPerItemResults(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.start(jobs.Options{})
	ks := w.keys(3, licensing.KeyInput{})
	for _, k := range ks[:2] {
		if _, err := w.lic.Blacklist(ctx, support, k.ProjectID, k.UserKey, licensing.BlacklistInput{BanReason: "false positive"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.jobs.EnqueueKeyAction(ctx, support, jobs.KeyAction{Action: "unban", IDs: ids(ks...)}); err == nil {
		t.Error("an unban without a reason was queued")
	}
	job, err := w.jobs.EnqueueKeyAction(ctx, support, jobs.KeyAction{Action: "unban", IDs: ids(ks...), Reason: "anti-cheat false positive"})
	if err != nil {
		t.Fatal(err)
	}
	if job.Title != "Unban 3 keys" {
		t.Errorf("title %q", job.Title)
	}
	done := w.wait(job.ID)
	if done.Status != jobs.StatusDone || done.OK != 2 || done.Failed != 1 {
		t.Fatalf("finished job: %+v", done)
	}
	got := w.results(job.ID)
	if len(got) != 3 || !got[0].OK || !got[1].OK || got[2].OK || got[0].Message != "Unbanned" {
		t.Errorf("results: %+v", got)
	}
	for _, k := range ks {
		if k2, _ := w.lic.GetKeyByID(ctx, k.ID); k2.Banned {
			t.Errorf("key %d still banned", k.ID)
		}
	}
	if n := w.auditRows("license_key.unban", "anti-cheat false positive"); n != 2 {
		t.Errorf("unban audit rows = %d, want 2", n)
	}
}

func TestExtendAndDelete(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.start(jobs.Options{})
	days := 10
	fresh := w.keys(1, licensing.KeyInput{KeyDays: &days})[0]
	exp := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	claimed := w.keys(1, licensing.KeyInput{Identifier: "hwid-1", AuthExpire: &licensing.Expiry{At: exp}})[0]
	never := w.keys(1, licensing.KeyInput{})[0]

	job, err := w.jobs.EnqueueKeyAction(ctx, support, jobs.KeyAction{Action: "extend", IDs: ids(fresh, claimed, never), Days: 5, Reason: "goodwill"})
	if err != nil {
		t.Fatal(err)
	}
	w.wait(job.ID)
	newExp := exp.Add(5 * 24 * time.Hour)
	want := []short{{fmt.Sprint(fresh.ID), true, "Now 15 key_days (counted from the first use)"},
		{fmt.Sprint(claimed.ID), true, "Expires " + newExp.Format("2006-01-02 15:04 UTC")},
		{fmt.Sprint(never.ID), false, "This key never expires; there is nothing to extend."}}
	if diff := cmp.Diff(want, w.results(job.ID)); diff != "" {
		t.Errorf("extend results (-want +got):\n%s", diff)
	}
	got, _ := w.lic.GetKeyByID(ctx, claimed.ID)
	if got.AuthExpire == nil || !got.AuthExpire.Equal(newExp) {
		t.Errorf("claimed key expires %v, want %v", got.AuthExpire, newExp)
	}
	if n := w.auditRows("license_key.extend", "goodwill"); n != 2 {
		t.Errorf("extend audit rows = %d, want 2", n)
	}

	job, err = w.jobs.EnqueueKeyAction(ctx, support, jobs.KeyAction{Action: "delete", IDs: ids(fresh, never), Reason: "cleanup"})
	if err != nil {
		t.Fatal(err)
	}
	if j := w.wait(job.ID); j.OK != 2 {
		t.Fatalf("delete: %+v %v", j, w.results(job.ID))
	}
	if _, err := w.lic.GetKeyByID(ctx, fresh.ID); err != licensing.ErrKeyNotFound {
		t.Errorf("deleted key: %v", err)
	}
	if n := w.auditRows("license_key.delete", "cleanup"); n != 2 {
		t.Errorf("delete audit rows = %d, want 2", n)
	}
}

func TestEnqueueValidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	many := make([]int64, jobs.MaxSelection+1)
	for i := range many {
		many[i] = int64(i + 1)
	}
	cases := []struct {
		in   jobs.KeyAction
		want licensing.ValidationError
	}{
		{jobs.KeyAction{Action: "nuke", IDs: []int64{1}, Reason: "x"}, licensing.ValidationError{"action": "must be blacklist, unban, reset-hwid, extend or delete"}},
		{jobs.KeyAction{Action: "delete", Reason: "x"}, licensing.ValidationError{"ids": "select at least one key"}},
		{jobs.KeyAction{Action: "delete", IDs: []int64{1}}, licensing.ValidationError{"reason": "is required; it is recorded in the audit log of every key"}},
		{jobs.KeyAction{Action: "extend", IDs: []int64{1}, Reason: "x"}, licensing.ValidationError{"days": "must be a whole number of days from 1 to 3650"}},
		{jobs.KeyAction{Action: "delete", IDs: many, Reason: "x"}, licensing.ValidationError{"ids": "5001 keys are selected; one bulk action takes at most 5000. Narrow the filter or split the selection."}},
	}
	for _, c := range cases {
		_, err := w.jobs.EnqueueKeyAction(ctx, support, c.in)
		if diff := cmp.Diff(error(c.want), err, cmp.Comparer(func(a, b error) bool { return a.Error() == b.Error() })); diff != "" {
			t.Errorf("%+v: (-want +got)\n%s", c.in.Action, diff)
		}
	}
	var n int
	_ = w.db.Pool.QueryRow(ctx, "SELECT count(*) FROM bulk_jobs").Scan(&n)
	if n != 0 {
		t.Errorf("%d jobs queued by refused requests", n)
	}
}

func TestGenerateInChunksAndImport(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.start(jobs.Options{})
	days := 30
	job, err := w.jobs.EnqueueGenerate(ctx, support, jobs.Generate{ProjectID: w.project.ID, Count: 250,
		KeyInput: licensing.KeyInput{KeyDays: &days, Note: "batch 7", Reason: "reseller order"}})
	if err != nil {
		t.Fatal(err)
	}
	if j := w.wait(job.ID); j.OK != 250 || j.Failed != 0 {
		t.Fatalf("generate: %+v", j)
	}
	seen := map[string]bool{}
	if err := w.jobs.EachItem(ctx, job.ID, func(it jobs.Item) error {
		if len(it.UserKey) != licensing.UserKeyLen || seen[it.UserKey] || it.Detail.Note != "batch 7" || it.Detail.KeyDays == nil || *it.Detail.KeyDays != 30 {
			t.Errorf("item %+v", it)
		}
		seen[it.UserKey] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 250 {
		t.Fatalf("%d distinct keys", len(seen))
	}
	if n := w.auditRows("license_key.generate", "reseller order"); n != 250 {
		t.Errorf("generate audit rows = %d", n)
	}

	kd := 7
	rows := []jobs.ImportRow{
		{Line: 2, UserKey: "imported-key-0001", Note: "moved", KeyDays: &kd},
		{Line: 3, Identifier: "hwid-9", DiscordID: "123456789012345678"},
		{Line: 4, Err: "key_days must be a whole number"},
		{Line: 5, UserKey: "imported-key-0001"},
		{Line: 6, DiscordID: "not-digits"},
	}
	job, err = w.jobs.EnqueueImport(ctx, support, jobs.Import{ProjectID: w.project.ID, FileName: "keys.csv", Rows: rows, Reason: "migration"})
	if err != nil {
		t.Fatal(err)
	}
	w.wait(job.ID)
	got := w.results(job.ID)
	want := []short{{"2", true, "Created"}, {"3", true, "Created"}, {"4", false, "key_days must be a whole number"},
		{"5", false, "user_key is already used by another key."}, {"6", false, "discord_id must be a Discord user ID (digits only)."}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("import results (-want +got):\n%s", diff)
	}
	if k, err := w.lic.GetKey(ctx, w.project.ID, "imported-key-0001"); err != nil || k.Note != "moved" || k.KeyDays == nil || *k.KeyDays != 7 {
		t.Errorf("imported key: %+v %v", k, err)
	}
}

// TestSlicesShareWorkers: with a tiny slice, a job continues over many
// slices (snoozed between them) and still records every item exactly once.
func TestSlicesResumeWhereTheyStopped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.start(jobs.Options{Slice: time.Nanosecond, Workers: 1})
	ks := w.keys(6, licensing.KeyInput{})
	job, err := w.jobs.EnqueueKeyAction(ctx, support, jobs.KeyAction{Action: "blacklist", IDs: ids(ks...), Reason: "sliced"})
	if err != nil {
		t.Fatal(err)
	}
	if j := w.wait(job.ID); j.Done != 6 || j.OK != 6 {
		t.Fatalf("job: %+v", j)
	}
	if n := w.auditRows("license_key.blacklist", "sliced"); n != 6 {
		t.Errorf("audit rows = %d, want 6 (no item repeated)", n)
	}
}

// TestDeadRunnerJobIsRescued: a job a dead runner left "running" after
// recording its first item is taken up again by a new runner, which
// continues after that item.
func TestDeadRunnerJobIsRescued(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ks := w.keys(3, licensing.KeyInput{})
	job, err := w.jobs.EnqueueKeyAction(ctx, support, jobs.KeyAction{Action: "blacklist", IDs: ids(ks...), Reason: "rescue"})
	if err != nil {
		t.Fatal(err)
	}
	// The dead runner: it had claimed the job an hour ago and recorded item 0.
	if _, err := w.db.Pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1,
		attempted_at = now() - interval '1 hour', attempted_by = ARRAY['dead-runner'] WHERE args->>'job_id' = $1`, fmt.Sprint(job.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Pool.Exec(ctx, `UPDATE bulk_jobs SET status = 'running', started_at = now() - interval '1 hour' WHERE id = $1`, job.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Pool.Exec(ctx, `WITH i AS (INSERT INTO bulk_job_items (job_id, seq, ref, key_id, ok, message)
		VALUES ($1, 0, $2, $3, true, 'done by the dead runner') RETURNING 1)
		UPDATE bulk_jobs SET done_count = 1, ok_count = 1 WHERE id = $1`, job.ID, fmt.Sprint(ks[0].ID), ks[0].ID); err != nil {
		t.Fatal(err)
	}
	if j, _ := w.jobs.Get(ctx, job.ID); j.Status != jobs.StatusRunning || j.Percent() != 33 {
		t.Fatalf("before rescue: %+v", j)
	}

	w.start(jobs.Options{JobTimeout: time.Second, RescueAfter: 2 * time.Second})
	done := w.wait(job.ID)
	if done.Status != jobs.StatusDone || done.Done != 3 || done.OK != 3 {
		t.Fatalf("after rescue: %+v", done)
	}
	want := []short{{fmt.Sprint(ks[0].ID), true, "done by the dead runner"}, {fmt.Sprint(ks[1].ID), true, "Blacklisted"},
		{fmt.Sprint(ks[2].ID), true, "Blacklisted"}}
	if diff := cmp.Diff(want, w.results(job.ID)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if k, _ := w.lic.GetKeyByID(ctx, ks[0].ID); k.Banned {
		t.Error("item 0 was done again")
	}
}

// A generate or import past the plan's max users: the keys that fit are
// made, each other item fails with the limit as its reason.
func TestGenerateAndImportStopAtThePlansUserLimit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.start(jobs.Options{})
	if _, err := w.lic.SetPlan(ctx, support, w.project.AccountID, licensing.PlanInput{MaxUsers: 130,
		Obfuscations: licensing.Unlimited, Reason: "starter plan"}); err != nil {
		t.Fatal(err)
	}
	w.keys(3, licensing.KeyInput{})
	job, err := w.jobs.EnqueueGenerate(ctx, support, jobs.Generate{ProjectID: w.project.ID, Count: 250,
		KeyInput: licensing.KeyInput{Reason: "reseller order"}})
	if err != nil {
		t.Fatal(err)
	}
	if j := w.wait(job.ID); j.OK != 127 || j.Failed != 123 {
		t.Fatalf("generate: %d ok, %d failed; want 127 and 123", j.OK, j.Failed)
	}
	const reason = "The project has 130 of the 130 users its plan allows; delete keys or raise the plan's limit."
	for i, it := range w.results(job.ID) {
		if want := (short{strconv.Itoa(i + 1), i < 127, "Created"}); i < 127 && it != want {
			t.Fatalf("item %d: %+v", i, it)
		}
		if i >= 127 && (it.OK || it.Message != reason) {
			t.Fatalf("item %d: %+v, want the limit's reason", i, it)
		}
	}
	job, err = w.jobs.EnqueueImport(ctx, support, jobs.Import{ProjectID: w.project.ID, FileName: "keys.csv",
		Rows: []jobs.ImportRow{{Line: 2, UserKey: "imported-over-limit"}}, Reason: "migration"})
	if err != nil {
		t.Fatal(err)
	}
	w.wait(job.ID)
	if diff := cmp.Diff([]short{{"2", false, reason}}, w.results(job.ID)); diff != "" {
		t.Errorf("import results (-want +got):\n%s", diff)
	}
	if _, err := w.lic.GetKey(ctx, w.project.ID, "imported-over-limit"); err == nil {
		t.Error("import past the limit made the key")
	}
}
