package audit

import "strconv"

// Actor kinds, as stored in audit_events.actor_kind.
const (
	KindStaff     = "staff"
	KindAPIKey    = "api_key"
	KindSystem    = "system"
	KindCLI       = "cli"
	KindAnonymous = "anonymous"
	KindCustomer  = "customer" // a customer user in the portal
	KindDiscord   = "discord"  // a Discord user through lumdesk's bot (ID: their Discord ID)
)

// Actor is who performs a change, and from where. Every service method takes one.
type Actor struct {
	Kind      string
	ID        string
	Label     string
	IP        string
	UserAgent string
	RequestID string
}

// Staff is a staff user acting through the dashboard.
func Staff(id int64, email string) Actor {
	return Actor{Kind: KindStaff, ID: strconv.FormatInt(id, 10), Label: email}
}

// System is the server itself (jobs, seeding).
func System(label string) Actor { return Actor{Kind: KindSystem, Label: label} }

// CLI is an operator running a lumdesk subcommand on the server.
func CLI(label string) Actor { return Actor{Kind: KindCLI, Label: label} }

// StaffID returns the staff id of a staff actor, or 0.
func (a Actor) StaffID() int64 {
	if a.Kind != KindStaff {
		return 0
	}
	id, _ := strconv.ParseInt(a.ID, 10, 64)
	return id
}

// Discord is a Discord user acting through lumdesk's bot.
func Discord(userID, username string) Actor {
	return Actor{Kind: KindDiscord, ID: userID, Label: username}
}
