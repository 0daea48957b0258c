package main

// lumdesk seed --scale N: a large synthetic Luarmor data set for benchmarks.
// Accounts, projects and scripts go through the services; the keys are
// loaded with COPY in parallel chunks.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/ids"
)

// scaleFlags are the flags of seed --scale.
type scaleFlags struct {
	keys     *int
	projects *int
	manifest *string
	lists    listFlags
}

func addScaleFlags(fs *flag.FlagSet) scaleFlags {
	return scaleFlags{
		keys:     fs.Int("scale", 0, "load N synthetic license keys (plus accounts, projects, scripts) with COPY, for benchmarks"),
		projects: fs.Int("projects", 0, "with --scale: spread the keys over this many projects (default: one per 250k keys, at least 1)"),
		manifest: fs.String("manifest", "", "with --scale: write a JSON file for cmd/loadgen (ids, an API key, sample keys)"),
		lists:    addListFlags(fs),
	}
}

// ScaleManifest is what cmd/loadgen reads.
type ScaleManifest struct {
	APIKey   string         `json:"api_key"`
	Projects []ScaleProject `json:"projects"`
	Samples  []ScaleSample  `json:"samples"`
	Searches []string       `json:"searches"`
	Keys     int            `json:"keys"`
	// Lists are the other console lists' rows loaded with the keys
	// (--accounts, --audit, --ledger).
	Lists   ScaleLists      `json:"lists"`
	Created time.Time       `json:"created"`
	Extra   json.RawMessage `json:"extra,omitempty"`
}

// ScaleLists are the rows seed --scale loaded into the other large lists.
type ScaleLists struct {
	Accounts    int `json:"accounts"`
	AuditEvents int `json:"audit_events"`
	Ledger      int `json:"ledger_entries"`
}

// ScaleProject is a project of the data set with its script.
type ScaleProject struct {
	ID       string `json:"id"`
	ScriptID string `json:"script_id"`
	Keys     int    `json:"keys"`
}

// ScaleSample is a key the loader check allows (index into Projects).
type ScaleSample struct {
	Project int    `json:"project"`
	UserKey string `json:"user_key"`
	HWID    string `json:"hwid"`
}

const (
	scaleChunk      = 25_000
	scaleMaxSamples = 20_000
	// from this many keys on, the search index is dropped and rebuilt
	scaleDropIndexAt = 200_000
)

var scaleNotes = []string{"order #%d", "reseller batch %d", "giveaway %d", "lifetime buyer %d", "trial %d", "discord boost %d", "refund pending %d"}

func runSeedScale(ctx context.Context, e *env, sf scaleFlags) error {
	n := *sf.keys
	if n < 0 || n > 50_000_000 {
		return usagef("--scale must be between 0 and 50000000")
	}
	if err := sf.lists.check(); err != nil {
		return err
	}
	if n == 0 {
		svc, err := e.services(ctx, true)
		if err != nil {
			return err
		}
		defer svc.Close()
		return seedLists(ctx, e, svc, sf.lists)
	}
	np := *sf.projects
	if np == 0 {
		np = max(1, (n+249_999)/250_000)
	}
	if np < 1 || np > 1000 || np > n {
		return usagef("--projects must be between 1 and min(1000, N)")
	}
	svc, err := e.services(ctx, true)
	if err != nil {
		return err
	}
	defer svc.Close()
	actor := audit.CLI("lumdesk seed --scale")
	start := time.Now()
	man := ScaleManifest{Keys: n, Lists: sf.lists.loaded(), Created: start.UTC(), Searches: []string{"reseller", "order #12", "HWID-ab", "giveaway 7"}}
	for i := range np {
		email := fmt.Sprintf("scale-%d@scale.lumdesk.local", i+1)
		acc, err := svc.Accounts.GetByEmail(ctx, email)
		if errors.Is(err, accounts.ErrNotFound) {
			acc, err = svc.Accounts.Create(ctx, actor, accounts.CreateInput{Name: fmt.Sprintf("Scale Customer %d", i+1), Email: email})
		}
		if err != nil {
			return fmt.Errorf("scale account %s: %w", email, err)
		}
		name := fmt.Sprintf("Scale project %d", i+1)
		p, found, err := svc.Licensing.FindProject(ctx, acc.ID, name)
		if err != nil {
			return err
		}
		if !found {
			if p, err = svc.Licensing.CreateProject(ctx, actor, licensing.ProjectInput{AccountID: acc.ID, Name: name,
				ResetCooldown: licensing.DefaultResetCooldown, UsersCanReset: true}); err != nil {
				return err
			}
		}
		scripts, err := svc.Licensing.ListScripts(ctx, p.ID)
		if err != nil {
			return err
		}
		var script licensing.Script
		if len(scripts) > 0 {
			script = scripts[0]
		} else if script, err = svc.Licensing.CreateScript(ctx, actor, p.ID, licensing.ScriptInput{Name: "Loader"}); err != nil {
			return err
		}
		man.Projects = append(man.Projects, ScaleProject{ID: p.ID, ScriptID: script.ID, Keys: n/np + btoi(i < n%np)})
		days := make([]licensing.DayCount, 30)
		for d := range days {
			days[d] = licensing.DayCount{Day: start.AddDate(0, 0, -d), Count: int64(rand.IntN(50_000) + 10_000)}
		}
		if err := svc.Licensing.BulkLoadProjectExecutions(ctx, p.ID, days); err != nil {
			return err
		}
	}
	// An operator key reaches every project of the data set.
	key, err := svc.APIKeys.Create(ctx, actor, apikeys.CreateInput{Product: apikeys.Luarmor, Operator: true,
		Name: "seed --scale benchmark", RateLimitPerMinute: apikeys.MaxRateLimit})
	if err != nil {
		return err
	}
	man.APIKey = key.Secret

	// Chunks of keys, two COPY streams at a time (one per core).
	type chunk struct{ project, size, seq, off int }
	var chunks []chunk
	for i, p := range man.Projects {
		for off := 0; off < p.Keys; off += scaleChunk {
			chunks = append(chunks, chunk{project: i, size: min(scaleChunk, p.Keys-off), seq: len(chunks), off: off})
		}
	}
	// A large load is faster without the search indexes (the key fragments'
	// trigram one, the note words' one), rebuilt after. license_key_activity
	// gets its rows from the insert trigger during the COPY (migration 00045).
	if n >= scaleDropIndexAt {
		if err := svc.Licensing.DropSearchIndex(ctx); err != nil {
			return err
		}
		defer func() {
			t := time.Now()
			fmt.Fprintf(e.stdout, "rebuilding the key search indexes...\n")
			if err := svc.Licensing.RebuildSearchIndex(context.WithoutCancel(ctx)); err != nil {
				fmt.Fprintf(e.stderr, "lumdesk seed: rebuild search indexes: %v (run the seed again to retry)\n", err)
				return
			}
			fmt.Fprintf(e.stdout, "search indexes rebuilt in %.1fs; total %.1fs\n", time.Since(t).Seconds(), time.Since(start).Seconds())
		}()
	}
	stride := max(1, n/scaleMaxSamples)
	var mu sync.Mutex
	var loaded int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for _, c := range chunks {
		g.Go(func() error {
			rng := rand.New(rand.NewPCG(uint64(c.seq)+1, uint64(start.UnixNano())))
			created := scaleCreated{now: start, from: c.off, of: man.Projects[c.project].Keys}
			keys, samples := scaleKeys(rng, c.size, created, c.seq*scaleChunk, stride)
			got, err := svc.Licensing.BulkLoadKeys(gctx, actor, man.Projects[c.project].ID, keys)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			loaded += got
			for _, s := range samples {
				man.Samples = append(man.Samples, ScaleSample{Project: c.project, UserKey: s[0], HWID: s[1]})
			}
			fmt.Fprintf(e.stdout, "\r  %d / %d keys (%.0fs)", loaded, n, time.Since(start).Seconds())
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nloaded %d keys into %d projects in %.1fs\n", loaded, np, time.Since(start).Seconds())
	if err := svc.Licensing.Analyze(ctx); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	if err := seedLists(ctx, e, svc, sf.lists); err != nil {
		return err
	}
	if *sf.manifest != "" {
		b, _ := json.MarshalIndent(man, "", " ")
		if err := os.WriteFile(*sf.manifest, b, 0o600); err != nil {
			return fmt.Errorf("write manifest: %w", err)
		}
		fmt.Fprintf(e.stdout, "manifest (API key, ids, %d sample keys): %s\n", len(man.Samples), *sf.manifest)
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// scaleCreated spreads a project's keys over the past year in the order they
// are written, as a real project's keys are: each was inserted when it was
// made, so the table's physical order follows created_at (the planner's
// "correlation"). Random creation times made every walk of the newest-first
// index a random read per key, which no real table of keys shows.
type scaleCreated struct {
	now      time.Time
	from, of int // the chunk's first key's position among the project's keys
}

// at is the creation time of the chunk's i-th key.
func (c scaleCreated) at(rng *rand.Rand, i int) time.Time {
	year := 365 * 24 * time.Hour
	step := year / time.Duration(max(1, c.of))
	return c.now.Add(-year + time.Duration(c.from+i)*step + time.Duration(rng.Int64N(int64(max(1, step)))))
}

// scaleKeys makes size synthetic keys: mostly active, some unused stock,
// reset, banned (with and without HWID) and expired; a third with a Discord
// id, some with notes. samples are (user_key, hwid) of allowed keys, one
// every stride keys.
func scaleKeys(rng *rand.Rand, size int, created scaleCreated, base, stride int) ([]licensing.BulkKey, [][2]string) {
	now := created.now
	keys := make([]licensing.BulkKey, size)
	var samples [][2]string
	at := func(t time.Time) *time.Time { return &t }
	ago := func(max time.Duration) time.Time { return now.Add(-time.Duration(rng.Int64N(int64(max)))) }
	days := []int32{1, 7, 30, 90, 365}
	for i := range keys {
		k := &keys[i]
		k.CreatedAt = created.at(rng, i)
		if rng.IntN(100) < 35 {
			k.DiscordID = strconv.FormatInt(100_000_000_000_000_000+rng.Int64N(900_000_000_000_000_000), 10)
		}
		if rng.IntN(100) < 40 {
			k.Note = fmt.Sprintf(scaleNotes[rng.IntN(len(scaleNotes))], rng.IntN(100_000))
		}
		hwid := fmt.Sprintf("HWID-%016x", rng.Uint64())
		used := func() {
			k.ActivatedAt = at(k.CreatedAt.Add(time.Duration(rng.Int64N(int64(now.Sub(k.CreatedAt)) + 1))))
			k.TotalExecutions = rng.Int64N(5000) + 1
			k.LastExecutionAt = at(ago(30 * 24 * time.Hour))
		}
		switch roll := rng.IntN(100); {
		case roll < 60: // active; a third lifetime, the rest with days that have not run out
			k.Identifier = hwid
			used()
			if rng.IntN(3) > 0 {
				d := days[2+rng.IntN(3)]
				k.KeyDays = &d
				k.AuthExpire = at(now.Add(time.Duration(1+rng.Int64N(int64(d)*24)) * time.Hour))
			}
		case roll < 75: // unused stock
			d := days[rng.IntN(len(days))]
			k.KeyDays = &d
		case roll < 85: // reset, waiting for the next execution
			used()
			k.TotalResets = int32(1 + rng.IntN(3))
			k.LastResetAt = at(ago(20 * 24 * time.Hour))
		case roll < 93: // banned, most with their HWID ("active but banned")
			used()
			if roll < 90 {
				k.Identifier = hwid
			}
			k.Banned, k.BanReason = true, []string{"Key sharing", "Chargeback", "Exploiting"}[rng.IntN(3)]
			if rng.IntN(2) == 0 {
				k.BanExpire = at(now.Add(time.Duration(1+rng.IntN(30*24)) * time.Hour))
			}
		default: // expired
			k.Identifier = hwid
			used()
			k.AuthExpire = at(ago(60 * 24 * time.Hour))
		}
		if (base+i)%stride == 0 && k.Identifier != "" && !k.Banned && (k.AuthExpire == nil || k.AuthExpire.After(now.Add(time.Hour))) {
			k.UserKey = ids.Token(licensing.UserKeyLen)
			samples = append(samples, [2]string{k.UserKey, k.Identifier})
		}
	}
	return keys, samples
}
