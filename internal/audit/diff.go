package audit

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
)

// ChangeKind says how one field differs between before and after.
type ChangeKind string

// The three kinds of change.
const (
	Added   ChangeKind = "added"
	Removed ChangeKind = "removed"
	Changed ChangeKind = "changed"
)

// Change is one field that differs between an event's before and after.
// Nested objects are flattened into dotted paths ("limits.daily"); arrays and
// scalars are leaves, rendered as compact JSON (strings without quotes).
type Change struct {
	Field string
	Old   string // "" when Kind is Added
	New   string // "" when Kind is Removed
	Kind  ChangeKind
}

// Diff lists the fields that differ between before and after, sorted by
// field path. Either side may be nil (a creation or a deletion).
func Diff(before, after map[string]any) []Change {
	old, cur := map[string]string{}, map[string]string{}
	flatten("", before, old)
	flatten("", after, cur)
	var out []Change
	for k, o := range old {
		n, ok := cur[k]
		switch {
		case !ok:
			out = append(out, Change{Field: k, Old: o, Kind: Removed})
		case n != o:
			out = append(out, Change{Field: k, Old: o, New: n, Kind: Changed})
		}
	}
	for k, n := range cur {
		if _, ok := old[k]; !ok {
			out = append(out, Change{Field: k, New: n, Kind: Added})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// flatten writes the leaves of m into out under dotted paths. An empty
// nested object is a leaf ("{}") so that adding or clearing one shows up.
func flatten(prefix string, m map[string]any, out map[string]string) {
	for k, v := range m {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			flatten(path, sub, out)
			continue
		}
		out[path] = leaf(v)
	}
}

// leaf renders a scalar or array: strings as they are, everything else as
// compact JSON. A string that would read as JSON (empty, "42", "null",
// "[1]" ...) is shown quoted, so the rendering is one-to-one and Diff can
// compare renderings: 42 → "42" shows as a change from 42 to "42".
func leaf(v any) string {
	if s, ok := v.(string); ok && s != "" && !json.Valid([]byte(s)) {
		return s
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "?"
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// parseObject decodes a jsonb value into a map for Diff. Numbers stay exact
// (json.Number). A value that is not an object is kept under the key "value";
// SQL NULL and JSON null give nil.
func parseObject(raw []byte) map[string]any {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return map[string]any{"value": string(raw)}
	}
	switch x := v.(type) {
	case nil:
		return nil
	case map[string]any:
		return x
	default:
		return map[string]any{"value": x}
	}
}
