package outbound_test

import (
	"crypto/x509"
	"testing"
	"time"

	"lumdesk/internal/mail/address"
	"lumdesk/internal/mail/outbound"
)

// benchMessage is the load generator's message: one recipient, text and HTML.
func benchMessage() outbound.Message {
	return outbound.Message{
		From:    address.Address{Name: "Lumora bench", Email: "bench@m1.lumora-bench.com"},
		To:      []address.Address{{Email: "rcpt-1@sink.lumora-bench.com"}},
		Subject: "Bench message 1",
		Text:    "Hello from the Lumora benchmark. Your code is 123456.",
		HTML:    "<p>Hello from the <b>Lumora</b> benchmark.</p>",
	}
}

func benchKey() outbound.DKIMKey {
	return outbound.DKIMKey{Domain: "m1.lumora-bench.com", Selector: "lumora1", Signer: rsaKey()}
}

// BenchmarkBuild is the MIME build of one message.
func BenchmarkBuild(b *testing.B) {
	m, now := benchMessage(), time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := outbound.Build(m, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign is the RSA-2048 DKIM signature of one built message on one
// core: its ns/op bounds what one core can deliver (1e9 / ns/op messages a
// second), whatever the SMTP server's speed.
func BenchmarkSign(b *testing.B) {
	built, err := outbound.Build(benchMessage(), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	key := benchKey()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := outbound.Sign(built.Raw, key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignParallel signs on every core (-cpu sets how many): 1e9 /
// ns/op is the machine's DKIM-signing bound on delivery.
func BenchmarkSignParallel(b *testing.B) {
	built, err := outbound.Build(benchMessage(), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	key := benchKey()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := outbound.Sign(built.Raw, key); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkParseKey is unsealing's other half: parsing a stored PKCS #8
// RSA-2048 key (which validates it) costs a third of a signature, so the
// delivery keeps parsed keys (mail.Service's signer cache).
func BenchmarkParseKey(b *testing.B) {
	der, _ := x509.MarshalPKCS8PrivateKey(rsaKey())
	for b.Loop() {
		if _, err := x509.ParsePKCS8PrivateKey(der); err != nil {
			b.Fatal(err)
		}
	}
}
