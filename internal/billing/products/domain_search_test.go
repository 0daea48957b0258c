package products_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/internal/billing/products"
)

// downRegistrar is the sandbox whose Check fails for names starting with
// "down-", as a registrar that times out does.
type downRegistrar struct{ products.SandboxRegistrar }

func (r *downRegistrar) Check(ctx context.Context, name string) (bool, error) {
	if strings.HasPrefix(name, "down-") {
		return false, errors.New("registrar timed out")
	}
	return r.SandboxRegistrar.Check(ctx, name)
}

// The buy form's search: the name in every TLD on sale (the one typed
// first), each free, taken (at the registry or by a Lumi customer) or
// unknown when the registrar does not answer, with its prices.
func TestSearchDomains(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	past := time.Now().Add(-48 * time.Hour)
	f.must(f.svc.SetTLDPrice(ctx, cli, products.TLDPrice{TLD: "net", Register: 9_00, Renew: 11_00, Transfer: 9_00, EffectiveFrom: past}))
	f.must(f.svc.SetTLDPrice(ctx, cli, products.TLDPrice{TLD: "io", Register: 30_00, Renew: 32_00, Transfer: 30_00, EffectiveFrom: past}))
	svc := products.NewService(f.db, f.bill, &downRegistrar{}, nil)

	type opt struct{ Name, Status, Register string }
	search := func(q string) ([]opt, error) {
		t.Helper()
		got, err := svc.SearchDomains(ctx, q)
		var out []opt
		for _, o := range got {
			out = append(out, opt{o.Name, o.Status, o.Register.String()})
		}
		return out, err
	}
	acc := f.account("Alice", "100.00")
	f.must(f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: "nightfall.com", Years: 1}))

	for _, c := range []struct {
		q    string
		want []opt
	}{
		// Without a TLD: every TLD on sale, in the catalogue's order.
		{"Nightfall", []opt{{"nightfall.com", "taken", "12.00"}, {"nightfall.io", "available", "30.00"}, {"nightfall.net", "available", "9.00"}}},
		// With one: that name first.
		{" nightfall.NET. ", []opt{{"nightfall.net", "available", "9.00"}, {"nightfall.com", "taken", "12.00"}, {"nightfall.io", "available", "30.00"}}},
		{"taken-x", []opt{{"taken-x.com", "taken", "12.00"}, {"taken-x.io", "taken", "30.00"}, {"taken-x.net", "taken", "9.00"}}},
		// The registrar not answering is that name's state, not an error.
		{"down-x.io", []opt{{"down-x.io", "unknown", "30.00"}, {"down-x.com", "unknown", "12.00"}, {"down-x.net", "unknown", "9.00"}}},
	} {
		got, err := search(c.q)
		if err != nil {
			t.Errorf("%q: %v", c.q, err)
			continue
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", c.q, diff)
		}
	}
	for q, want := range map[string]string{
		"":                                      "Enter a name",
		"-bad":                                  "Enter a name",
		"two words":                             "Enter a name",
		"x..com":                                "Enter a name",
		"<script>":                              "Enter a name",
		strings.Repeat("a", 64):                 "Enter a name",
		"nightfall.org":                         "does not sell .org",
		"www.nightfall.com":                     "does not sell .nightfall.com",
		"nightfall." + strings.Repeat("a", 260): "Enter a name",
	} {
		_, err := search(q)
		var verr products.ValidationError
		if !errors.As(err, &verr) || !strings.Contains(verr["q"], want) {
			t.Errorf("%q: %v, want a message on q with %q", q, err, want)
		}
	}
}
