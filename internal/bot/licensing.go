package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/db"
)

// The Luarmor panel's custom ids.
const (
	PanelRedeem      = "luarmor:redeem"
	PanelReset       = "luarmor:reset"
	PanelScript      = "luarmor:script"
	PanelInfo        = "luarmor:info"
	PanelRedeemModal = "luarmor:redeem-modal"
	// RedeemKeyField is the redeem modal's text input.
	RedeemKeyField = "key"
)

// maxHolderKeys bounds the keys of one Discord user the panel looks at.
const maxHolderKeys = 25

// Embed colours.
const (
	colorPanel  = 0x5865F2
	colorOK     = 0x57F287
	colorBanned = 0xED4245
)

// addLicensingRoutes adds the Luarmor panel: /luarmor panel and its buttons.
// The rules are licensing's: a redeem is LinkDiscord and a reset ResetHWID,
// both as the key holder (LinkOpts/ResetOpts.ByKeyHolder) with the Discord
// user as the audited actor. Every lookup is within the guild's project, so
// a key of another project reads as no key at all.
func (s *Service) addLicensingRoutes() {
	s.handle("/luarmor panel", AreaLicensing, true, func(ctx context.Context, s *Service, r *Request) (Reply, error) {
		if err := needManageServer(r); err != nil {
			return Reply{}, err
		}
		p, err := s.linkedProject(ctx, r)
		if err != nil {
			return Reply{}, err
		}
		return panelReply(p), nil
	})
	s.handle(PanelRedeem, AreaLicensing, false, func(ctx context.Context, s *Service, r *Request) (Reply, error) {
		s.touchPanel(ctx, r)
		return Reply{Modal: &Modal{CustomID: PanelRedeemModal, Title: "Redeem key", Fields: []discord.Component{
			discord.TextInput(RedeemKeyField, "Your key", "Paste the key you got", 1, licensing.MaxUserKeyLen)}}}, nil
	})
	s.handle(PanelRedeemModal, AreaLicensing, false, luarmorRedeem)
	s.handle(PanelReset, AreaLicensing, false, luarmorReset)
	s.handle(PanelScript, AreaLicensing, false, luarmorScript)
	s.handle(PanelInfo, AreaLicensing, false, luarmorInfo)
}

// panelReply is the public panel message. Reset HWID is offered only when
// the project lets users reset (a panel posted before that changed still
// answers its button with the refusal); post the panel again to follow.
func panelReply(p licensing.Project) Reply {
	then := "get your script or see your key's details"
	buttons := []discord.Component{discord.Button(discord.ButtonSuccess, "Redeem key", PanelRedeem)}
	if p.UsersCanReset {
		then = "get your script, see your key's details or reset your HWID when you change devices"
		buttons = append(buttons, discord.Button(discord.ButtonDanger, "Reset HWID", PanelReset))
	}
	buttons = append(buttons, discord.Button(discord.ButtonPrimary, "Get script", PanelScript),
		discord.Button(discord.ButtonSecondary, "Key info", PanelInfo))
	desc := "Press **Redeem key** and paste your key to link it to your Discord account. Then " + then + " here. Answers are only shown to you."
	return Reply{
		Public: true,
		Embeds: []discord.Embed{{Title: p.Name, Description: desc, Color: colorPanel,
			Footer: &discord.EmbedFooter{Text: "Luarmor key panel"}}},
		Components: []discord.Component{discord.Row(buttons...)},
	}
}

// linkedProject is the project the request's guild serves.
func (s *Service) linkedProject(ctx context.Context, r *Request) (licensing.Project, error) {
	l, err := s.guildLink(ctx, r, AreaLicensing)
	if err != nil {
		return licensing.Project{}, err
	}
	row, err := s.db.GetLicensingProjectByID(ctx, l.ProjectDBID)
	if db.IsNotFound(err) {
		return licensing.Project{}, refuse("The Luarmor project this server was linked to no longer exists.")
	}
	if err != nil {
		return licensing.Project{}, err
	}
	return s.deps.Licensing.GetProject(ctx, row.LicensingProject.PublicID)
}

// touchPanel records that the guild's panel was used (the console shows it).
func (s *Service) touchPanel(ctx context.Context, r *Request) {
	l, err := s.guildLink(ctx, r, AreaLicensing)
	if err != nil {
		return
	}
	now := s.clock()
	if err := s.db.TouchBotLinkPanel(ctx, store.TouchBotLinkPanelParams{ID: l.DBID, PanelLastUsedAt: &now}); err != nil {
		s.log.Error("discord: touch panel", "link", l.ID, "err", err)
	}
}

// keyHolder is the clicking user's key in the guild's project.
type keyHolder struct {
	project licensing.Project
	key     licensing.Key
	count   int  // keys linked to the user in the project
	active  bool // key is neither banned nor expired
}

// which says which key was used when the user has several.
func (h keyHolder) which() string {
	switch {
	case h.count < 2:
		return ""
	case h.active:
		return fmt.Sprintf("You have %d keys in this project; this is your newest active one (%s).", h.count, maskUserKey(h.key.UserKey))
	}
	return fmt.Sprintf("You have %d keys in this project, none active; this is your newest one (%s).", h.count, maskUserKey(h.key.UserKey))
}

// keyHolderOf finds the key linked to the caller in the guild's project: the
// most recently created one that is neither banned nor expired, or the
// newest when none is. A user without one is told to redeem.
func (s *Service) keyHolderOf(ctx context.Context, r *Request) (keyHolder, error) {
	p, err := s.linkedProject(ctx, r)
	if err != nil {
		return keyHolder{}, err
	}
	page, err := s.deps.Licensing.ListKeys(ctx, licensing.KeyFilter{ProjectID: p.ID, DiscordID: r.In.Caller().ID,
		Sort: licensing.SortCreated, Desc: true, Limit: maxHolderKeys})
	if err != nil {
		return keyHolder{}, err
	}
	if len(page.Keys) == 0 {
		return keyHolder{}, noKeyRefusal(p)
	}
	h := keyHolder{project: p, key: page.Keys[0], count: len(page.Keys)}
	for _, k := range page.Keys {
		if !k.Banned && !k.Expired {
			h.key, h.active = k, true
			break
		}
	}
	return h, nil
}

func noKeyRefusal(p licensing.Project) error {
	return refuse("You have no key linked in **%s** yet. Press **Redeem key** first and paste your key.", mdText(p.Name))
}

// bannedKeyRefusal tells a banned key's holder why.
func bannedKeyRefusal(k licensing.Key) error {
	msg := "This key is blacklisted"
	if k.BanReason != "" {
		msg += ": " + k.BanReason
	} else {
		msg += "."
	}
	if k.BanExpire != nil {
		msg += fmt.Sprintf("\nThe ban ends %s.", timeText(*k.BanExpire))
	}
	return refuse("%s", msg)
}

// bannedKey answers ErrKeyBanned with the key's ban reason.
func (s *Service) bannedKey(ctx context.Context, projectID, userKey string) error {
	k, err := s.deps.Licensing.GetKey(ctx, projectID, userKey)
	if err != nil {
		return refuse("This key is blacklisted.")
	}
	return bannedKeyRefusal(k)
}

// luarmorRedeem links the caller's Discord ID to the key typed in the modal.
func luarmorRedeem(ctx context.Context, s *Service, r *Request) (Reply, error) {
	s.touchPanel(ctx, r)
	p, err := s.linkedProject(ctx, r)
	if err != nil {
		return Reply{}, err
	}
	key := cleanPastedKey(r.In.Data.FieldValue(RedeemKeyField))
	if key == "" {
		return Reply{}, refuse("Paste your key in the form.")
	}
	k, err := s.deps.Licensing.LinkDiscord(ctx, r.Actor, p.ID, key, r.In.Caller().ID, licensing.LinkOpts{ByKeyHolder: true})
	switch {
	case errors.Is(err, licensing.ErrKeyNotFound):
		return Reply{}, refuse("There is no such key in this project (**%s**). Check that you copied the whole key.", mdText(p.Name))
	case errors.Is(err, licensing.ErrDiscordLinked):
		return Reply{}, refuse("This key is already linked to another Discord account, so you cannot redeem it. If you bought it, contact the project's support.")
	case errors.Is(err, licensing.ErrKeyBanned):
		return Reply{}, s.bannedKey(ctx, p.ID, key)
	case err != nil:
		return Reply{}, err
	}
	desc := fmt.Sprintf("Your key %s is now linked to your Discord account in **%s**.", maskUserKey(k.UserKey), mdText(p.Name))
	if k.Expired {
		desc += "\nThis key has expired: the script will refuse it."
	}
	return Reply{Embeds: []discord.Embed{{Title: "Key redeemed", Description: desc, Color: colorOK, Fields: []discord.EmbedField{
		{Name: "Expires", Value: expiryText(k)},
		{Name: "Next", Value: "Press **Get script** for your loader."},
	}}}}, nil
}

// cleanPastedKey is the key as pasted, without the quotes or whitespace around it.
func cleanPastedKey(v string) string {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(v, "script_key")
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(v, "=")
	return strings.Trim(v, " \t\r\n\"'`;")
}

// luarmorReset resets the HWID of the caller's key.
func luarmorReset(ctx context.Context, s *Service, r *Request) (Reply, error) {
	s.touchPanel(ctx, r)
	h, err := s.keyHolderOf(ctx, r)
	if err != nil {
		return Reply{}, err
	}
	p, caller := h.project, r.In.Caller()
	k, err := s.deps.Licensing.ResetHWID(ctx, r.Actor, p.ID, h.key.UserKey,
		licensing.ResetOpts{ByKeyHolder: true, HolderDiscordID: caller.ID})
	var cd *licensing.ResetCooldownError
	switch {
	case errors.Is(err, licensing.ErrUsersMayNotReset):
		return Reply{}, refuse("**%s** does not let users reset their HWID themselves. Ask the project's support to reset it.", mdText(p.Name))
	case errors.As(err, &cd):
		return Reply{}, refuse("%s", nonEmptyLines(h.which(),
			fmt.Sprintf("Your HWID was reset recently. You can reset it again %s.", timeText(cd.Ends))))
	case errors.Is(err, licensing.ErrKeyBanned):
		return Reply{}, s.bannedKey(ctx, p.ID, h.key.UserKey)
	case errors.Is(err, licensing.ErrNoHWID):
		return Reply{}, refuse("%s", nonEmptyLines(h.which(),
			"Your key has no HWID linked yet, so there is nothing to reset. It links to the device that runs the script next."))
	case errors.Is(err, licensing.ErrKeyNotFound):
		return Reply{}, noKeyRefusal(p)
	case err != nil:
		return Reply{}, err
	}
	next := "Now"
	if ends := licensing.ResetCooldownEnds(p, k); !ends.IsZero() {
		next = timeText(ends)
	}
	desc := nonEmptyLines(h.which(), fmt.Sprintf("The HWID of your key %s was reset. The next device that runs the script becomes its HWID.",
		maskUserKey(k.UserKey)))
	return Reply{Embeds: []discord.Embed{{Title: "HWID reset", Description: desc, Color: colorOK,
		Fields: []discord.EmbedField{{Name: "Next reset possible", Value: next}}}}}, nil
}

// luarmorScript answers with the loader of every script of the project, the
// caller's key on top.
func luarmorScript(ctx context.Context, s *Service, r *Request) (Reply, error) {
	s.touchPanel(ctx, r)
	h, err := s.keyHolderOf(ctx, r)
	if err != nil {
		return Reply{}, err
	}
	p, k := h.project, h.key
	if k.Banned {
		return Reply{}, bannedKeyRefusal(k)
	}
	scripts, err := s.deps.Licensing.ListScripts(ctx, p.ID)
	if err != nil {
		return Reply{}, err
	}
	if len(scripts) == 0 {
		return Reply{Content: fmt.Sprintf("**%s** has no script yet. Ask the project's support.", mdText(p.Name))}, nil
	}
	head := nonEmptyLines(h.which(), fmt.Sprintf("Your loader for **%s**. Keep it to yourself: it carries your key.", mdText(p.Name)))
	if k.Expired {
		head += "\nYour key has expired: the script will refuse it."
	}
	loaders := make([]scriptLoader, 0, len(scripts))
	for _, sc := range scripts {
		l := scriptLoader{name: sc.Name}
		if sc.Version > 0 {
			v, err := s.deps.Licensing.ScriptVersion(ctx, p.ID, sc.ID, 0)
			if err != nil {
				return Reply{}, err
			}
			l.source = v.Source
		}
		loaders = append(loaders, l)
	}
	return Reply{Content: scriptMessage(head, k.UserKey, loaders, discord.MaxContent)}, nil
}

// scriptLoader is a script's name and current source ("" before the first upload).
type scriptLoader struct{ name, source string }

// cutNote ends a source cut to fit in a message.
const cutNote = "\n-- … (cut to fit in Discord; the full script is in the project's dashboard)"

// scriptMessage lays the loaders out as code blocks, each with
// `script_key = "KEY";` on its first line, within max characters: the
// sources share the room left (short ones whole, long ones cut at a line
// with a note), and scripts that no longer fit are counted at the end.
func scriptMessage(head, key string, loaders []scriptLoader, max int) string {
	keyLine := fmt.Sprintf("script_key = %q;", key)
	for n := len(loaders); n >= 0; n-- {
		if msg, ok := layoutScripts(head, keyLine, loaders[:n], len(loaders)-n, max); ok {
			return msg
		}
	}
	return truncate(head, max)
}

func layoutScripts(head, keyLine string, ls []scriptLoader, more, max int) (string, bool) {
	const post = "\n```"
	blockHead := func(l scriptLoader) string { return fmt.Sprintf("\n**%s**\n```lua\n%s\n", l.name, keyLine) }
	tail := ""
	if more > 0 {
		tail = fmt.Sprintf("\n…and %d more: see the project's dashboard.", more)
	}
	fixed := runes(head) + runes(tail)
	srcs := make([]string, len(ls))
	var withSource []int
	for i, l := range ls {
		if l.source == "" {
			fixed += runes(noLoaderLine(l))
			continue
		}
		srcs[i] = fenceSource(strings.TrimRight(l.source, "\n"))
		fixed += runes(blockHead(l)) + runes(post)
		withSource = append(withSource, i)
	}
	budget := max - fixed
	if budget < 0 || budget < (runes(cutNote)+40)*len(withSource) {
		return "", false
	}
	// Shortest first, each takes what it needs up to an equal share of
	// what is left.
	slices.SortStableFunc(withSource, func(a, b int) int { return runes(srcs[a]) - runes(srcs[b]) })
	for k, i := range withSource {
		share := budget / (len(withSource) - k)
		if runes(srcs[i]) > share {
			srcs[i] = cutSource(srcs[i], share-runes(cutNote)) + cutNote
		}
		budget -= runes(srcs[i])
	}
	var b strings.Builder
	b.WriteString(head)
	for i, l := range ls {
		if l.source == "" {
			b.WriteString(noLoaderLine(l))
			continue
		}
		b.WriteString(blockHead(l) + srcs[i] + post)
	}
	b.WriteString(tail)
	return b.String(), true
}

func noLoaderLine(l scriptLoader) string {
	return fmt.Sprintf("\n**%s**: no loader uploaded yet.", l.name)
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// fenceSource keeps a source from closing its code block.
func fenceSource(src string) string { return strings.ReplaceAll(src, "```", "``\u200b`") }

// cutSource is src cut to at most n characters, at a line end when one is
// in the second half.
func cutSource(src string, n int) string {
	r := []rune(src)
	if n <= 0 {
		return ""
	}
	if len(r) <= n {
		return src
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, '\n'); i > len(cut)/2 {
		cut = cut[:i]
	}
	return cut
}

// luarmorInfo shows the caller's keys in the project.
func luarmorInfo(ctx context.Context, s *Service, r *Request) (Reply, error) {
	s.touchPanel(ctx, r)
	h, err := s.keyHolderOf(ctx, r)
	if err != nil {
		return Reply{}, err
	}
	p, k, now := h.project, h.key, s.clock()
	status, color := "Active", colorOK
	switch {
	case k.Banned:
		status, color = "Banned", colorBanned
		if k.BanReason != "" {
			status += ": " + k.BanReason
		}
		if k.BanExpire != nil {
			status += " (until " + timeText(*k.BanExpire) + ")"
		}
	case k.Expired:
		status, color = "Expired", colorBanned
	case k.ActivatedAt == nil:
		status = "Not yet activated"
	}
	hwid := "No: it links to the device that runs the script next"
	if k.Identifier != "" {
		hwid = "Yes (" + maskHWID(k.Identifier) + ")"
	}
	lastReset := "Never"
	if k.LastResetAt != nil {
		lastReset = timeText(*k.LastResetAt)
	}
	next := "Now"
	switch ends := licensing.ResetCooldownEnds(p, k); {
	case !p.UsersCanReset:
		next = "Resets are done by the project's support"
	case ends.After(now):
		next = timeText(ends)
	}
	e := discord.Embed{Title: "Your key in " + p.Name, Description: h.which(), Color: color, Fields: []discord.EmbedField{
		{Name: "Key", Value: maskUserKey(k.UserKey), Inline: true},
		{Name: "Status", Value: status, Inline: true},
		{Name: "Expires", Value: expiryText(k)},
		{Name: "HWID linked", Value: hwid, Inline: true},
		{Name: "Total executions", Value: strconv.FormatInt(k.TotalExecutions, 10), Inline: true},
		{Name: "Last reset", Value: lastReset, Inline: true},
		{Name: "Next reset possible", Value: next, Inline: true},
	}}
	return Reply{Embeds: []discord.Embed{e}}, nil
}

// expiryText is a key's expiry as the holder reads it.
func expiryText(k licensing.Key) string {
	switch {
	case k.AuthExpire != nil:
		return timeText(*k.AuthExpire)
	case k.KeyDays != nil && k.ActivatedAt == nil:
		return fmt.Sprintf("%d days after the first use", *k.KeyDays)
	}
	return "Never (lifetime key)"
}

// timeText is a time as Discord shows it in the reader's zone
// (<t:UNIX:R>, "in 2 hours"), followed by UTC text.
func timeText(t time.Time) string {
	return fmt.Sprintf("<t:%d:R> (%s)", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// maskUserKey shows the end of a key only ("…Ab12"): enough to tell keys apart.
func maskUserKey(k string) string {
	r := []rune(k)
	if len(r) < 12 {
		return "`…`"
	}
	return "`…" + string(r[len(r)-4:]) + "`"
}

// maskHWID shows the start of a HWID only.
func maskHWID(h string) string {
	r := []rune(h)
	if len(r) < 8 {
		return "hidden"
	}
	return "`" + string(r[:4]) + "…`"
}

func nonEmptyLines(lines ...string) string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
