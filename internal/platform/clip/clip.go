// Package clip cuts text to a length in characters, between characters.
//
// Handlers cut form input a little past its limit before validating it, to
// bound the work a hostile field can cause, and services cut what they store
// (a user agent, a remote error). Cut in bytes, 300 emoji became 75 and
// passed a 100-character limit unseen, and a cut inside a character left
// invalid UTF-8, refused as such or by Postgres. Cut here, text that was
// too long stays too long, and valid text stays valid.
package clip

// Chars is s cut to at most n characters (code points; each byte of
// invalid UTF-8 counts as one).
func Chars(s string, n int) string {
	if len(s) <= n { // n bytes hold at most n characters
		return s
	}
	if n <= 0 {
		return ""
	}
	i := 0
	for at := range s {
		if i == n {
			return s[:at]
		}
		i++
	}
	return s
}
