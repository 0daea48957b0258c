package products

// The domain search of the buy form: a name, with or without its TLD, is
// looked up in every TLD on sale, as a registrar's storefront does, so the
// customer picks a free one before paying rather than learning at the
// purchase that it is taken.

import (
	"context"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"lumdesk/internal/platform/money"
)

// Availability of a searched name.
const (
	DomainAvailable = "available"
	DomainTaken     = "taken"
	DomainUnknown   = "unknown" // the registrar did not answer; try again
)

// MaxDomainOptions is how many names one search checks at the registrar.
const MaxDomainOptions = 12

// domainCheckTimeout bounds the registrar's answers to one search: a name
// it has not answered by then is "unknown", not a failed page.
const domainCheckTimeout = 5 * time.Second

// DomainOption is one searched name: whether it can be registered and its
// price per year.
type DomainOption struct {
	Name     string      `json:"name"`
	TLD      string      `json:"tld"`
	Status   string      `json:"status"` // DomainAvailable, DomainTaken or DomainUnknown
	Register money.Cents `json:"register"`
	Renew    money.Cents `json:"renew"`
}

// SearchDomains checks a name in the TLDs on sale: "example.net" first as
// typed, then "example" in the others (by the catalogue's order); a name
// without a TLD in each of them. A TLD not on sale is a ValidationError on
// "q", as is anything that is not a host name. A name a Lumi customer
// already holds is taken without asking the registrar; the registrar is
// asked about the rest, a few at a time.
func (s *Service) SearchDomains(ctx context.Context, q string) ([]DomainOption, error) {
	q = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(q)), ".")
	label, tld, _ := strings.Cut(q, ".")
	if !hostLabel(label) || len(q) > 253 {
		return nil, ValidationError{"q": "Enter a name like example or example.com: letters, digits and hyphens."}
	}
	cat, err := s.Prices(ctx)
	if err != nil {
		return nil, err
	}
	var opts []DomainOption
	add := func(t TLDPrice) {
		if len(opts) < MaxDomainOptions {
			opts = append(opts, DomainOption{Name: label + "." + t.TLD, TLD: t.TLD, Register: t.Register, Renew: t.Renew})
		}
	}
	if tld != "" {
		i := slices.IndexFunc(cat.TLDs, func(t TLDPrice) bool { return t.TLD == tld })
		if _, _, ok := NormalizeDomain(q); !ok {
			return nil, ValidationError{"q": "Enter a name like example or example.com: letters, digits and hyphens."}
		}
		if i < 0 {
			return nil, ValidationError{"q": "Lumi does not sell ." + tld + " domains; search the name alone to see the ones it does."}
		}
		add(cat.TLDs[i])
	}
	for _, t := range cat.TLDs {
		if t.TLD != tld {
			add(t)
		}
	}
	if len(opts) == 0 {
		return opts, nil
	}
	names := make([]string, len(opts))
	for i, o := range opts {
		names[i] = o.Name
	}
	held, err := s.db.LumiDomainNamesHeld(ctx, names)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, domainCheckTimeout)
	defer cancel()
	var g errgroup.Group
	g.SetLimit(4)
	for i := range opts {
		if slices.Contains(held, opts[i].Name) {
			opts[i].Status = DomainTaken
			continue
		}
		g.Go(func() error {
			// A registrar error is this name's answer, not the search's.
			switch avail, err := s.reg.Check(ctx, opts[i].Name); {
			case err != nil:
				opts[i].Status = DomainUnknown
			case avail:
				opts[i].Status = DomainAvailable
			default:
				opts[i].Status = DomainTaken
			}
			return nil
		})
	}
	_ = g.Wait()
	return opts, nil
}
