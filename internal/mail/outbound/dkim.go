package outbound

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/emersion/go-msgauth/dkim"
)

// DKIMKey is what signs a sending domain's mail: the d= domain, the s=
// selector and the private key (RSA; kept sealed by the caller, unsealed only
// for signing).
type DKIMKey struct {
	Domain   string
	Selector string
	Signer   crypto.Signer
}

// SignedHeaders are the header fields the signature covers. Reply-To and Cc
// are listed even when absent, so nobody can add them in transit without
// breaking the signature (RFC 6376 section 5.4.2).
var SignedHeaders = []string{"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "Reply-To", "Cc"}

// Sign returns raw with a DKIM-Signature header in front, relaxed/relaxed,
// rsa-sha256.
func Sign(raw []byte, key DKIMKey) ([]byte, error) {
	if key.Domain == "" || key.Selector == "" || key.Signer == nil {
		return nil, errors.New("outbound: DKIM needs a domain, a selector and a key")
	}
	var out bytes.Buffer
	out.Grow(len(raw) + 600)
	err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{
		Domain:                 key.Domain,
		Selector:               key.Selector,
		Signer:                 key.Signer,
		Hash:                   crypto.SHA256,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             SignedHeaders,
	})
	if err != nil {
		return nil, fmt.Errorf("outbound: DKIM sign: %w", err)
	}
	return out.Bytes(), nil
}

// DKIMRecord is the TXT value to publish at <selector>._domainkey.<domain>
// for an RSA public key.
func DKIMRecord(pub crypto.PublicKey) (string, error) {
	if _, ok := pub.(*rsa.PublicKey); !ok {
		return "", fmt.Errorf("outbound: DKIM record for %T: only RSA keys are used", pub)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
}
