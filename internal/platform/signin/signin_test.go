package signin

import (
	"strings"
	"testing"
)

// Outside tests a hash costs OWASP's recommended minimum for argon2id; test
// binaries use a cheaper cost of the same algorithm (costFor).
func TestArgonCost(t *testing.T) {
	if got, want := costFor(false), (argonParams{time: 2, memory: 19 * 1024, threads: 1}); got != want {
		t.Errorf("production cost %+v, want OWASP's minimum %+v", got, want)
	}
	if got := costFor(true); got != argonTest || argonCost != argonTest {
		t.Errorf("a test binary hashes at %+v (costFor: %+v), want %+v", argonCost, got, argonTest)
	}
	if argonTest.memory >= argonProduction.memory {
		t.Errorf("the test cost %+v is not cheaper than production's", argonTest)
	}
}

// A hash names its cost: one made at another cost still checks, so hashes
// stored before a change of cost (or by a test binary) stay valid.
func TestCheckPasswordReadsTheCostFromTheHash(t *testing.T) {
	defer func(c argonParams) { argonCost = c }(argonCost)
	argonCost = argonParams{time: 3, memory: 512, threads: 2}
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=512,t=3,p=2$") {
		t.Fatalf("hash %q does not name its cost", h)
	}
	argonCost = argonTest
	if ok, err := CheckPassword(h, "correct horse"); !ok || err != nil {
		t.Errorf("the right password: %v, %v", ok, err)
	}
	if ok, err := CheckPassword(h, "correct horse!"); ok || err != nil {
		t.Errorf("a wrong password: %v, %v", ok, err)
	}
	if ok, err := CheckPassword("", "correct horse"); ok || err != nil {
		t.Errorf("no hash (unknown user): %v, %v", ok, err)
	}
	if _, err := CheckPassword("$argon2id$v=19$m=512$x$y", "correct horse"); err == nil {
		t.Error("a malformed hash checked without an error")
	}
}

// An unknown user's sign-in (no hash) checks the password against a hash of
// the current cost, so that it takes as long as a known user's.
func TestDummyHashHasTheCurrentCost(t *testing.T) {
	defer func(c argonParams) { argonCost = c }(argonCost)
	for _, c := range []argonParams{argonProduction, argonTest, {time: 3, memory: 512, threads: 2}} {
		argonCost = c
		real, err := HashPassword("correct horse")
		if err != nil {
			t.Fatal(err)
		}
		dummy := dummyHash()
		// "$argon2id$v=19$m=…,t=…,p=…$salt$key": the same algorithm and cost, a key as long.
		rp, dp := strings.Split(real, "$"), strings.Split(dummy, "$")
		if len(dp) != 6 || dp[1] != rp[1] || dp[2] != rp[2] || dp[3] != rp[3] || len(dp[5]) != len(rp[5]) {
			t.Errorf("cost %+v: dummy hash %q does not match the shape or cost of %q", c, dummy, real)
		}
		if c == argonProduction {
			continue // one production-cost check is enough (the real hash above)
		}
		if ok, err := CheckPassword(dummy, "correct horse"); ok || err != nil {
			t.Errorf("cost %+v: checking against the dummy hash: %v, %v (want false, nil)", c, ok, err)
		}
	}
}
