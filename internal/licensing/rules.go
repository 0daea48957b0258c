package licensing

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
)

// Limits of the inputs.
const (
	MaxNameLen       = 100
	MaxNoteLen       = 1000
	MaxIdentifierLen = 256
	MaxDiscordIDLen  = 32
	MaxUserKeyLen    = 128
	MaxKeyDays       = 36500
	MaxReasonLen     = 500
	MaxBanReasonLen  = 500
	MaxScriptLen     = 2 << 20 // bytes of script source
	MaxSearchLen     = 100
	MaxGenerate      = 1000
	MaxPageSize      = 1000
	DefaultPageSize  = 50
	MaxResetCooldown = 365 * 24 * time.Hour
	UserKeyLen       = 32
	UnbanTokenLen    = 32
	// maxExpiryAhead bounds auth_expire and ban_expire.
	maxExpiryAhead = 100 * 365 * 24 * time.Hour
)

const day = 24 * time.Hour

// banInForce: a ban with ban_expire ends by itself.
func banInForce(banned bool, banExpire *time.Time, now time.Time) bool {
	return banned && (banExpire == nil || banExpire.After(now))
}

// keyStatus is the spec's status: "active" means a HWID is linked (whether
// or not the key is banned), "banned" a key without HWID that is banned,
// "reset" a key without HWID waiting to be assigned at its next execution.
// The key lists filter with the same rule in SQL (licensing_key_lists.sql).
func keyStatus(identifier string, bannedNow bool) string {
	switch {
	case identifier != "":
		return StatusActive
	case bannedNow:
		return StatusBanned
	default:
		return StatusReset
	}
}

func expired(authExpire *time.Time, now time.Time) bool {
	return authExpire != nil && !authExpire.After(now)
}

// claimed: the key belongs to someone (HWID or Discord ID, or it was used),
// so an auth_expire given for it counts from now.
func claimed(k store.LicenseKey) bool {
	return k.ActivatedAt != nil || k.Identifier != "" || k.DiscordID != ""
}

// activate is a key's first execution or Discord link: the key_days clock
// starts, auth_expire = now + key_days*86400.
func activate(k *store.LicenseKey, now time.Time) {
	if k.ActivatedAt != nil {
		return
	}
	k.ActivatedAt = &now
	if k.KeyDays != nil && k.AuthExpire == nil {
		t := now.Add(time.Duration(*k.KeyDays) * day)
		k.AuthExpire = &t
	}
}

// daysUntil converts an expiry of an unclaimed key to key_days (rounded up).
func daysUntil(t, now time.Time) int32 {
	return int32(max(1, math.Ceil(t.Sub(now).Hours()/24)))
}

// Expiry is an auth_expire as the API gives it: Never (-1) or a time.
type Expiry struct {
	Never bool
	At    time.Time
}

// ExpiryFromUnix reads the API's unix seconds; -1 means never.
func ExpiryFromUnix(sec int64) Expiry {
	if sec == -1 {
		return Expiry{Never: true}
	}
	return Expiry{At: time.Unix(sec, 0).UTC()}
}

// applyExpiry applies an auth_expire edit: -1 means never expires (no day
// budget either); a time is the expiry of a claimed key, and is converted
// to key_days for an unclaimed one. allowPast lets an edit expire a claimed
// key at once.
func applyExpiry(k *store.LicenseKey, e Expiry, now time.Time, allowPast bool, verr ValidationError) {
	switch {
	case e.Never:
		k.AuthExpire, k.KeyDays = nil, nil
	case e.At.Unix() < 0 || e.At.After(now.Add(maxExpiryAhead)):
		verr["auth_expire"] = "must be a unix timestamp within 100 years, or -1 for never"
	case claimed(*k):
		if !allowPast && !e.At.After(now) {
			verr["auth_expire"] = "must be in the future (or -1 for never)"
			return
		}
		at := e.At
		k.AuthExpire, k.KeyDays = &at, nil
	case !e.At.After(now):
		verr["auth_expire"] = "must be in the future for a key without identifier or discord_id (it becomes key_days)"
	default:
		d := daysUntil(e.At, now)
		k.KeyDays, k.AuthExpire = &d, nil
	}
}

func checkKeyDays(n int, verr ValidationError) {
	if n < 1 || n > MaxKeyDays {
		verr["key_days"] = fmt.Sprintf("must be a whole number of days from 1 to %d", MaxKeyDays)
	}
}

// plainLine: printable text on one line.
func plainLine(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

func checkIdentifier(s string, verr ValidationError) string {
	s = strings.TrimSpace(s)
	if len(s) > MaxIdentifierLen || !plainLine(s) {
		verr["identifier"] = fmt.Sprintf("must be text on one line, at most %d bytes", MaxIdentifierLen)
	}
	return s
}

func checkDiscordID(s string, verr ValidationError) string {
	s = strings.TrimSpace(s)
	if len(s) > MaxDiscordIDLen || strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		verr["discord_id"] = "must be a Discord user ID (digits only)"
	}
	return s
}

func checkNote(s string, verr ValidationError) string {
	if utf8.RuneCountInString(s) > MaxNoteLen || !utf8.ValidString(s) ||
		strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
		verr["note"] = fmt.Sprintf("must be text, at most %d characters", MaxNoteLen)
	}
	return s
}

func checkName(s string, verr ValidationError) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		verr["name"] = "is required"
	case utf8.RuneCountInString(s) > MaxNameLen || !plainLine(s):
		verr["name"] = fmt.Sprintf("must be text on one line, at most %d characters", MaxNameLen)
	}
	return s
}

// checkReason: staff must say why they change something (the reason goes
// into the audit row); the API and the CLI may leave it empty.
func checkReason(actor audit.Actor, reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "" && actor.Kind == audit.KindStaff:
		return "", ValidationError{"reason": "is required; it is recorded in the audit log"}
	case utf8.RuneCountInString(reason) > MaxReasonLen || !utf8.ValidString(reason):
		return "", ValidationError{"reason": fmt.Sprintf("must be text, at most %d characters", MaxReasonLen)}
	}
	return reason, nil
}

// validUserKey: the shape of a key worth looking up.
func validUserKey(s string) bool {
	return s != "" && len(s) <= MaxUserKeyLen && plainLine(s)
}

// noteWords is the text of the full-text query a search's words make for
// the note's word index (key_note_query reads it: to_tsquery('simple', ...)
// with a one-character part of a word the parser splits made whole,
// migration 00049): every run of letters and digits
// of the term, all of them required, in any order; the last one as a
// prefix ("ord" finds "order", "order #12" finds "order #12345"), the
// others whole words. nil when the term has no word.
// A last word of one character is a whole word too ("batch 7" finds
// "batch 7", not "batch 7381"): a one-character prefix is the union of a
// tenth of the index's numbers or a 26th of its words, which narrows the
// search little and costs the most ("giveaway & 7:*" merged 11,000
// numbers' posting lists, 16-23 ms, and matched 6,400 keys at a million,
// where "giveaway & 7" reads one list). GitLab's search draws the same
// line at three characters (shorter terms match exactly); a key, HWID or
// Discord ID is still found by a fragment of any length.
// Only the last word is a prefix because a prefix is read from the index
// as the union of every word it starts, with none of a single word's
// skipping: on the 1M-key bench "order:* & 12:*" took 17-19 ms in the
// index where "order & 12:*" took 3 ms, and "giveaway:* & 7:*" 116-264 ms
// against 23 ms. The words before the last are the ones already typed out.
// Only letters, digits and the query's own ":*" and " & " reach
// to_tsquery, so no character of the user's text is read as query syntax
// (quotes, & | ! ( ) : * \ split words as spaces do): a term never makes
// to_tsquery fail. Punctuation inside a note splits its words the same
// way in to_tsvector('simple'), except for whole tokens such as e-mail
// addresses and URLs, which the parser keeps as one word (found by their
// start).
func noteWords(term string) *string {
	words := strings.FieldsFunc(term, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
	if len(words) == 0 {
		return nil
	}
	q := strings.Join(words, " & ")
	if utf8.RuneCountInString(words[len(words)-1]) > 1 {
		q += ":*"
	}
	return &q
}
