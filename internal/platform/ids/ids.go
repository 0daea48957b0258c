// Package ids makes random identifiers and secrets.
package ids

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// Token returns n random characters from [a-zA-Z0-9] (about 5.95 bits each).
func Token(n int) string { return fromAlphabet(n, alnum) }

// Hex returns n random lowercase hex digits.
func Hex(n int) string { return fromAlphabet(n, "0123456789abcdef") }

func fromAlphabet(n int, alphabet string) string {
	out := make([]byte, n)
	buf := make([]byte, n+n/2+8)
	limit := 256 - 256%len(alphabet) // reject bytes that would bias the result
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		for _, b := range buf {
			if int(b) < limit {
				out[i] = alphabet[int(b)%len(alphabet)]
				if i++; i == n {
					break
				}
			}
		}
	}
	return string(out)
}

// Hash is the SHA-256 of a high-entropy secret (API keys, session ids): no salt or
// slow hash is needed when the secret itself has 128+ random bits.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// HashHex is Hash as hex.
func HashHex(secret string) string { return hex.EncodeToString(Hash(secret)) }

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Public is a public object id: prefix + 16 lower-case base32 characters
// (80 random bits), as Lumio's ext_/ver_ and Lumira's grp_/act_ ids.
func Public(prefix string) string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + lowerBase32.EncodeToString(b)
}

// ValidPublic says whether id has the shape of Public(prefix)'s ids, so a
// malformed id is not found without a query.
func ValidPublic(prefix, id string) bool {
	if !strings.HasPrefix(id, prefix) || len(id) != len(prefix)+16 {
		return false
	}
	for _, c := range id[len(prefix):] {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}
