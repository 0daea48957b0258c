package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// The wire client, on either kind of connection, reads a status and skips
// a sized body, dials again after an answer that closes its connection,
// and refuses what it cannot read.
func TestWireClient(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		switch r.URL.Path {
		case "/close":
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusTeapot)
			_, _ = w.Write([]byte("short and stout"))
		case "/chunked":
			w.(http.Flusher).Flush() // no Content-Length: the answer is chunked
			_, _ = w.Write([]byte("streamed"))
		default:
			_, _ = w.Write([]byte(`{"success":true}`))
		}
	}))
	defer srv.Close()
	req := func(path string) wireRequest {
		r, err := postJSON(srv.URL+path, []byte(`{"n":1}`))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	steps := []struct {
		path   string
		status int
		open   bool // the connection is kept for the next request
	}{{"/ok", 200, true}, {"/ok", 200, true}, {"/close", 418, false}, {"/ok", 200, true}}
	for _, blocking := range []bool{false, true} {
		mu.Lock()
		bodies = nil
		mu.Unlock()
		c := &wireConn{addr: strings.TrimPrefix(srv.URL, "http://"), blocking: blocking}
		for i, step := range steps {
			status, err := c.do(req(step.path))
			if err != nil || status != step.status || (c.conn != nil) != step.open {
				t.Fatalf("blocking %v, request %d (%s): status %d, err %v, connection open %v; want %d, open %v",
					blocking, i, step.path, status, err, c.conn != nil, step.status, step.open)
			}
		}
		if _, err := c.do(req("/chunked")); err == nil || !strings.Contains(err.Error(), "chunked") {
			t.Errorf("blocking %v, a chunked answer: err %v, want one that says so", blocking, err)
		}
		c.close()
		mu.Lock()
		if len(bodies) != len(steps)+1 || bodies[0] != `{"n":1}` {
			t.Errorf("blocking %v: the server read %q; want five requests of {\"n\":1}", blocking, bodies)
		}
		mu.Unlock()
	}
}
