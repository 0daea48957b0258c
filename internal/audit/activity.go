package audit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"lumdesk/db/store"
)

// Activity is one recent change to an account as its customers read it on
// the portal's home page: who (staff only as "lumdesk staff"), what, on what.
type Activity struct {
	At     time.Time
	Actor  string // "Ana Lima", "lumdesk staff", "API key Deploy"
	Action string // "API key revoked"
	Object string // the object's name, "" when it is the account itself or has none
}

// StaffActorName is how customers read any staff member, CLI operator
// included: never by name or email.
const StaffActorName = "lumdesk staff"

// hiddenFromCustomers are actions customers do not see in their account's
// activity: staff-internal ones (staff opening the portal, approval
// requests) and sign-in noise.
var hiddenFromCustomers = []string{
	"account.portal_view",
	"customer.login", "customer.login_failed", "customer.logout", "customer.reset_request",
	"balance.adjustment_request", "balance.adjustment_approve", "balance.adjustment_reject",
}

// internalFields are fields of the account customers do not see (the
// staff's note): an event that changed only these is left out.
var internalFields = map[string]bool{"note": true}

// MaxActivity bounds one AccountActivity call.
const MaxActivity = 100

// AccountActivity lists up to limit recent events of accountID that its
// customers may see: those on the account and on the objects it owns,
// newest first, in words.
func (s *Service) AccountActivity(ctx context.Context, accountID int64, limit int) ([]Activity, error) {
	limit = min(max(limit, 1), MaxActivity)
	// Events left out after reading (note-only changes) are few: read a
	// margin more than asked.
	rows, err := s.db.ListAccountActivity(ctx, store.ListAccountActivityParams{AccountID: accountID,
		HiddenActions: hiddenFromCustomers, Lim: int32(limit*2 + 10)})
	if err != nil {
		return nil, fmt.Errorf("list account activity: %w", err)
	}
	var entries []Entry
	for _, r := range rows {
		e := entryOf(r)
		if internalOnly(e) {
			continue
		}
		entries = append(entries, e)
		if len(entries) == limit {
			break
		}
	}
	names, err := LookupNames(ctx, s.db.Queries, entries)
	if err != nil {
		return nil, err
	}
	acct := strconv.FormatInt(accountID, 10)
	out := make([]Activity, len(entries))
	for i, e := range entries {
		a := Activity{At: e.OccurredAt, Actor: customerActorName(e, names), Action: ActionLabel(e.Action)}
		if !(e.EntityType == EntityAccount && e.EntityID == acct) {
			a.Object = names.Label(Ref{Type: e.EntityType, ID: e.EntityID})
		}
		out[i] = a
	}
	return out, nil
}

// internalOnly reports whether an event changed nothing but internal fields.
func internalOnly(e Entry) bool {
	changes := e.Changes()
	if len(changes) == 0 {
		return false
	}
	for _, c := range changes {
		if !internalFields[c.Field] {
			return false
		}
	}
	return true
}

// customerActorName names the actor for customers.
func customerActorName(e Entry, names Names) string {
	switch e.ActorKind {
	case KindStaff, KindCLI:
		return StaffActorName
	case KindSystem:
		return "lumdesk"
	case KindDiscord:
		return "Discord user " + e.ActorLabel
	case KindCustomer:
		if r, ok := e.ActorRef(); ok {
			if l := names.Label(r); l != "" {
				return l
			}
		}
		if e.ActorLabel != "" {
			return e.ActorLabel
		}
	case KindAPIKey:
		if r, ok := e.ActorRef(); ok {
			if l := names.Label(r); l != "" {
				return "API key " + l
			}
		}
		return "An API key"
	}
	return "Someone"
}
