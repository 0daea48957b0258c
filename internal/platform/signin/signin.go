// Package signin holds what the staff console and the customer portal share
// to sign people in: argon2id password hashes, failed-attempt throttling
// (per user and per IP, in Postgres so it holds across processes), TOTP
// codes with recovery codes, and the Postgres-backed gorilla/sessions store.
// Each face keeps its own users, sessions table and rules (internal/staff,
// internal/customers); the mechanics live here once.
package signin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

// argonParams are the cost of an argon2id hash; a hash names its own, so
// CheckPassword checks a hash of any cost.
type argonParams struct {
	time, memory uint32 // passes, KiB
	threads      uint8
}

// argonKeyLen is the length of the derived key.
const argonKeyLen = 32

var (
	// argonProduction is OWASP's recommended minimum (19 MiB, 2 passes).
	argonProduction = argonParams{time: 2, memory: 19 * 1024, threads: 1}
	// argonTest is for test binaries: one hash at the production cost took
	// seconds under the race detector, and every test that signs someone in
	// makes and checks one. It is the same algorithm and format, cheaper.
	argonTest = argonParams{time: 1, memory: 256, threads: 1}
	// argonCost is what HashPassword uses.
	argonCost = costFor(testing.Testing())
)

func costFor(inTest bool) argonParams {
	if inTest {
		return argonTest
	}
	return argonProduction
}

// MaxPasswordLength bounds the work one sign-in can ask of the server.
const MaxPasswordLength = 256

// HashPassword returns a PHC-format argon2id hash.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	c := argonCost
	key := argon2.IDKey([]byte(pw), salt, c.time, c.memory, c.threads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, c.memory, c.time, c.threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("malformed password hash")

// CheckPassword compares pw with a hash made by HashPassword, in constant
// time. An empty hash (unknown user) is checked against DummyHash, so that a
// wrong email and a wrong password take the same time.
func CheckPassword(hash, pw string) (bool, error) {
	if hash == "" {
		_, _ = CheckPassword(dummyHash(), pw)
		return false, nil
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is a well-formed hash at the current cost that no password
// matches: checking a password against it costs what checking a real hash
// does, which is all an unknown user's sign-in needs. It is written out
// rather than made by HashPassword, which at package init cost every
// process start (every CLI command too) one argon2id pass of 19 MiB: about
// a third of a second and 20 MiB of heap, before main ran.
func dummyHash() string {
	c := argonCost
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, c.memory, c.time, c.threads,
		b64.EncodeToString([]byte("lumdesk-dummy-salt")), b64.EncodeToString(make([]byte, argonKeyLen)))
}
