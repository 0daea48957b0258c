// Package console renders the console's home page and product landing pages.
package console

import (
	"time"

	"lumdesk/views/components"
)

// Model is the overview page.
type Model struct {
	Stats         []Stat
	Range         components.ChartRange // the days the charts cover
	AccountsDaily []components.ChartPoint
	AuditDaily    []components.ChartPoint
	KeysByProduct []components.KV
	Recent        []Event
}

// Stat is one tile.
type Stat struct{ Label, Value, Hint, Href string }

// Event is a recent audit row.
type Event struct {
	ID                 int64
	When               time.Time
	Actor, ActorHref   string // who acted, by name, and their page ("" for the system)
	Action             string
	ActionLabel        string // what it did, in words
	EntityNoun         string // "account", "API key"; "" when the event is about no entity
	Entity, EntityHref string // its name and page
}

// Product is a product landing page.
type Product struct {
	Key, Name, Tagline string
	Features           []string
}
