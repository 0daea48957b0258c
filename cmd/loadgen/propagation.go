package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// propagation is the time from a ban answered by one node to the first
// refused loader check on another, each node answering checks from its
// cache (internal/licensing/cache.go): how long a banned key keeps working
// somewhere once support has pressed the button.
type propagation struct {
	samples  int
	p50, max time.Duration
}

// banPropagation starts a second `lumdesk serve` on the bench database and,
// for n sample keys in turn: checks the key on node B until B answers from
// its cache, bans it through node A's API, then checks it on B as fast as
// one client can until B refuses. The key is unbanned afterwards (the bench
// database is kept for the next run).
func banPropagation(ctx context.Context, cfg config, m manifest, n int) (propagation, error) {
	addr, err := freeAddr()
	if err != nil {
		return propagation{}, err
	}
	stop, _, _, err := startNode(ctx, cfg, addr)
	if err != nil {
		return propagation{}, fmt.Errorf("second node: %w", err)
	}
	defer stop()
	nodeB := "http://" + addr
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: (&net.Dialer{}).DialContext, MaxIdleConnsPerHost: 4}}
	call := func(method, u, apiKey string, body any) (int, map[string]any, error) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, u, rd)
		req.Header.Set("Content-Type", "application/json")
		if apiKey != "" {
			req.Header.Set("Authorization", apiKey)
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out, nil
	}
	var took []time.Duration
	for _, s := range m.Samples[:min(n, len(m.Samples))] {
		p := m.Projects[s.Project]
		check := func() (int, error) {
			st, _, err := call("POST", nodeB+"/api/luarmor/v3/projects/"+p.ID+"/scripts/"+p.ScriptID+"/check", "",
				map[string]string{"script_key": s.UserKey, "hwid": s.HWID})
			return st, err
		}
		// Twice: the first fills B's cache, the second is answered from it.
		for range 2 {
			if st, err := check(); err != nil || st != http.StatusOK {
				return propagation{}, fmt.Errorf("check before the ban: %d %v", st, err)
			}
		}
		st, body, err := call("POST", cfg.serverURL+"/api/luarmor/v3/projects/"+p.ID+"/users/blacklist", m.APIKey,
			map[string]any{"user_key": s.UserKey, "ban_reason": "bench: ban propagation"})
		if err != nil || st != http.StatusOK {
			return propagation{}, fmt.Errorf("ban on node A: %d %v %v", st, body, err)
		}
		banned := time.Now()
		deadline := banned.Add(30 * time.Second)
		for {
			st, err := check()
			if err != nil {
				return propagation{}, err
			}
			if st == http.StatusForbidden {
				took = append(took, time.Since(banned))
				break
			}
			if time.Now().After(deadline) {
				return propagation{}, fmt.Errorf("node B still allows %s 30s after the ban", s.UserKey)
			}
		}
		token, _ := body["unban_token"].(string)
		if st, _, err := call("GET", cfg.serverURL+"/api/luarmor/v3/projects/"+p.ID+"/users/unban?unban_token="+url.QueryEscape(token), "", nil); err != nil || st != http.StatusOK {
			return propagation{}, fmt.Errorf("unban: %d %v", st, err)
		}
	}
	if len(took) == 0 {
		return propagation{}, fmt.Errorf("no sample keys")
	}
	slices.Sort(took)
	return propagation{samples: len(took), p50: took[len(took)/2], max: took[len(took)-1]}, nil
}
