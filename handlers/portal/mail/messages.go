package mail

import (
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/lumora"
	"lumdesk/handlers/web"
	mailsvc "lumdesk/internal/mail"
	mv "lumdesk/views/pages/portal/mail"
)

var timeNow = time.Now

// messages is the account's message log. A filter that does not parse is
// left out with a message saying so; the rest still apply.
func (h *Mail) messages(c *fiber.Ctx) error {
	// The console's filters (without its domain, app and account), within
	// the session's account.
	q, f, problems := lumora.ParseMessageQuery(c, false)
	f.Scope = web.PortalScope(c)
	l := mv.MessageList{Status: q.Status, Recipient: q.Recipient, Since: q.Since, Until: q.Until}
	f.BeforeID, l.Cursor = cursorParam(c, &problems)
	items, err := h.svc.ListMessages(c.UserContext(), f)
	if err != nil {
		return err
	}
	items, l.NextCursor = web.NextPage(items, pageSize, func(x mailsvc.Message) int64 { return x.ID })
	for _, m := range items {
		from := m.FromEmail
		if m.FromName != "" {
			from = m.FromName + " <" + m.FromEmail + ">"
		}
		l.Rows = append(l.Rows, mv.MessageRow{PublicID: m.PublicID, From: from, Subject: m.Subject, Status: m.Status, App: m.AppName, Created: m.CreatedAt})
	}
	l.Error = strings.Join(problems, " ")
	return web.Render(c, fiber.StatusOK, mv.MessagesPage(h.page(c, "Messages", web.Crumb("Messages")), l))
}

// exportMessages downloads the account's messages as the log filters them.
func (h *Mail) exportMessages(c *fiber.Ctx) error {
	_, f, problems := lumora.ParseMessageQuery(c, false)
	if len(problems) > 0 {
		return web.ExportRefused(problems)
	}
	f.Scope = web.PortalScope(c)
	lumora.ExportMessages(c, h.svc, h.app.Log(), f, false)
	return nil
}

func (h *Mail) message(c *fiber.Ctx) error {
	id := web.Truncate(c.Params("id"), 80)
	if !strings.HasPrefix(id, "msg_") {
		return mailsvc.ErrMessageNotFound
	}
	d, err := h.svc.GetMessage(c.UserContext(), web.PortalScope(c), strings.Clone(id))
	if err != nil {
		return err
	}
	m := d.Message
	from := m.FromEmail
	if m.FromName != "" {
		from = m.FromName + " <" + m.FromEmail + ">"
	}
	v := mv.MessagePage{PublicID: m.PublicID, From: from, Subject: m.Subject, Status: m.Status, AppID: m.AppID, Created: m.CreatedAt}
	if a, err := h.svc.GetApp(c.UserContext(), web.PortalScope(c), m.AppID); err == nil {
		v.App = a.Name
	}
	for _, r := range d.Recipients {
		reply := r.LastSMTPText
		if r.LastSMTPCode != 0 {
			reply = fmt.Sprintf("%d %s", r.LastSMTPCode, r.LastSMTPText)
		}
		v.Recipients = append(v.Recipients, mv.RecipientRow{Email: r.Email, Kind: r.Kind, Status: r.Status, LastReply: reply,
			Attempts: r.Attempts, Updated: r.UpdatedAt})
	}
	for _, e := range d.Events {
		v.Events = append(v.Events, mv.EventRow{Type: e.Type, Recipient: e.Recipient, Detail: e.Detail, At: e.At})
	}
	return web.Render(c, fiber.StatusOK, mv.MessageDetail(h.page(c, m.Subject, web.Crumb("Messages", mv.MessagesPath), web.Crumb(m.PublicID)), v))
}
