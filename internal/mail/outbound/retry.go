package outbound

import "time"

// retrySchedule is the wait before each further attempt at a deferred
// recipient: quick at first (greylisting usually clears within minutes),
// then every 4 hours until the retry window closes, as Postfix and Postmark
// roughly do.
var retrySchedule = []time.Duration{
	1 * time.Minute,
	5 * time.Minute,
	15 * time.Minute,
	30 * time.Minute,
	1 * time.Hour,
	2 * time.Hour,
	4 * time.Hour,
}

// NextAttempt says when to try a deferred message again. queuedAt is when the
// message was accepted, attempts how many delivery attempts have been made
// (1 after the first), retryFor the window (LUMORA_RETRY_FOR). When the window
// has closed, or the next attempt would fall after it, giveUp is true and the
// message is failed. The last attempt is pulled in to the window's end, so a
// message gets its final try just before it is given up on rather than not at
// all.
func NextAttempt(queuedAt time.Time, attempts int, now time.Time, retryFor time.Duration) (next time.Time, giveUp bool) {
	deadline := queuedAt.Add(retryFor)
	if !now.Before(deadline) {
		return time.Time{}, true
	}
	i := attempts - 1
	if i < 0 {
		i = 0
	}
	if i >= len(retrySchedule) {
		i = len(retrySchedule) - 1
	}
	next = now.Add(retrySchedule[i])
	if next.After(deadline) {
		next = deadline
	}
	return next, false
}
