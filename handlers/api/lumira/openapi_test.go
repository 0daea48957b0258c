package lumira

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The OpenAPI document names exactly the endpoints this package serves,
// each under its method, with its scope and the envelope's common errors.
func TestOpenAPIListsTheServedRoutes(t *testing.T) {
	t.Parallel()
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			Scope     string                     `json:"x-scope"`
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	param := regexp.MustCompile(`\{([A-Za-z]+)\}`)
	var documented []string
	for p, ops := range doc.Paths {
		for m, op := range ops {
			documented = append(documented, strings.ToUpper(m)+" /api/lumira"+param.ReplaceAllString(p, ":$1")+" "+op.Scope)
			if op.Responses["401"] == nil || op.Responses["403"] == nil || op.Responses["429"] == nil || op.Responses["400"] == nil {
				t.Errorf("%s %s: scope %q, responses %d", m, p, op.Scope, len(op.Responses))
			}
		}
	}
	var served []string
	for _, e := range (&API{}).table() {
		served = append(served, e.method+" "+e.path+" "+e.scope)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Fatalf("documented:\n%s\nserved:\n%s", strings.Join(documented, "\n"), strings.Join(served, "\n"))
	}
	if len(served) != 12 {
		t.Fatalf("%d endpoints", len(served))
	}
}
