package accounts

// OverviewCard is one product's card on the account's Overview tab. The
// product's area fills the figures (handlers/accounts' AccountOverview);
// handlers/accounts fills the product's name, icon and tab from the registry.
type OverviewCard struct {
	Tab, Name, Icon, IconClass string
	// Figures are the headline numbers, in order.
	Figures []Figure
	// Facts are one-line details under the figures ("Next renewal").
	Facts []Fact
	// Empty, when set, replaces the figures: the account has nothing in the
	// product yet, and says what to do about it.
	Empty *CardEmpty
	// NotLive marks a product whose area is not built yet.
	NotLive bool
}

// Figure is one number on a card.
type Figure struct {
	Label, Value string
	// Key names the figure for tests (data-testid="figure-<tab>-<key>").
	Key string
	// Tone colours the value: "" plain, "red", "green".
	Tone string
}

// Fact is one labelled line on a card.
type Fact struct{ Label, Value string }

// CardEmpty is a card's nothing-yet text and the action that fixes it.
type CardEmpty struct {
	Title       string
	ActionLabel string // "" for no action (the viewer may not act)
	ActionHref  string
}

func figureClass(tone string) string {
	switch tone {
	case "red":
		return "text-red-600 dark:text-red-400"
	case "green":
		return "text-emerald-600 dark:text-emerald-400"
	}
	return "text-slate-900 dark:text-slate-100"
}
