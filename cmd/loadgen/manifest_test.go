package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// noteLists changes the manifest's lists and keeps the rest of cmd/web's
// manifest as it was, fields the load generator does not read included.
func TestNoteListsKeepsTheRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.json")
	in := `{"api_key":"k","projects":[{"id":"p1","script_id":"s1","keys":5}],"samples":[{"project":0,"user_key":"u","hwid":"h"}],` +
		`"searches":["reseller"],"keys":5,"created":"2026-12-07T09:00:00Z","extra":{"a":1}}`
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := noteLists(path, lists{Accounts: 3, AuditEvents: 4, Ledger: 5}); err != nil {
		t.Fatal(err)
	}
	m, err := readManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Lists != (lists{3, 4, 5}) || m.Keys != 5 || m.APIKey != "k" || len(m.Samples) != 1 || m.Projects[0].ScriptID != "s1" {
		t.Errorf("manifest after noteLists: %+v", m)
	}
	b, _ := os.ReadFile(path)
	for _, kept := range []string{`"created": "2026-12-07T09:00:00Z"`, `"extra": {`} {
		if !strings.Contains(string(b), kept) {
			t.Errorf("noteLists dropped %s:\n%s", kept, b)
		}
	}
	if err := noteLists(filepath.Join(t.TempDir(), "none.json"), lists{}); err == nil {
		t.Error("noteLists wrote a manifest that was not there")
	}
}
