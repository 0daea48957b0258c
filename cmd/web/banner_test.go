package main

import (
	"bytes"
	"strings"
	"testing"

	"lumdesk/internal/demo"
	"lumdesk/internal/platform/localpg"
)

// The banner says which database is in use and ends with the sign-in
// tables (staff, then the customer portal's), so the last thing on screen
// after `make run` is where to sign in.
func TestBannerEndsWithSignIns(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	e := &env{stdout: &out}
	printBanner(e, "127.0.0.1:8080", "database lumdesk on 127.0.0.1:5432", demo.Credentials)
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	last := demo.PortalCredentials[len(demo.PortalCredentials)-1]
	if got := strings.Fields(lines[len(lines)-1]); len(got) != 3 || got[1] != last.Email || got[2] != last.Password {
		t.Fatalf("last line %q, want the last demo portal sign-in", lines[len(lines)-1])
	}
	for _, want := range []string{"http://localhost:8080", "Using database lumdesk on 127.0.0.1:5432", "finance2@lumdesk.local",
		"http://localhost:8080/portal/login", demo.PortalCredentials[0].Email + "  ", demo.PortalCredentials[0].Password} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
}

func TestDescribeDatabase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		d    database
		want string
	}{
		{"configured", database{URL: "postgres://u:secret@db.internal:5433/prod?sslmode=require", fromConfig: true},
			"database prod on db.internal:5433 (DATABASE_URL)"},
		{"found locally", database{URL: "postgres://postgres@127.0.0.1:5432/lumdesk"},
			"database lumdesk on 127.0.0.1:5432"},
		{"socket", database{URL: "postgres:///lumdesk?host=/var/run/postgresql"},
			"database lumdesk on /var/run/postgresql"},
		{"private, already running", database{URL: "postgres://postgres@127.0.0.1:54329/lumdesk", dataDir: ".data/pg"},
			"database lumdesk on 127.0.0.1:54329, a private cluster in .data/pg"},
		{"private, started now", database{URL: "postgres://postgres@127.0.0.1:54329/lumdesk", dataDir: ".data/pg", server: &localpg.Server{}},
			"database lumdesk on 127.0.0.1:54329, a private cluster in .data/pg (started now, stopped on exit)"},
	} {
		if got := tc.d.Describe(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		if strings.Contains(tc.d.Describe(), "secret") {
			t.Errorf("%s: the password shows", tc.name)
		}
	}
}
