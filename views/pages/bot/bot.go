// Package bot is the console's and the portal's pages of the Discord bot:
// its status, the linked guilds (also a section on each Luarmor project
// and Lumira group page), the recent interactions and the sandbox console
// that renders the bot's answers like Discord does.
package bot

import (
	"strconv"
	"time"

	"lumdesk/views/components"
)

// Paths of the console's pages.
const (
	Path        = "/discord"
	SandboxPath = "/discord/sandbox"
	PortalPath  = "/portal/discord"
)

// Modes as the status card names them.
const (
	ModeOff     = "off"
	ModeDiscord = "discord"
	ModeSandbox = "sandbox"
)

// Areas of a link.
const (
	AreaLicensing = "licensing"
	AreaRanking   = "ranking"
)

// AreaLabel is what a link serves, as people read it.
func AreaLabel(area string) string {
	if area == AreaRanking {
		return "Lumira group"
	}
	return "Luarmor project"
}

// ModeLabel names the bot's mode.
func ModeLabel(mode string) string {
	switch mode {
	case ModeDiscord:
		return "Discord"
	case ModeSandbox:
		return "Sandbox"
	}
	return "Off"
}

func modeTone(mode string) string {
	switch mode {
	case ModeDiscord:
		return "green"
	case ModeSandbox:
		return "amber"
	}
	return "grey"
}

// Status is /discord.
type Status struct {
	Mode         string
	AppID        string
	PublicKeySet bool
	Endpoint     string // PUBLIC_URL + /api/discord/interactions
	LastAt       *time.Time
	Total        int64
	Errors       int64
	Refused      int64
	Links        Links
	Log          Log
}

// Log is the recent interactions table.
type Log struct {
	Rows    []InteractionRow
	Outcome string // filter: ok, refused, error, ""
	Cursor  string // before this id
	Next    string // cursor of the next page ("": none)
	Error   string
	Bar     components.ListBar
}

// OutcomeOptions are the log's outcome filter.
var OutcomeOptions = []components.Option{{Value: "", Label: "Every outcome"}, {Value: "ok", Label: "Answered"},
	{Value: "refused", Label: "Refused"}, {Value: "error", Label: "Error"}}

// Query is the log's filters as a URL query (without the cursor).
func (l Log) Query() string { return components.FilterQuery("outcome", l.Outcome) }

// NextHref is the next page's link.
func (l Log) NextHref() string {
	if l.Next == "" {
		return ""
	}
	return Path + components.FilterQuery("outcome", l.Outcome, "before", l.Next) + "#interactions"
}

// FirstHref is the newest page's link, when on another page.
func (l Log) FirstHref() string {
	if l.Cursor == "" {
		return ""
	}
	return Path + components.FilterQuery("outcome", l.Outcome) + "#interactions"
}

// InteractionRow is one logged interaction.
type InteractionRow struct {
	ID          int64
	At          time.Time
	GuildID     string
	AccountID   int64 // 0: none (no link involved)
	AccountName string
	UserID      string
	Username    string
	Name        string
	Outcome     string
	Message     string
	TookMs      int64
	Deferred    bool
}

func outcomeBadge(o string) (string, string) {
	switch o {
	case "ok":
		return "Answered", "green"
	case "refused":
		return "Refused", "amber"
	}
	return "Error", "red"
}

// Links is a table of linked guilds with its actions: every link (the
// status page), or one project's or group's (its Discord section).
type Links struct {
	Base      string // "/discord" or "/portal/discord": where the actions post
	Area      string // the section's area ("" on the status page)
	Ref       string // the project's or group's public id ("" on the status page)
	Portal    bool
	Rows      []LinkRow
	CanManage bool
	AskReason bool // staff give a reason for an unlink
	CSRF      string
	Code      *Code // a code just made, shown once
	Error     string
	Notice    string
}

// SectionID is the section's element id (htmx swaps it whole).
func (l Links) SectionID() string {
	if l.Ref == "" {
		return "discord-links"
	}
	return "discord-links-" + l.Ref
}

// LinkRow is one linked guild.
type LinkRow struct {
	ID            string
	GuildID       string
	GuildName     string
	AccountID     int64
	AccountName   string
	Area          string
	TargetID      string
	TargetName    string
	TargetHref    string
	RobloxGroupID int64
	RankRoleID    string
	LinkedBy      string
	LinkedByName  string
	Created       time.Time
	PanelLastUsed *time.Time
}

// Code is a link code just made.
type Code struct {
	Code    string
	Command string
	Target  string
	Expires time.Time
}

// Sandbox is /discord/sandbox.
type Sandbox struct {
	Mode     string
	CanSend  bool
	CSRF     string
	Users    []components.Option
	User     string
	Guilds   []components.Option
	Guild    string
	Commands []components.Option
	Command  string
	Options  []OptionField
	Log      []Exchange // a plain form's answer (htmx appends instead)
}

// OptionField is one option of the chosen slash command.
type OptionField struct {
	Name        string
	Description string
	Required    bool
	Kind        string // text, number, role
	Value       string
}

// Exchange is one interaction on the sandbox's channel: what the user did
// and what the bot answered.
type Exchange struct {
	N        string // unique on the page
	Who      string // the user's name
	Action   string // "used /luarmor panel", "pressed Redeem key", ...
	At       time.Time
	Error    string // the send failed (not the bot's answer)
	Message  *Message
	Modal    *Modal
	Thinking *Thinking
	Note     string // an answer without a message (acknowledged)
	Replaces string // a submitted modal's element id, closed out of band
}

// Message is a message as Discord shows it.
type Message struct {
	ID        string
	Content   string
	Ephemeral bool
	ForUser   string
	Embeds    []Embed
	Rows      [][]Button
	Edited    bool // a deferred answer, completed later
}

// Embed is a rich embed.
type Embed struct {
	Title       string
	Description string
	Fields      []EmbedField
	Footer      string
}

// EmbedField is one field of an embed.
type EmbedField struct {
	Name, Value string
	Inline      bool
}

// Button is a button of a message; pressing it sends its custom_id.
type Button struct {
	Label    string
	CustomID string
	Style    int
	Disabled bool
	Vals     string // the hx-vals JSON the press sends
}

// Modal is a form the bot asked the user to fill.
type Modal struct {
	ElementID string
	CustomID  string
	Title     string
	User      string
	Guild     string
	Fields    []ModalField
}

// ModalField is a text input of a modal.
type ModalField struct {
	CustomID, Label, Placeholder string
	Required                     bool
	MinLength, MaxLength         int
}

// Thinking is a deferred answer being waited for.
type Thinking struct {
	ElementID string
	PollHref  string // "" once waiting is given up
	Ephemeral bool
	ForUser   string
}

func buttonClass(style int) string {
	base := "inline-flex min-h-[2rem] items-center rounded px-4 py-1 text-sm font-medium text-white disabled:cursor-not-allowed disabled:opacity-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-offset-1 focus-visible:ring-indigo-400 "
	switch style {
	case 1:
		return base + "bg-[#5865f2] hover:bg-[#4752c4]"
	case 3:
		return base + "bg-[#248046] hover:bg-[#1a6334]"
	case 4:
		return base + "bg-[#da373c] hover:bg-[#a12828]"
	}
	return base + "bg-[#6d6f78] hover:bg-[#4e5058]"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func accountHref(id int64) string { return "/accounts/" + itoa(id) }
