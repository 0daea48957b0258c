package products_test

import (
	"strings"
	"testing"

	"lumdesk/internal/billing/products"
)

func TestDomainNames(t *testing.T) {
	for name, want := range map[string]bool{
		"example.com": true, "Shop.Example.CO.uk.": true, "xn--bcher-kva.de": true, "a1.b2.c3": true,
		"1.2.3.4": false, "example.123": false, "com": false, "-a.com": false, "a..com": false, "ex ample.com": false,
	} {
		if _, _, ok := products.NormalizeDomain(name); ok != want {
			t.Errorf("NormalizeDomain(%q) = %v, want %v", name, ok, want)
		}
	}
}

func TestNameservers(t *testing.T) {
	got, err := products.NormalizeNameservers([]string{" NS1.Example.net. ", "ns2.example.net", ""})
	if err != nil || strings.Join(got, ",") != "ns1.example.net,ns2.example.net" {
		t.Fatalf("%v %v", got, err)
	}
	for _, c := range []struct {
		in   []string
		want string
	}{
		{[]string{"1.2.3.4", "5.6.7.8"}, `"1.2.3.4" is an IP address: give the nameserver's host name.`},
		{[]string{"ns1.example.net", "2001:db8::1"}, `"2001:db8::1" is an IP address`},
		{[]string{"ns1.example.net", "<script>"}, `"<script>" is not a host name.`},
		{[]string{"ns1.example.net"}, "Give 2 to 13 nameservers."},
		{[]string{"ns1.example.net", "NS1.example.net"}, "Each nameserver once"},
	} {
		_, err := products.NormalizeNameservers(c.in)
		var verr products.ValidationError
		if !asValidation(err, &verr) || !strings.Contains(verr["nameservers"], c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
}

func asValidation(err error, v *products.ValidationError) bool {
	e, ok := err.(products.ValidationError)
	*v = e
	return ok
}
