package audit

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"lumdesk/internal/platform/money"
)

func TestFormatValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		etype, field string
		raw          string // JSON
		want         string
	}{
		{"account", "status", `null`, "—"},
		{"account", "note", `""`, "—"},
		{"api_key", "scopes", `[]`, "—"},
		{"api_key", "scopes", `["domains:read","domains:write"]`, "domains:read, domains:write"},
		{"api_key", "operator", `true`, "Yes"},
		{"api_key", "revoked", `false`, "No"},
		{"api_key", "daily_spend_cap", `"1063.6"`, "$1,063.60"},
		{"account", "balance", `"-5.00"`, "-$5.00"},
		{"account", "amount", `"1234567.05"`, "$1,234,567.05"},
		{"tld_price", "register", `1299`, "$12.99"},
		{"plan_price", "monthly", `500`, "$5.00"},
		{"api_key", "product", `"lumi-domains"`, "Lumi Domains"},
		{"api_key", "product", `"luarmor"`, "Luarmor"},
		{"plan_price", "product", `"vps"`, "VPS"},
		{"api_key", "product", `"unknown-thing"`, "unknown-thing"},
		{"license_key", "total_resets", `3`, "3"},
		{"license_key", "keys", `250000`, "250,000"},
		{"account", "name", `"Ada"`, "Ada"},
		{"account", "status", `"suspended"`, "Suspended"},
		{"account", "cause", `"adjustment_request/4"`, "Adjustment request #4"},
		{"account", "provider", `"sandbox_crypto"`, "Sandbox crypto"},
		{"bulk_job", "kind", `"keys.blacklist"`, "keys.blacklist"},
		{"api_key", "rate_limit_per_minute", `60`, "60 / minute"},
		{"licensing_project", "reset_cooldown_seconds", `86400`, "1 day"},
		{"licensing_project", "reset_cooldown_seconds", `5400`, "1 h 30 min"},
		{"proxy", "allow_ips", `["1.2.3.4"]`, "1.2.3.4"},
	} {
		v := FormatValue(tc.etype, tc.field, decode(t, tc.raw))
		if v.Text != tc.want {
			t.Errorf("FormatValue(%s, %s, %s) = %q, want %q", tc.etype, tc.field, tc.raw, v.Text, tc.want)
		}
		if v.Empty != (tc.want == "—") {
			t.Errorf("FormatValue(%s, %s, %s).Empty = %v", tc.etype, tc.field, tc.raw, v.Empty)
		}
	}
}

func TestFormatValueTimesAndRefs(t *testing.T) {
	t.Parallel()
	v := FormatValue("license_key", "auth_expire", "2026-03-01T10:20:30Z")
	if v.Time == nil || !v.Time.Equal(time.Date(2026, 3, 1, 10, 20, 30, 0, time.UTC)) {
		t.Fatalf("time value = %+v", v)
	}
	v = FormatValue("api_key", "account_id", json.Number("26"))
	if v.Ref == nil || *v.Ref != (Ref{Type: EntityAccount, ID: "26"}) {
		t.Fatalf("account_id value = %+v", v)
	}
	v = FormatValue("license_key", "project_id", "0123456789abcdef012345")
	if v.Ref == nil || v.Ref.Type != EntityLicensingProject {
		t.Fatalf("project_id value = %+v", v)
	}
}

// A ledger entry or deposit named in an account's event is found through that account.
func TestReadableScopesRefsToTheAccount(t *testing.T) {
	t.Parallel()
	e := Entry{EntityType: EntityAccount, EntityID: "26",
		After: decode(t, `{"entry_id":2,"deposit":"dep_abc","amount":"5"}`).(map[string]any)}
	refs := map[string]Ref{}
	for _, r := range e.Readable() {
		if r.New.Ref != nil {
			refs[r.Field] = *r.New.Ref
		}
	}
	want := map[string]Ref{
		"entry_id": {Type: RefLedgerEntry, ID: "2", Account: "26"},
		"deposit":  {Type: RefDeposit, ID: "dep_abc", Account: "26"},
	}
	if len(refs) != 2 || refs["entry_id"] != want["entry_id"] || refs["deposit"] != want["deposit"] {
		t.Errorf("refs = %v, want %v", refs, want)
	}
}

func TestFormatMoney(t *testing.T) {
	t.Parallel()
	for c, want := range map[money.Cents]string{0: "$0.00", 5: "$0.05", 100: "$1.00", 106360: "$1,063.60", -99999999: "-$999,999.99"} {
		if got := FormatMoney(c); got != want {
			t.Errorf("FormatMoney(%d) = %q, want %q", c, got, want)
		}
	}
}

func TestFieldLabel(t *testing.T) {
	t.Parallel()
	for _, tc := range [][3]string{
		{"api_key", "daily_spend_cap", "Daily spend cap"},
		{"api_key", "rate_limit_per_minute", "Rate limit"},
		{"license_key", "identifier", "HWID"},
		{"staff_user", "totp_enabled", "Two-factor"},
		{"account", "account_id", "Account"},
		{"thing", "some_new_field", "Some new field"},
		{"audit", "filters.entity_type", "Filters › Entity type"},
	} {
		if got := FieldLabel(tc[0], tc[1]); got != tc[2] {
			t.Errorf("FieldLabel(%s, %s) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}

func TestReadable(t *testing.T) {
	t.Parallel()
	e := Entry{EntityType: EntityAPIKey,
		Before: decode(t, `{"name":"ci","daily_spend_cap":"10","revoked":false,"product":"lumi-domains"}`).(map[string]any),
		After:  decode(t, `{"name":"ci","daily_spend_cap":"1063.6","revoked":true,"product":"lumi-domains","account_id":26}`).(map[string]any),
	}
	got := map[string]string{}
	for _, r := range e.Readable() {
		got[r.Label] = r.Old.Text + " → " + r.New.Text
	}
	want := map[string]string{"Daily spend cap": "$10.00 → $1,063.60", "Revoked": "No → Yes", "Account": " → #26"}
	if len(got) != len(want) {
		t.Fatalf("Readable = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	refs := e.Refs()
	if !slices.Contains(refs, Ref{Type: EntityAccount, ID: "26"}) {
		t.Errorf("Refs = %v, want the account", refs)
	}
}

func decode(t *testing.T, raw string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Every entity type the code records must be in EntityTypes (which gives it
// a noun, labels and, in the views, a link). The test reads every
// audit.Event literal in the module; a type written through a variable is
// accepted only where it is known to hold a Lumi item kind.
func TestEveryWrittenEntityTypeIsKnown(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	consts := map[string]string{} // string constants of the module, by name
	type use struct {
		pos  string
		expr ast.Expr
	}
	var uses []use
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root {
			if n := d.Name(); n == "node_modules" || strings.HasPrefix(n, ".") || n == "e2e" {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.ValueSpec:
				for i, name := range x.Names {
					if i < len(x.Values) {
						if lit, ok := x.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			case *ast.CompositeLit:
				if !isAuditEvent(x.Type, f.Name.Name) {
					return true
				}
				for _, el := range x.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "EntityType" {
							uses = append(uses, use{pos: fset.Position(kv.Pos()).String(), expr: kv.Value})
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(uses) < 20 {
		t.Fatalf("found only %d audit.Event literals with an EntityType: the scan is broken", len(uses))
	}
	for _, u := range uses {
		var typ string
		switch x := u.expr.(type) {
		case *ast.BasicLit:
			typ, _ = strconv.Unquote(x.Value)
		case *ast.Ident:
			typ = consts[x.Name]
		case *ast.SelectorExpr:
			typ = consts[x.Sel.Name]
		}
		if typ == "" {
			// Lumi item actions pass the item kind (domain, vps, proxy) through a variable.
			if strings.Contains(filepath.ToSlash(u.pos), "internal/billing/products/") {
				continue
			}
			t.Errorf("%s: entity type is not a constant; name it so this test can check it", u.pos)
			continue
		}
		if !slices.Contains(EntityTypes, typ) {
			t.Errorf("%s: entity type %q is not in audit.EntityTypes: add it there with its noun, labels and link", u.pos, typ)
		}
	}
}

func isAuditEvent(e ast.Expr, pkg string) bool {
	switch x := e.(type) {
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		return ok && id.Name == "audit" && x.Sel.Name == "Event"
	case *ast.Ident:
		return pkg == "audit" && x.Name == "Event"
	}
	return false
}

func TestActionLabel(t *testing.T) {
	t.Parallel()
	for action, want := range map[string]string{
		"api_key.revoke":             "API key revoked",
		"account.suspend":            "Account suspended",
		"staff.login_failed":         "Staff sign-in failed",
		"balance.adjustment_approve": "Balance adjustment approved",
		"vps.power_reboot":           "VPS rebooted",
		"license_key.reset_hwid":     "License key HWID reset",
		"licensing_script.upload":    "Luarmor script version uploaded",
		"widget.frobnicate_all":      "Widget frobnicate all",
		"account":                    "Account",
		"balance.bulk_load":          "Balances bulk-loaded",
		"account.bulk_load":          "Accounts bulk-loaded",
		"license_key.bulk_load":      "License keys bulk-loaded",
		"widget.bulk_load":           "Widget bulk-loaded",
	} {
		if got := ActionLabel(action); got != want {
			t.Errorf("ActionLabel(%q) = %q, want %q", action, got, want)
		}
	}
}

// The audit filter's entity options stand alone, capitalised as the
// action groups' "Account: all".
func TestEntityLabel(t *testing.T) {
	t.Parallel()
	for typ, want := range map[string]string{"account": "Account", "license_key": "License key", "api_key": "API key", "widget_part": "Widget part"} {
		if got := EntityLabel(typ); got != want {
			t.Errorf("EntityLabel(%q) = %q, want %q", typ, got, want)
		}
	}
}
