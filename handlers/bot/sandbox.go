package bot

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/bot"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	view "lumdesk/views/pages/bot"
)

// sandboxChannel is the demo guild's channel every interaction is in.
const sandboxChannel = "900000000000000002"

// pollTries bounds how long the console waits for a deferred answer
// (one poll a second; Discord's token would last 15 minutes).
const pollTries = 30

// command is a slash command path with its leaf options.
type command struct {
	path string // "luarmor setup"
	desc string
	opts []discord.CommandOption
}

// commands flattens bot.Commands() into paths.
func commands() []command {
	var out []command
	for _, c := range bot.Commands() {
		subs := false
		for _, o := range c.Options {
			if o.Type == discord.OptionSubCommand {
				subs = true
				out = append(out, command{path: c.Name + " " + o.Name, desc: o.Description, opts: o.Options})
			}
		}
		if !subs {
			out = append(out, command{path: c.Name, desc: c.Description, opts: c.Options})
		}
	}
	return out
}

func findCommand(path string) (command, bool) {
	for _, c := range commands() {
		if c.path == path {
			return c, true
		}
	}
	return command{}, false
}

func optionFields(c command, values func(name string) string) []view.OptionField {
	out := make([]view.OptionField, 0, len(c.opts))
	for _, o := range c.opts {
		f := view.OptionField{Name: o.Name, Description: o.Description, Required: o.Required, Kind: "text"}
		switch o.Type {
		case discord.OptionInteger:
			f.Kind = "number"
		case discord.OptionRole:
			f.Kind, f.Description = "role", o.Description+" (a role ID)"
		}
		if values != nil {
			f.Value = values(o.Name)
		}
		out = append(out, f)
	}
	return out
}

// guilds are the servers the sandbox may act in: the demo guild, every
// linked guild, and one not linked yet (to try a setup).
func (b *Bot) guilds(c *fiber.Ctx) ([]components.Option, error) {
	out := []components.Option{{Value: bot.DemoGuildID, Label: bot.DemoGuildName}}
	seen := map[string]bool{bot.DemoGuildID: true}
	links, err := b.svc.ListLinks(c.UserContext(), bot.LinkFilter{Scope: accounts.AllAccounts, Limit: 200})
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if !seen[l.GuildID] {
			seen[l.GuildID] = true
			out = append(out, components.Option{Value: l.GuildID, Label: l.TargetName + "'s server " + l.GuildID})
		}
	}
	const fresh = "900000000000000099"
	if !seen[fresh] {
		out = append(out, components.Option{Value: fresh, Label: "A server not linked yet"})
	}
	return out, nil
}

func userOptions() []components.Option {
	var out []components.Option
	for _, u := range bot.SandboxUsers() {
		out = append(out, components.Option{Value: u.Key, Label: u.Username + " · " + u.About})
	}
	return out
}

// sandbox is GET /discord/sandbox.
func (b *Bot) sandbox(c *fiber.Ctx) error {
	v := view.Sandbox{Mode: b.svc.Mode(), CanSend: web.Can(c, staff.PermBotManage), CSRF: web.CSRFToken(c)}
	if v.Mode == bot.ModeSandbox {
		if err := b.fillSandbox(c, &v); err != nil {
			return err
		}
	}
	return web.Render(c, fiber.StatusOK, view.SandboxPage(b.page(c, "Sandbox console"), v))
}

func (b *Bot) fillSandbox(c *fiber.Ctx, v *view.Sandbox) error {
	var err error
	if v.Guilds, err = b.guilds(c); err != nil {
		return err
	}
	v.Users = userOptions()
	v.User, v.Guild, v.Command = web.Field(c, "user"), web.Field(c, "guild"), web.Field(c, "command")
	if _, ok := bot.SandboxUserByKey(v.User); !ok {
		v.User = "manager"
	}
	if !discord.ValidSnowflake(v.Guild) {
		v.Guild = bot.DemoGuildID
	}
	for _, cmd := range commands() {
		v.Commands = append(v.Commands, components.Option{Value: cmd.path, Label: "/" + cmd.path})
	}
	cmd, ok := findCommand(v.Command)
	if !ok {
		cmd, _ = findCommand("luarmor panel")
		v.Command = cmd.path
	}
	v.Options = optionFields(cmd, func(name string) string { return web.Truncate(web.Field(c, "opt_"+name), 200) })
	return nil
}

// options is GET /discord/sandbox/options: the chosen command's fields.
func (b *Bot) options(c *fiber.Ctx) error {
	if !web.IsHTMX(c) { // without script: the console with that command chosen
		return c.Redirect(view.SandboxPath+"?"+url.Values{"command": {web.Truncate(web.Field(c, "command"), 64)}}.Encode(), fiber.StatusSeeOther)
	}
	cmd, ok := findCommand(web.Field(c, "command"))
	if !ok {
		return web.Render(c, fiber.StatusOK, view.OptionFields(nil))
	}
	return web.Render(c, fiber.StatusOK, view.OptionFields(optionFields(cmd, nil)))
}

// who reads the acting member and guild of a send.
func who(c *fiber.Ctx) (bot.SandboxUser, string, error) {
	u, ok := bot.SandboxUserByKey(web.Field(c, "user"))
	if !ok {
		return u, "", fiber.NewError(fiber.StatusUnprocessableEntity, "Choose whom to act as.")
	}
	g := web.Field(c, "guild")
	if !discord.ValidSnowflake(g) {
		return u, "", fiber.NewError(fiber.StatusUnprocessableEntity, "Choose a server (a Discord guild ID).")
	}
	return u, g, nil
}

// snowflake is a Discord-like id for the sandbox's interactions and messages.
func snowflake() string { return strconv.FormatInt(time.Now().UnixNano(), 10) }

// interaction is the envelope Discord would send for the member in the guild.
func interaction(u bot.SandboxUser, guild string, typ discord.InteractionType, data *discord.Data) discord.Interaction {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return discord.Interaction{ID: snowflake(), Type: typ, Data: data, GuildID: guild, ChannelID: sandboxChannel,
		Member: &discord.Member{User: &discord.User{ID: u.ID, Username: u.Username}, Roles: roles, Permissions: u.Permissions},
		Token:  "sbx_" + ids.Token(32), Version: 1, Locale: "en-US"}
}

// command is POST /discord/sandbox/command: a slash command as the member.
func (b *Bot) command(c *fiber.Ctx) error {
	u, guild, err := who(c)
	if err != nil {
		return err
	}
	cmd, ok := findCommand(web.Field(c, "command"))
	if !ok {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Choose one of the bot's commands.")
	}
	var opts []discord.Option
	var shown []string
	for _, o := range cmd.opts {
		val := web.Truncate(web.Field(c, "opt_"+o.Name), 200)
		if val == "" {
			continue
		}
		opt := discord.Option{Name: o.Name, Type: o.Type}
		if n, err := strconv.ParseInt(val, 10, 64); err == nil && o.Type == discord.OptionInteger {
			opt.Value, _ = json.Marshal(n)
		} else {
			opt.Value, _ = json.Marshal(val)
		}
		opts = append(opts, opt)
		shown = append(shown, o.Name+":"+val)
	}
	top, sub, hasSub := strings.Cut(cmd.path, " ")
	data := &discord.Data{ID: snowflake(), Name: top, Type: 1, Options: opts}
	if hasSub {
		data.Options = []discord.Option{{Name: sub, Type: discord.OptionSubCommand, Options: opts}}
	}
	action := "used /" + cmd.path
	if len(shown) > 0 {
		action += " " + strings.Join(shown, " ")
	}
	return b.send(c, u, guild, interaction(u, guild, discord.ApplicationCommand, data), action, "")
}

// component is POST /discord/sandbox/component: a button press.
func (b *Bot) component(c *fiber.Ctx) error {
	u, guild, err := who(c)
	if err != nil {
		return err
	}
	id := web.Truncate(web.Field(c, "custom_id"), 100)
	if id == "" {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Which button?")
	}
	in := interaction(u, guild, discord.MessageComponent, &discord.Data{CustomID: id, ComponentType: discord.ComponentButton})
	msg, _ := json.Marshal(map[string]string{"id": web.Truncate(web.Field(c, "message_id"), 40), "channel_id": sandboxChannel})
	in.Message = msg
	label := web.Truncate(web.Field(c, "label"), 80)
	if label == "" {
		label = id
	}
	return b.send(c, u, guild, in, "pressed "+label, "")
}

// modal is POST /discord/sandbox/modal: a modal's fields submitted.
func (b *Bot) modal(c *fiber.Ctx) error {
	u, guild, err := who(c)
	if err != nil {
		return err
	}
	id := web.Truncate(web.Field(c, "modal"), 100)
	if id == "" {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Which form?")
	}
	var rows []discord.Component
	args := c.Request().PostArgs()
	args.VisitAll(func(k, v []byte) {
		if name, ok := strings.CutPrefix(string(k), "field_"); ok && len(rows) < 5 {
			rows = append(rows, discord.Row(discord.Component{Type: discord.ComponentTextInput, CustomID: name, Value: web.Truncate(strings.TrimSpace(string(v)), 4000)}))
		}
	})
	in := interaction(u, guild, discord.ModalSubmit, &discord.Data{CustomID: id, Components: rows})
	el := web.Field(c, "element")
	if !strings.HasPrefix(el, "modal-") || len(el) > 40 {
		el = ""
	}
	return b.send(c, u, guild, in, "submitted the form", el)
}

// send signs and sends the interaction through the bot and renders the
// exchange: appended to the channel (htmx), or the console with it.
func (b *Bot) send(c *fiber.Ctx, u bot.SandboxUser, guild string, in discord.Interaction, action, closes string) error {
	e := view.Exchange{N: ids.Token(10), Who: u.Username, Action: action, At: time.Now(), Replaces: closes}
	resp, err := b.svc.SandboxSend(c.UserContext(), in)
	if err != nil {
		e.Error = "The sandbox could not send it: " + err.Error()
	} else {
		answer(&e, resp, in, u, guild)
	}
	if web.IsHTMX(c) {
		return web.Render(c, fiber.StatusOK, view.ExchangeView(e))
	}
	v := view.Sandbox{Mode: b.svc.Mode(), CanSend: true, CSRF: web.CSRFToken(c), Log: []view.Exchange{e}}
	if err := b.fillSandbox(c, &v); err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, view.SandboxPage(b.page(c, "Sandbox console"), v))
}

// answer turns the bot's response into what the channel shows.
func answer(e *view.Exchange, resp discord.Response, in discord.Interaction, u bot.SandboxUser, guild string) {
	switch resp.Type {
	case discord.ChannelMessageWithSource, discord.UpdateMessage:
		if resp.Data != nil {
			m := message(*resp.Data, u.Username)
			e.Message = &m
		}
	case discord.DeferredChannelMessageWithSource:
		t := view.Thinking{ElementID: "think-" + e.N, Ephemeral: resp.Data != nil && resp.Data.Flags&discord.FlagEphemeral != 0, ForUser: u.Username}
		t.PollHref = pollHref(in.Token, u.Key, 1)
		e.Thinking = &t
	case discord.ModalResponse:
		if resp.Data == nil {
			return
		}
		m := view.Modal{ElementID: "modal-" + e.N, CustomID: resp.Data.CustomID, Title: resp.Data.Title, User: u.Key, Guild: guild}
		for _, row := range resp.Data.Components {
			for _, f := range row.Components {
				if f.Type == discord.ComponentTextInput {
					m.Fields = append(m.Fields, view.ModalField{CustomID: f.CustomID, Label: f.Label, Placeholder: f.Placeholder, Required: f.Required,
						MinLength: f.MinLength, MaxLength: f.MaxLength})
				}
			}
		}
		e.Modal = &m
	case discord.DeferredUpdateMessage:
		e.Note = "The bot acknowledged the press without a new message."
	default:
		e.Note = fmt.Sprintf("The bot answered with response type %d.", resp.Type)
	}
}

func pollHref(token, user string, try int) string {
	return view.SandboxPath + "/followup?" + url.Values{"token": {token}, "user": {user}, "try": {strconv.Itoa(try)}}.Encode()
}

// message is a message as the channel shows it.
func message(d discord.ResponseData, forUser string) view.Message {
	m := view.Message{ID: snowflake(), Content: d.Content, Ephemeral: d.Flags&discord.FlagEphemeral != 0, ForUser: forUser}
	for _, em := range d.Embeds {
		ev := view.Embed{Title: em.Title, Description: em.Description}
		for _, f := range em.Fields {
			ev.Fields = append(ev.Fields, view.EmbedField{Name: f.Name, Value: f.Value, Inline: f.Inline})
		}
		if em.Footer != nil {
			ev.Footer = em.Footer.Text
		}
		m.Embeds = append(m.Embeds, ev)
	}
	for _, row := range d.Components {
		var buttons []view.Button
		for _, b := range row.Components {
			if b.Type != discord.ComponentButton {
				continue
			}
			vals, _ := json.Marshal(map[string]string{"custom_id": b.CustomID, "message_id": m.ID, "label": b.Label})
			buttons = append(buttons, view.Button{Label: b.Label, CustomID: b.CustomID, Style: b.Style, Disabled: b.Disabled, Vals: string(vals)})
		}
		if len(buttons) > 0 {
			m.Rows = append(m.Rows, buttons)
		}
	}
	return m
}

// followUp is GET /discord/sandbox/followup: a deferred answer, once the
// sandbox Discord has it; else the poller again, for at most pollTries.
func (b *Bot) followUp(c *fiber.Ctx) error {
	token := web.Truncate(web.Field(c, "token"), 100)
	u, ok := bot.SandboxUserByKey(web.Field(c, "user"))
	try, _ := strconv.Atoi(web.Field(c, "try"))
	if token == "" || !ok || try < 1 {
		if !web.IsHTMX(c) { // a bare link: the console
			return c.Redirect(view.SandboxPath, fiber.StatusSeeOther)
		}
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Not a sandbox interaction.")
	}
	n := "f" + ids.Token(10)
	msgs, err := b.svc.SandboxFollowUps(c.UserContext(), token)
	if err != nil {
		return err
	}
	if len(msgs) > 0 {
		m := message(msgs[len(msgs)-1], u.Username)
		m.Edited = true
		return web.Render(c, fiber.StatusOK, view.MessageView(m))
	}
	t := view.Thinking{ElementID: "think-" + n, ForUser: u.Username}
	if try < pollTries {
		t.PollHref = pollHref(token, u.Key, try+1)
	}
	return web.Render(c, fiber.StatusOK, view.ThinkingView(t))
}
