package marketplace

import (
	"errors"
	"strings"
)

// Version is a parsed SemVer 2.0.0 version (https://semver.org).
type Version struct {
	Major, Minor, Patch string   // decimal, no leading zeros (kept as text: no overflow)
	Pre                 []string // pre-release identifiers
	Build               string   // build metadata, ignored in comparisons
}

// MaxVersionLength bounds a version string.
const MaxVersionLength = 128

var errSemVer = errors.New("must be a semantic version (SemVer 2.0) such as 1.2.0 or 2.0.0-beta.1")

// ParseVersion parses s strictly: MAJOR.MINOR.PATCH, an optional
// -pre.release and +build; no "v" prefix, no leading zeros in numbers.
func ParseVersion(s string) (Version, error) {
	if s == "" || len(s) > MaxVersionLength {
		return Version{}, errSemVer
	}
	var v Version
	rest := s
	if i := strings.IndexByte(rest, '+'); i >= 0 {
		v.Build = rest[i+1:]
		rest = rest[:i]
		for _, id := range strings.Split(v.Build, ".") {
			if !isIdent(id) {
				return Version{}, errSemVer
			}
		}
	}
	if i := strings.IndexByte(rest, '-'); i >= 0 {
		for _, id := range strings.Split(rest[i+1:], ".") {
			if !isIdent(id) || (isNumeric(id) && len(id) > 1 && id[0] == '0') {
				return Version{}, errSemVer
			}
			v.Pre = append(v.Pre, id)
		}
		rest = rest[:i]
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 {
		return Version{}, errSemVer
	}
	for _, p := range parts {
		if !isNumeric(p) || (len(p) > 1 && p[0] == '0') {
			return Version{}, errSemVer
		}
	}
	v.Major, v.Minor, v.Patch = parts[0], parts[1], parts[2]
	return v, nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cmpNum compares decimal strings without leading zeros.
func cmpNum(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// Compare orders v and w by SemVer precedence: -1, 0 or +1. Build metadata
// does not count, so 1.0.0+a and 1.0.0+b are equal.
func (v Version) Compare(w Version) int {
	for _, c := range [][2]string{{v.Major, w.Major}, {v.Minor, w.Minor}, {v.Patch, w.Patch}} {
		if r := cmpNum(c[0], c[1]); r != 0 {
			return r
		}
	}
	// A pre-release ranks below its release.
	switch {
	case len(v.Pre) == 0 && len(w.Pre) == 0:
		return 0
	case len(v.Pre) == 0:
		return 1
	case len(w.Pre) == 0:
		return -1
	}
	for i := 0; i < len(v.Pre) && i < len(w.Pre); i++ {
		a, b := v.Pre[i], w.Pre[i]
		an, bn := isNumeric(a), isNumeric(b)
		var r int
		switch {
		case an && bn:
			r = cmpNum(a, b)
		case an:
			r = -1 // numeric identifiers rank below alphanumeric ones
		case bn:
			r = 1
		default:
			r = strings.Compare(a, b)
		}
		if r != 0 {
			return r
		}
	}
	switch {
	case len(v.Pre) < len(w.Pre):
		return -1
	case len(v.Pre) > len(w.Pre):
		return 1
	}
	return 0
}
