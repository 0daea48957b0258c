package web

import (
	"encoding/json"
	"testing"
)

func TestJSONStringIsASCIIAndRoundTrips(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"plain", "Chloé Martin suspended.", "lum_sk_ab… revoked", "emoji 🎉 \"quoted\" <b>"} {
		q := jsonString(s)
		for i := 0; i < len(q); i++ {
			if q[i] >= 0x80 {
				t.Fatalf("%q has non-ASCII byte in %q", s, q)
			}
		}
		var back string
		if err := json.Unmarshal([]byte(q), &back); err != nil || back != s {
			t.Fatalf("round trip %q -> %q -> %q (%v)", s, q, back, err)
		}
	}
}
