package components

import "sort"

// SortedMessages is a field → message map's messages in field order, so a
// page lists its problems the same way every time.
func SortedMessages(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}
