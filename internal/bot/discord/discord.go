// Package discord is the wire format of a Discord application that answers
// over the HTTP interactions endpoint (no gateway connection): the
// interaction Discord posts, the response it expects, request signatures
// (Ed25519 over timestamp + body), application commands, and the REST calls
// the bot makes (bulk-overwrite the commands, edit a deferred answer).
// Field names are Discord's (docs: Receiving and Responding, Message
// Components, Application Commands).
package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// InteractionType is what the user did.
type InteractionType int

// Interaction types.
const (
	Ping               InteractionType = 1
	ApplicationCommand InteractionType = 2
	MessageComponent   InteractionType = 3
	Autocomplete       InteractionType = 4
	ModalSubmit        InteractionType = 5
)

// ResponseType is how the bot answers.
type ResponseType int

// Response types.
const (
	Pong                             ResponseType = 1
	ChannelMessageWithSource         ResponseType = 4
	DeferredChannelMessageWithSource ResponseType = 5
	DeferredUpdateMessage            ResponseType = 6
	UpdateMessage                    ResponseType = 7
	ModalResponse                    ResponseType = 9
)

// FlagEphemeral makes a message visible only to the user who interacted.
const FlagEphemeral = 1 << 6

// Permission bits (member.permissions is their sum as a decimal string).
const (
	PermAdministrator int64 = 1 << 3
	PermManageGuild   int64 = 1 << 5 // "Manage Server"
)

// Component types and button and text input styles.
const (
	ComponentActionRow = 1
	ComponentButton    = 2
	ComponentTextInput = 4

	ButtonPrimary   = 1
	ButtonSecondary = 2
	ButtonSuccess   = 3
	ButtonDanger    = 4

	TextInputShort = 1
)

// Option types of application commands.
const (
	OptionSubCommand = 1
	OptionString     = 3
	OptionInteger    = 4
	OptionRole       = 8
)

// Limits Discord enforces on what the bot sends.
const (
	MaxContent = 2000
	// Deadline is how long Discord waits for the answer to an interaction.
	Deadline = 3 * time.Second
	// TokenLife is how long an interaction token may edit its answer.
	TokenLife = 15 * time.Minute
)

// Interaction is what Discord posts to the interactions endpoint.
type Interaction struct {
	ID            string          `json:"id"`
	ApplicationID string          `json:"application_id"`
	Type          InteractionType `json:"type"`
	Data          *Data           `json:"data,omitempty"`
	GuildID       string          `json:"guild_id,omitempty"`
	ChannelID     string          `json:"channel_id,omitempty"`
	Member        *Member         `json:"member,omitempty"` // in a guild
	User          *User           `json:"user,omitempty"`   // in a DM
	Token         string          `json:"token"`
	Version       int             `json:"version"`
	Message       json.RawMessage `json:"message,omitempty"` // the message a component is on
	Locale        string          `json:"locale,omitempty"`
}

// Data is the interaction's data: a command's name and options, a
// component's custom_id, or a modal's custom_id and fields.
type Data struct {
	ID            string      `json:"id,omitempty"`
	Name          string      `json:"name,omitempty"`
	Type          int         `json:"type,omitempty"`
	Options       []Option    `json:"options,omitempty"`
	CustomID      string      `json:"custom_id,omitempty"`
	ComponentType int         `json:"component_type,omitempty"`
	Components    []Component `json:"components,omitempty"`
}

// Option is a command option as the user filled it (or a subcommand with its own).
type Option struct {
	Name    string          `json:"name"`
	Type    int             `json:"type"`
	Value   json.RawMessage `json:"value,omitempty"`
	Options []Option        `json:"options,omitempty"`
	Focused bool            `json:"focused,omitempty"`
}

// Member is the guild member who interacted.
type Member struct {
	User        *User    `json:"user,omitempty"`
	Nick        string   `json:"nick,omitempty"`
	Roles       []string `json:"roles"`
	Permissions string   `json:"permissions,omitempty"`
}

// User is a Discord user.
type User struct {
	ID         string `json:"id"`
	Username   string `json:"username"`
	GlobalName string `json:"global_name,omitempty"`
}

// Caller is who interacted, in a guild or a DM.
func (in Interaction) Caller() User {
	if in.Member != nil && in.Member.User != nil {
		return *in.Member.User
	}
	if in.User != nil {
		return *in.User
	}
	return User{}
}

// Permissions is the caller's permission bits in the guild (0 in a DM or
// when Discord sent none).
func (in Interaction) Permissions() int64 {
	if in.Member == nil {
		return 0
	}
	n, err := strconv.ParseInt(in.Member.Permissions, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// CanManageGuild says whether the caller has Manage Server (administrators have every permission).
func (in Interaction) CanManageGuild() bool {
	p := in.Permissions()
	return p&PermAdministrator != 0 || p&PermManageGuild != 0
}

// HasRole says whether the caller holds the guild role.
func (in Interaction) HasRole(roleID string) bool {
	if in.Member == nil || roleID == "" {
		return false
	}
	for _, r := range in.Member.Roles {
		if r == roleID {
			return true
		}
	}
	return false
}

// CommandPath is the command and its subcommands joined by spaces
// ("luarmor setup"), and the leaf's options.
func (d *Data) CommandPath() (string, []Option) {
	if d == nil {
		return "", nil
	}
	path, opts := d.Name, d.Options
	for len(opts) == 1 && opts[0].Type == OptionSubCommand {
		path += " " + opts[0].Name
		opts = opts[0].Options
	}
	return path, opts
}

// StringOption is a string (or integer, as text) option's value; "" when absent.
func StringOption(opts []Option, name string) string {
	for _, o := range opts {
		if o.Name != name || len(o.Value) == 0 {
			continue
		}
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
		var n json.Number
		if json.Unmarshal(o.Value, &n) == nil {
			return n.String()
		}
	}
	return ""
}

// FieldValue is the value of a modal's text input by custom_id.
func (d *Data) FieldValue(customID string) string {
	if d == nil {
		return ""
	}
	for _, row := range d.Components {
		for _, c := range row.Components {
			if c.CustomID == customID {
				return c.Value
			}
		}
	}
	return ""
}

// Response is the answer to an interaction.
type Response struct {
	Type ResponseType  `json:"type"`
	Data *ResponseData `json:"data,omitempty"`
}

// ResponseData is a message, or a modal (CustomID, Title, Components).
type ResponseData struct {
	Content         string           `json:"content,omitempty"`
	Flags           int              `json:"flags,omitempty"`
	Embeds          []Embed          `json:"embeds,omitempty"`
	Components      []Component      `json:"components,omitempty"`
	AllowedMentions *AllowedMentions `json:"allowed_mentions,omitempty"`
	CustomID        string           `json:"custom_id,omitempty"`
	Title           string           `json:"title,omitempty"`
}

// AllowedMentions says whom a message may ping; the bot pings nobody.
type AllowedMentions struct {
	Parse []string `json:"parse"`
}

// NoMentions pings nobody, whatever the text says.
var NoMentions = &AllowedMentions{Parse: []string{}}

// Embed is a rich embed.
type Embed struct {
	Title       string       `json:"title,omitempty"`
	Description string       `json:"description,omitempty"`
	Color       int          `json:"color,omitempty"`
	Fields      []EmbedField `json:"fields,omitempty"`
	Footer      *EmbedFooter `json:"footer,omitempty"`
}

// EmbedField is a name/value pair of an embed.
type EmbedField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

// EmbedFooter is an embed's footer line.
type EmbedFooter struct {
	Text string `json:"text"`
}

// Component is an action row, a button or a text input.
type Component struct {
	Type        int         `json:"type"`
	Style       int         `json:"style,omitempty"`
	Label       string      `json:"label,omitempty"`
	CustomID    string      `json:"custom_id,omitempty"`
	Components  []Component `json:"components,omitempty"`
	Value       string      `json:"value,omitempty"`
	Placeholder string      `json:"placeholder,omitempty"`
	MinLength   int         `json:"min_length,omitempty"`
	MaxLength   int         `json:"max_length,omitempty"`
	Required    bool        `json:"required,omitempty"`
	Disabled    bool        `json:"disabled,omitempty"`
}

// Row is an action row of components.
func Row(cs ...Component) Component { return Component{Type: ComponentActionRow, Components: cs} }

// Button is a button that sends customID back.
func Button(style int, label, customID string) Component {
	return Component{Type: ComponentButton, Style: style, Label: label, CustomID: customID}
}

// TextInput is a short required text field of a modal.
func TextInput(customID, label, placeholder string, minLen, maxLen int) Component {
	return Component{Type: ComponentTextInput, Style: TextInputShort, CustomID: customID, Label: label,
		Placeholder: placeholder, MinLength: minLen, MaxLength: maxLen, Required: true}
}

// Command is an application command as registered.
type Command struct {
	ID                       string          `json:"id,omitempty"`
	Name                     string          `json:"name"`
	Description              string          `json:"description"`
	Type                     int             `json:"type,omitempty"`
	Options                  []CommandOption `json:"options,omitempty"`
	DefaultMemberPermissions *string         `json:"default_member_permissions,omitempty"`
	// Contexts 0 = guild only: every command acts for the guild's link.
	Contexts []int `json:"contexts,omitempty"`
}

// CommandOption declares an option or a subcommand.
type CommandOption struct {
	Type        int             `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Required    bool            `json:"required,omitempty"`
	Options     []CommandOption `json:"options,omitempty"`
	MinValue    *int            `json:"min_value,omitempty"`
	MaxValue    *int            `json:"max_value,omitempty"`
	MaxLength   int             `json:"max_length,omitempty"`
}

// Verify checks the Ed25519 signature Discord puts on every request:
// X-Signature-Ed25519 (hex) over X-Signature-Timestamp followed by the raw
// body. A missing or malformed header is a failed check.
func Verify(pub ed25519.PublicKey, signatureHex, timestamp string, body []byte) bool {
	if len(pub) != ed25519.PublicKeySize || timestamp == "" {
		return false
	}
	sig, err := hex.DecodeString(strings.TrimSpace(signatureHex))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	msg := make([]byte, 0, len(timestamp)+len(body))
	msg = append(append(msg, timestamp...), body...)
	return ed25519.Verify(pub, msg, sig)
}

// Sign makes the headers Discord would send for body (the sandbox console
// and tests sign their interactions the same way).
func Sign(priv ed25519.PrivateKey, now time.Time, body []byte) (signatureHex, timestamp string) {
	timestamp = strconv.FormatInt(now.Unix(), 10)
	msg := append([]byte(timestamp), body...)
	return hex.EncodeToString(ed25519.Sign(priv, msg)), timestamp
}

// ParsePublicKey reads the application's public key as the developer
// portal shows it (64 hex characters).
func ParsePublicKey(s string) (ed25519.PublicKey, bool) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, false
	}
	return ed25519.PublicKey(b), true
}

// ValidSnowflake says whether s is a Discord ID: a decimal uint64, as
// Discord writes them in JSON strings.
func ValidSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}
