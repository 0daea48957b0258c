package db

import "strings"

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// EscapeLike makes s match itself inside a LIKE or ILIKE pattern (the
// default escape character, \): a search for "50%_off" finds that text,
// not every row.
func EscapeLike(s string) string { return likeEscaper.Replace(s) }
