package audit

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Filter narrows the audit history. Zero fields do not filter.
type Filter struct {
	Actor      string    // substring of the actor label, or the exact actor id
	Action     string    // prefix: "account.suspend" or "account."
	EntityType string    // exact
	EntityID   string    // exact
	Since      time.Time // occurred_at >= Since
	Until      time.Time // occurred_at < Until
	Before     int64     // keyset cursor: only ids below it
}

// FilterInput is a filter as typed into the filter bar (URL query values).
type FilterInput struct {
	Actor, Action, EntityType, EntityID, From, To, Before string
}

// Limits on filter values. Longer values cannot match anything we record.
const (
	MaxActorLen    = 200
	MaxActionLen   = 100
	MaxEntityIDLen = 100
)

var (
	entityTypeRe = regexp.MustCompile(`^[a-z_]{1,40}$`)
	actionRe     = regexp.MustCompile(`^[a-z0-9_.\-]{1,100}$`)
)

// ValidEntityType reports whether s can be an entity type ([a-z_]{1,40}).
func ValidEntityType(s string) bool { return entityTypeRe.MatchString(s) }

// ValidEntityID reports whether s can be an entity id (1-100 bytes of
// printable UTF-8).
func ValidEntityID(s string) bool { return s != "" && len(s) <= MaxEntityIDLen && cleanText(s) }

// cleanText rejects what Postgres refuses in text (NUL, invalid UTF-8) and
// other control characters.
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Date formats accepted for From/To: a date input, a datetime-local input
// (with or without seconds) and RFC 3339. Values without a zone are UTC.
var dateLayouts = []struct {
	layout string
	step   time.Duration // precision, added to an inclusive To
}{
	{"2006-01-02", 24 * time.Hour},
	{"2006-01-02T15:04", time.Minute},
	{"2006-01-02T15:04:05", time.Second},
	{time.RFC3339Nano, 0},
}

func parseDate(s string) (t time.Time, step time.Duration, ok bool) {
	if len(s) > 40 {
		return time.Time{}, 0, false
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l.layout, s, time.UTC); err == nil {
			if t.Year() < 1970 || t.Year() > 9999 {
				return time.Time{}, 0, false
			}
			return t.UTC(), l.step, true
		}
	}
	return time.Time{}, 0, false
}

// Parse validates the input. Errors are keyed by field (actor, action,
// entity_type, entity_id, from, to, before); fields with an error do not
// filter. To is inclusive: "to 2025-03-01" includes the whole of that day.
func (in FilterInput) Parse() (Filter, map[string]string) {
	var f Filter
	errs := map[string]string{}
	if s := strings.TrimSpace(in.Actor); s != "" {
		if len(s) > MaxActorLen || !cleanText(s) {
			errs["actor"] = "Enter at most " + strconv.Itoa(MaxActorLen) + " characters of an email, label or id."
		} else {
			f.Actor = s
		}
	}
	if s := strings.TrimSpace(in.Action); s != "" {
		if !actionRe.MatchString(s) {
			errs["action"] = "Not an action name (like account.suspend)."
		} else {
			f.Action = s
		}
	}
	if s := strings.TrimSpace(in.EntityType); s != "" {
		if !ValidEntityType(s) {
			errs["entity_type"] = "Not an entity type (lower-case letters and _)."
		} else {
			f.EntityType = s
		}
	}
	if s := strings.TrimSpace(in.EntityID); s != "" {
		if !ValidEntityID(s) {
			errs["entity_id"] = "Enter at most " + strconv.Itoa(MaxEntityIDLen) + " characters."
		} else {
			f.EntityID = s
		}
	}
	if s := strings.TrimSpace(in.From); s != "" {
		if t, _, ok := parseDate(s); ok {
			f.Since = t
		} else {
			errs["from"] = "Enter a date like 2025-03-01."
		}
	}
	if s := strings.TrimSpace(in.To); s != "" {
		if t, step, ok := parseDate(s); ok {
			f.Until = t.Add(step)
			if step == 0 {
				f.Until = t.Add(time.Microsecond) // the instant itself is included (timestamptz has µs precision)
			}
		} else {
			errs["to"] = "Enter a date like 2025-03-31."
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		errs["to"] = "“To” must not be before “From”."
		f.Until = time.Time{}
	}
	if s := strings.TrimSpace(in.Before); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			errs["before"] = "That page link is not valid."
		} else {
			f.Before = id
		}
	}
	return f, errs
}

// Values are the non-empty filter fields as a URL query, without the cursor.
func (in FilterInput) Values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{
		{"actor", in.Actor}, {"action", in.Action}, {"entity_type", in.EntityType},
		{"entity_id", in.EntityID}, {"from", in.From}, {"to", in.To},
	} {
		if s := strings.TrimSpace(kv[1]); s != "" {
			v.Set(kv[0], s)
		}
	}
	return v
}

// Empty reports whether no filter field is set (the cursor aside).
func (in FilterInput) Empty() bool { return len(in.Values()) == 0 }
