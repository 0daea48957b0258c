package lumio_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"lumdesk/handlers/api/lumio"
	"lumdesk/internal/apikeys"
)

// POST /extensions takes 10 an hour per key: the 11th real request is 429
// with Retry-After (a token every 6 minutes), while reads go on and another
// key is untouched.
func TestCreateLimitRealRequests(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	for i := range 10 {
		if r := w.call("POST", devBase+"/extensions", w.key, fmt.Sprintf(`{"name": "Ext %d"}`, i)); r.Status != 201 {
			t.Fatalf("create %d: %d %s", i, r.Status, r.Raw)
		}
	}
	r := w.call("POST", devBase+"/extensions", w.key, `{"name": "One too many"}`)
	wantLmErr(t, "11th create", r, 429, "rate_limited")
	if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 300 || secs > 360 {
		t.Errorf("Retry-After %q, want ~360", r.Header.Get("Retry-After"))
	}
	if r := w.call("GET", devBase+"/extensions", w.key, ""); r.Status != 200 {
		t.Errorf("reads after the create limit: %d", r.Status)
	}
	if r := w.call("POST", devBase+"/extensions", w.otherKey, `{"name": "Theirs"}`); r.Status != 201 {
		t.Errorf("another key: %d %s", r.Status, r.Raw)
	}
	var n int
	if err := w.env.DB.Pool.QueryRow(bg, `SELECT count(*) FROM marketplace_extensions WHERE account_id = $1`, w.acct).Scan(&n); err != nil || n != 10 {
		t.Errorf("extensions created: %d %v", n, err)
	}
}

// GET takes 120 a minute: real requests until one is refused, which comes
// after the burst of 120 (plus the tokens refilled meanwhile, one every half
// second).
func TestReadLimitRealRequests(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	start := time.Now()
	var r lmResp
	n := 0
	for ; n < 1000; n++ {
		if r = w.call("GET", devBase+"/extensions", w.key, ""); r.Status != 200 {
			break
		}
	}
	refilled := int(time.Since(start)/(500*time.Millisecond)) + 1
	if n < 120 || n > 120+refilled {
		t.Errorf("refused after %d reads in %v; want 120 to %d", n, time.Since(start), 120+refilled)
	}
	wantLmErr(t, "read past the limit", r, 429, "rate_limited")
	if r.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q, want 1 (a token every half second)", r.Header.Get("Retry-After"))
	}
}

// Each group has its own bucket of the key: emptied (through the limiter
// itself, as a burst would), its requests are 429 and the others pass.
func TestEachGroupLimit(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	id := w.create(w.key, `{"name": "Limited"}`)
	body, ct := uploadBody(t, "1.0.0", "", validBundle(t, "1.0.0"))
	limits := lumio.Limits()
	for _, c := range []struct {
		group              string
		method, path, body string
		retry              int // Retry-After at most
	}{
		{"read", "GET", "/extensions/" + id, "", 1},
		{"write", "PATCH", "/extensions/" + id, `{"name": "New"}`, 1},
		{"write", "PUT", "/extensions/" + id + "/secrets/API_KEY", `{"value": "v"}`, 1},
		{"delete", "DELETE", "/extensions/" + id + "/secrets/API_KEY", "", 2},
		{"delete", "DELETE", "/extensions/" + id, "", 2},
		{"submit", "POST", "/extensions/" + id + "/versions", "", 120},
		{"create", "POST", "/extensions", `{"name": "X"}`, 360},
	} {
		l := limits[c.group]
		// The read bucket gains a token every half second: on a busy
		// machine one may come back between emptying it and the request,
		// which then rightly passes. Empty it again and retry, a few times.
		var r lmResp
		for attempt := 0; attempt < 5; attempt++ {
			for range l.Requests + 1 {
				ok, _, err := w.env.Services.APIKeys.Allow(bg, w.keyID, l.Bucket, l.Requests, l.Window, 1)
				if err != nil {
					t.Fatalf("%s: emptying the bucket: %v", c.group, err)
				}
				if !ok {
					break
				}
			}
			if c.group == "submit" {
				r = w.upload(w.key, id, strings.NewReader(string(body)), ct)
			} else {
				r = w.call(c.method, devBase+c.path, w.key, c.body)
			}
			if r.Status == 429 {
				break
			}
		}
		wantLmErr(t, c.group+" "+c.method+" "+c.path, r, 429, "rate_limited")
		if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 || secs > c.retry {
			t.Errorf("%s: Retry-After %q, want 1..%d", c.group, r.Header.Get("Retry-After"), c.retry)
		}
		// Another key's bucket of the group is its own.
		if c.method == "GET" {
			if r := w.call("GET", devBase+"/extensions", w.otherKey, ""); r.Status != 200 {
				t.Errorf("another key while %s is empty: %d", c.group, r.Status)
			}
		}
	}
	if n := w.versionRows(id); n != 0 || len(w.blobFiles()) != 0 {
		t.Errorf("a refused upload stored something: %d versions", n)
	}
}

// A Lumio key spends none of its general per-minute limit.
func TestNoGeneralMinuteLimit(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	k, err := w.env.Services.APIKeys.Create(bg, actorLm, apikeys.CreateInput{Product: apikeys.Lumio, AccountID: &w.acct,
		Scopes: []string{"extensions:read"}, RateLimitPerMinute: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if r := w.call("GET", devBase+"/extensions", k.Secret, ""); r.Status != 200 {
			t.Fatalf("read %d with a 1/minute key: %d %s", i, r.Status, r.Raw)
		}
	}
}

// A key issued with a per-minute limit above a per-minute group's has it in
// that group (tooling, load tests); the hourly groups keep the spec's.
func TestRaisedKeyLimit(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	k, err := w.env.Services.APIKeys.Create(bg, actorLm, apikeys.CreateInput{Product: apikeys.Lumio, AccountID: &w.acct,
		Scopes: []string{"extensions:read", "extensions:write"}, RateLimitPerMinute: 10000})
	if err != nil {
		t.Fatal(err)
	}
	read := lumio.Limits()["read"]
	// 150 reads spent at once: past the spec's 120, within the key's 10,000.
	if ok, _, err := w.env.Services.APIKeys.Allow(bg, k.Key.ID, read.Bucket, 10000, read.Window, 150); err != nil || !ok {
		t.Fatalf("spending 150: %v %v", ok, err)
	}
	if r := w.call("GET", devBase+"/extensions", k.Secret, ""); r.Status != 200 {
		t.Errorf("read with a raised key: %d %s", r.Status, r.Raw)
	}
	create := lumio.Limits()["create"]
	for range create.Requests {
		if ok, _, err := w.env.Services.APIKeys.Allow(bg, k.Key.ID, create.Bucket, create.Requests, create.Window, 1); err != nil || !ok {
			t.Fatalf("spending the create bucket: %v %v", ok, err)
		}
	}
	wantLmErr(t, "create past 10/hour with a raised key", w.call("POST", devBase+"/extensions", k.Secret, `{"name": "X"}`), 429, "rate_limited")
}
