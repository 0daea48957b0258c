package lumora

import (
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/mail"
	"lumdesk/internal/platform/listcount"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/lumora"
)

// MessageQuery is the message log's filters as its URL gives them.
type MessageQuery struct {
	Status, Recipient, Domain, Since, Until string
	App, Account                            int64
}

// ParseMessageQuery reads the message log's filters for its page and its
// CSV export; problems say what was ignored. Both faces read the status,
// the recipient and the days; the console also the from domain, the app
// and the account (its scope). The portal sets the scope itself, to the
// session's account.
func ParseMessageQuery(c *fiber.Ctx, console bool) (q MessageQuery, f mail.MessageFilter, problems []string) {
	f = mail.MessageFilter{Scope: accounts.AllAccounts, Limit: pageSize + 1}
	if s := web.Field(c, "status"); s != "" {
		if slices.Contains(mail.MessageStatuses, s) {
			q.Status, f.Status = s, s
		} else {
			problems = append(problems, "Status must be one of "+strings.Join(mail.MessageStatuses, ", ")+"; showing every status.")
		}
	}
	if r := web.Truncate(web.Field(c, "recipient"), 320); r != "" {
		q.Recipient, f.Recipient = r, r
	}
	q.Since, q.Until, f.Since, f.Until = web.FilterDays(c, &problems, "messages")
	if !console {
		return q, f, problems
	}
	if d := web.Truncate(web.Field(c, "domain"), 253); d != "" {
		if _, err := mail.NormalizeDomain(d); err == nil {
			q.Domain, f.Domain = d, d
		} else {
			problems = append(problems, "The domain filter must be a domain name such as example.com; showing every domain.")
		}
	}
	ids := map[string]*int64{"app": &q.App, "account": &q.Account}
	for _, name := range []string{"app", "account"} {
		if s := web.Field(c, name); s != "" {
			if id, ok := web.ParseID(s); ok {
				*ids[name] = id
			} else {
				problems = append(problems, "The "+name+" filter must be an id; showing every "+name+".")
			}
		}
	}
	f.AppID = q.App
	if q.Account != 0 {
		f.Scope = accounts.Only(q.Account)
	}
	return q, f, problems
}

// messages is the message log across accounts. A filter that does not
// parse is left out with a message saying so; the rest still apply.
func (h *Lumora) messages(c *fiber.Ctx) error {
	q, f, problems := ParseMessageQuery(c, true)
	l := view.MessageList{Status: q.Status, Recipient: q.Recipient, Domain: q.Domain, Since: q.Since, Until: q.Until, App: q.App, Account: q.Account}
	if cur := web.Field(c, "cursor"); cur != "" {
		if id, ok := web.ParseID(cur); ok {
			l.Cursor, f.BeforeID = cur, id
		} else {
			problems = append(problems, "That page link is not valid; showing the first page.")
		}
	}
	ctx := c.UserContext()
	if web.IsCountRequest(c) { // the count web.PageCount deferred: of the filters the list applied
		f.BeforeID = 0
		n, err := h.svc.CountMessages(ctx, f, listcount.Cap)
		return web.RenderCount(c, n, err, "message", "messages")
	}
	items, err := h.svc.ListMessages(ctx, f)
	if err != nil {
		return err
	}
	items, l.NextCursor = web.NextPage(items, pageSize, func(x mail.Message) int64 { return x.ID })
	for _, m := range items {
		from := m.FromEmail
		if m.FromName != "" {
			from = m.FromName + " <" + m.FromEmail + ">"
		}
		l.Rows = append(l.Rows, view.MessageRow{PublicID: m.PublicID, From: from, Subject: m.Subject, Status: m.Status,
			AccountID: m.AccountID, AppID: m.AppID, Account: m.AccountName, App: m.AppName, Created: m.CreatedAt})
	}
	l.Bar = h.app.ListBar(c, view.MessagesPath, l.Query(), l.ActiveFilters())
	web.PageCount(c, &l.Bar, len(l.Rows), f.BeforeID != 0, l.NextCursor != "", "message", "messages")
	l.Error = strings.Join(problems, " ")
	return web.Render(c, fiber.StatusOK, view.MessagesPage(h.page(c, "Messages", layouts.Crumb{Label: "Messages"}), l))
}

func (h *Lumora) message(c *fiber.Ctx) error {
	id := web.Truncate(c.Params("id"), 80)
	if !strings.HasPrefix(id, "msg_") {
		return mail.ErrMessageNotFound
	}
	d, err := h.svc.GetMessage(c.UserContext(), accounts.AllAccounts, strings.Clone(id))
	if err != nil {
		return err
	}
	m := d.Message
	from := m.FromEmail
	if m.FromName != "" {
		from = m.FromName + " <" + m.FromEmail + ">"
	}
	v := view.MessagePage{PublicID: m.PublicID, From: from, Subject: m.Subject, Status: m.Status, SMTPMessageID: m.SMTPMessageID,
		AccountID: m.AccountID, AppID: m.AppID, AccountName: h.names.One(c.UserContext(), m.AccountID), Created: m.CreatedAt, Updated: m.UpdatedAt}
	if a, err := h.svc.GetApp(c.UserContext(), accounts.AllAccounts, m.AppID); err == nil {
		v.AppName = a.Name // a label: without it the page shows the id
	}
	for _, k := range slices.Sorted(maps.Keys(m.Headers)) {
		v.Headers = append(v.Headers, view.Header{Name: k, Value: m.Headers[k]})
	}
	for _, r := range d.Recipients {
		reply := r.LastSMTPText
		if r.LastSMTPCode != 0 {
			reply = fmt.Sprintf("%d %s", r.LastSMTPCode, r.LastSMTPText)
		}
		v.Recipients = append(v.Recipients, view.RecipientRow{Email: r.Email, Kind: r.Kind, Status: r.Status, LastReply: reply,
			Attempts: r.Attempts, NextAttempt: r.NextAttemptAt, Updated: r.UpdatedAt})
	}
	for _, e := range d.Events {
		v.Events = append(v.Events, view.EventRow{Type: e.Type, Recipient: e.Recipient, Detail: e.Detail, At: e.At})
	}
	return web.Render(c, fiber.StatusOK, view.MessageDetail(h.page(c, m.Subject, web.Crumb("Messages", view.MessagesPath), web.Crumb(m.PublicID)), v))
}

// exportMessages streams the filtered message log as CSV.
func (h *Lumora) exportMessages(c *fiber.Ctx) error {
	_, f, problems := ParseMessageQuery(c, true)
	if len(problems) > 0 {
		return web.ExportRefused(problems)
	}
	ExportMessages(c, h.svc, h.app.Log(), f, true)
	return nil
}

// MessageLister is what the message exports read.
type MessageLister interface {
	ListMessages(ctx context.Context, f mail.MessageFilter) ([]mail.Message, error)
}

// ExportMessages streams the message log as f picks it, newest first, page
// by page (from the replica when there is one, as the list), as CSV; the
// account's columns with withAccount (the console's). The caller refuses
// a filter the list would ignore: a file must hold what its link says.
func ExportMessages(c *fiber.Ctx, svc MessageLister, log *slog.Logger, f mail.MessageFilter, withAccount bool) {
	f.Limit = exportPage
	reqID := web.RequestID(c)
	cols := []string{"id", "created_at", "updated_at", "status", "account_id", "account_name", "app_id", "app_name",
		"from_email", "from_name", "subject", "smtp_message_id"}
	row := func(m mail.Message) []string {
		return []string{m.PublicID, m.CreatedAt.UTC().Format(time.RFC3339Nano), m.UpdatedAt.UTC().Format(time.RFC3339Nano),
			m.Status, strconv.FormatInt(m.AccountID, 10), web.CsvCell(m.AccountName), strconv.FormatInt(m.AppID, 10),
			web.CsvCell(m.AppName), web.CsvCell(m.FromEmail), web.CsvCell(m.FromName), web.CsvCell(m.Subject),
			web.CsvCell(m.SMTPMessageID)}
	}
	// The portal's file is its own account's: no account columns (4 and 5).
	trim := func(rec []string) []string {
		if withAccount {
			return rec
		}
		return append(rec[:4:4], rec[6:]...)
	}
	web.StreamCSV(c, "lumora-messages-"+time.Now().UTC().Format("20060102-1504")+".csv", func(ctx context.Context, w *csv.Writer) error {
		if err := w.Write(trim(cols)); err != nil {
			return err
		}
		return writePages(w, func(before int64) ([]mail.Message, error) {
			f.BeforeID = before
			return svc.ListMessages(ctx, f)
		}, func(m mail.Message) int64 { return m.ID }, func(m mail.Message) []string { return trim(row(m)) })
	}, func(err error) { log.Warn("message export stopped", "err", err, "request_id", reqID) })
}

// exportPage is how many rows each read of an export takes: the
// service's largest page.
const exportPage = mail.MaxListLimit

// writePages writes the rows of a list read newest first by id, a page of
// exportPage at a time: list reads the page before an id (0: the newest),
// until a page comes back short.
func writePages[T any](w *csv.Writer, list func(before int64) ([]T, error), id func(T) int64, row func(T) []string) error {
	var before int64
	for {
		items, err := list(before)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := w.Write(row(it)); err != nil {
				return err
			}
		}
		if len(items) < exportPage {
			return nil
		}
		before = id(items[len(items)-1])
	}
}
