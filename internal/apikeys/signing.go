package apikeys

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"lumdesk/internal/platform/db"
)

// ErrBadSignature: X-Signature is missing or does not match the body.
var ErrBadSignature = errors.New("X-Signature is missing or does not match the request body")

// Sign is the X-Signature of body: lowercase hex HMAC-SHA256 with the key's
// signing secret, over the exact body bytes.
func Sign(signingSecret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(signingSecret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// SigningRequired reports whether the key was issued with a signing secret:
// its money requests must then carry X-Signature.
func (k Key) SigningRequired() bool { return k.HasSigningSecret }

// CheckSignature verifies header (hex, either case, optional "sha256="
// prefix) against body with k's signing secret, in constant time. Keys
// without a signing secret accept any request.
func (s *Service) CheckSignature(k Key, body []byte, header string) error {
	if !k.HasSigningSecret {
		return nil
	}
	header = strings.TrimPrefix(strings.TrimSpace(header), "sha256=")
	got, err := hex.DecodeString(header)
	if err != nil || len(got) != sha256.Size {
		return ErrBadSignature
	}
	secret, err := s.SigningSecret(k)
	if err != nil {
		return err
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	if !hmac.Equal(m.Sum(nil), got) {
		return ErrBadSignature
	}
	return nil
}

func isNoRows(err error) bool { return db.IsNotFound(err) }
