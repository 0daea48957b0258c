package billing_test

import (
	"bytes"
	"crypto/hmac"
	"errors"
	"strings"
	"testing"

	"lumdesk/internal/billing"
)

func FuzzParseSignatureHeader(f *testing.F) {
	good := billing.SignBody([]byte("secret"), []byte(`{"type":"deposit.paid"}`))
	for _, s := range []string{good, good + "," + good, "", "sha256=", "sha1=abc", "sha256=" + strings.Repeat("g", 64), " sha256=" + strings.Repeat("A", 64) + " ",
		strings.Repeat(good+",", 5), "sha256==", "=,=,="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		sigs, err := billing.ParseSignatureHeader(header)
		if err != nil {
			if !errors.Is(err, billing.ErrBadSignature) || sigs != nil {
				t.Fatalf("%q: %v, %v", header, sigs, err)
			}
			return
		}
		if len(sigs) == 0 || len(sigs) > 4 {
			t.Fatalf("%q: %d signatures", header, len(sigs))
		}
		for _, s := range sigs {
			if len(s) != 32 {
				t.Fatalf("%q: a %d-byte signature", header, len(s))
			}
		}
	})
}

// Signing is deterministic and any change of the body changes the signature.
func FuzzSignBody(f *testing.F) {
	f.Add([]byte("secret"), []byte(`{"type":"deposit.paid","ref":"sbx_1","amount":"5.00"}`), byte(1))
	f.Fuzz(func(t *testing.T, secret, body []byte, flip byte) {
		h := billing.SignBody(secret, body)
		sigs, err := billing.ParseSignatureHeader(h)
		if err != nil || len(sigs) != 1 {
			t.Fatalf("own signature does not parse: %q %v", h, err)
		}
		if len(body) == 0 {
			return
		}
		changed := bytes.Clone(body)
		changed[int(flip)%len(changed)] ^= 1 | flip
		other, _ := billing.ParseSignatureHeader(billing.SignBody(secret, changed))
		if hmac.Equal(sigs[0], other[0]) {
			t.Fatalf("changed body, same signature")
		}
	})
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"10", "10.5", "10.50", "$5", " 5 ", "-3.00", "0", "0.00", "1e3", "1,000", "1000000.00", "1000000.01", "--1", "+2", ".5", "5."} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, signed bool) {
		c, err := billing.ParseAmount("amount", s, signed)
		if err != nil {
			var v billing.ValidationError
			if !errors.As(err, &v) || v["amount"] == "" || c != 0 {
				t.Fatalf("%q: %d, %v", s, c, err)
			}
			return
		}
		if c == 0 || c > billing.MaxAmount || c < -billing.MaxAmount || (!signed && c < 0) {
			t.Fatalf("%q (signed %v) accepted as %d", s, signed, c)
		}
		back, err := billing.ParseAmount("amount", c.String(), signed)
		if err != nil || back != c {
			t.Fatalf("round trip %q -> %s -> %d, %v", s, c, back, err)
		}
	})
}

// A refused amount says what is wrong with it.
func TestParseAmountMessages(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "Enter an amount",
		"1,000.00":             "without thousands separators",
		"99999999999999999999": "at most $1,000,000.00.",
		"1000000.01":           "at most $1,000,000.00.",
		"10.001":               "at most 2 decimals",
		"abc":                  "at most 2 decimals",
		"1e3":                  "at most 2 decimals",
		"0":                    "must not be zero",
		"-5":                   "must be positive",
	} {
		_, err := billing.ParseAmount("amount", in, false)
		var fe billing.ValidationError
		if !errors.As(err, &fe) || !strings.Contains(fe["amount"], want) {
			t.Errorf("ParseAmount(%q): %v, want a message with %q", in, err, want)
		}
	}
}
