package discord

import "testing"

func TestValidSnowflake(t *testing.T) {
	for s, want := range map[string]bool{
		"80351110224678912":     true,
		"18446744073709551615":  true,  // the largest uint64
		"18446744073709551616":  false, // one past it
		"":                      false,
		"-1":                    false,
		"12a":                   false,
		" 1":                    false,
		"123456789012345678901": false, // 21 digits
	} {
		if got := ValidSnowflake(s); got != want {
			t.Errorf("ValidSnowflake(%q) = %v, want %v", s, got, want)
		}
	}
}
