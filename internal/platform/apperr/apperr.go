// Package apperr holds the error shapes every domain service shares, so the
// HTTP layers can answer them the same way whichever service returned them.
package apperr

import (
	"slices"
	"strings"
)

// FieldErrors maps input field names to messages for the person who typed
// them. Domain packages alias it as their ValidationError.
type FieldErrors map[string]string

func (v FieldErrors) Error() string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + v[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// NotFound is a "no such thing" error; the dashboard answers it with a 404 page.
type NotFound string

func (e NotFound) Error() string { return string(e) }

// NotFound marks the error for the HTTP layer's error handler.
func (e NotFound) NotFound() bool { return true }
