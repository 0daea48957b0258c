package bot

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/bot"
	"lumdesk/views/components"
	view "lumdesk/views/pages/bot"
)

const logPage = 50

// status is /discord.
func (b *Bot) status(c *fiber.Ctx) error {
	ctx := c.UserContext()
	set := b.svc.Settings()
	v := view.Status{Mode: b.svc.Mode(), AppID: set.AppID, PublicKeySet: len(set.PublicKey) > 0,
		Endpoint: strings.TrimSuffix(set.PublicURL, "/") + "/api/discord/interactions"}
	if v.Mode == bot.ModeOff {
		v.AppID = ""
	}
	st, err := b.svc.Stats(ctx, accounts.AllAccounts, time.Now().Add(-24*time.Hour))
	if err != nil {
		return err
	}
	v.LastAt, v.Total, v.Errors, v.Refused = st.LastAt, st.Total, st.Errors, st.Refused
	if v.Links, err = b.links.build(c, "", ""); err != nil {
		return err
	}
	var problems []string
	l := &v.Log
	switch o := web.Field(c, "outcome"); o {
	case "", bot.OutcomeOK, bot.OutcomeRefused, bot.OutcomeError:
		l.Outcome = o
	default:
		problems = append(problems, "Unknown outcome filter; showing every outcome.")
	}
	f := bot.InteractionFilter{Scope: accounts.AllAccounts, Outcome: l.Outcome, Limit: logPage + 1}
	if cur := web.Field(c, "before"); cur != "" {
		if n, err := strconv.ParseInt(cur, 10, 64); err == nil && n > 0 {
			f.BeforeID, l.Cursor = n, cur
		} else {
			problems = append(problems, "That page link is not valid; showing the newest interactions.")
		}
	}
	rows, err := b.svc.Interactions(ctx, f)
	if err != nil {
		return err
	}
	if len(rows) > logPage {
		rows = rows[:logPage]
		l.Next = strconv.FormatInt(rows[logPage-1].ID, 10)
	}
	names := map[int64]string{}
	for _, k := range v.Links.Rows {
		names[k.AccountID] = k.AccountName
	}
	for _, r := range rows {
		row := view.InteractionRow{ID: r.ID, At: r.At, GuildID: r.GuildID, UserID: r.UserID, Username: r.Username, Name: r.Name,
			Outcome: r.Outcome, Message: r.Message, TookMs: r.Took.Milliseconds(), Deferred: r.Deferred}
		if r.AccountID != nil {
			row.AccountID, row.AccountName = *r.AccountID, names[*r.AccountID]
		}
		l.Rows = append(l.Rows, row)
	}
	l.Error = strings.Join(problems, " ")
	l.Bar = b.app.ListBar(c, view.Path, l.Query(), components.OptionFilter("outcome", "Outcome", l.Outcome, view.OutcomeOptions))
	return web.Render(c, fiber.StatusOK, view.StatusPage(b.page(c, "Discord bot"), v))
}
