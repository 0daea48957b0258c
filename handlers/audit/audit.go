package audit

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	auditpages "lumdesk/views/pages/audit"
)

// AuditReader is what the audit pages need from internal/audit.
type AuditReader interface {
	Query(ctx context.Context, f audit.Filter, limit int) ([]audit.Entry, int64, error)
	Count(ctx context.Context, f audit.Filter, limitTo int) (listcount.Count, error)
	Get(ctx context.Context, id int64) (audit.Entry, error)
	Actions(ctx context.Context) ([]string, error)
	EntityTypes(ctx context.Context) ([]string, error)
	Status(ctx context.Context) (audit.Status, error)
	LastStatus() (audit.Status, bool)
	Names(ctx context.Context, entries []audit.Entry) (audit.Names, error)
	Each(ctx context.Context, f audit.Filter, fn func(audit.Entry) error) error
	RecordExport(ctx context.Context, a audit.Actor, filters url.Values) error
}

// Audit serves the audit log, event details, the CSV export and the History
// tab of every entity page.
type Audit struct {
	svc AuditReader
	app *web.App
}

// New returns the audit route group.
func New(svc AuditReader) *Audit { return &Audit{svc: svc} }

// Page sizes.
const (
	auditPageSize   = 50
	historyPageSize = 20
)

func auditFilterInput(c *fiber.Ctx) audit.FilterInput {
	q := func(k string) string { return utils.CopyString(c.Query(k)) }
	return audit.FilterInput{
		Actor: q("actor"), Action: q("action"), EntityType: q("entity_type"), EntityID: q("entity_id"),
		From: q("from"), To: q("to"), Before: q("before"),
	}
}

func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

func (h *Audit) list(c *fiber.Ctx) error {
	ctx := c.UserContext()
	in := auditFilterInput(c)
	f, errs := in.Parse()
	if web.IsCountRequest(c) { // the count a page deferred (below)
		if len(errs) > 0 {
			return web.Render(c, fiber.StatusOK, components.CountText(nil))
		}
		n, err := h.svc.Count(ctx, f, listcount.Cap)
		return web.RenderCount(c, n, err, "event", "events")
	}
	m := auditpages.ListModel{
		Filter: in, Errors: errs, Paged: f.Before > 0, Now: time.Now().UTC(),
		NewestHref: withQuery("/audit", in.Values()), ClearHref: "/audit",
	}
	if web.Can(c, staff.PermAuditExport) && len(errs) == 0 {
		m.ExportHref = withQuery("/audit/export.csv", in.Values())
	}
	if st, err := h.svc.Status(ctx); err != nil {
		h.app.Log().Warn("audit chain status", "err", err, "request_id", web.RequestID(c))
	} else {
		m.Status = &st
	}
	var err error
	if m.Actions, err = h.svc.Actions(ctx); err != nil {
		return err
	}
	if m.EntityTypes, err = h.svc.EntityTypes(ctx); err != nil {
		return err
	}
	status := fiber.StatusOK
	var next int64
	if len(errs) > 0 {
		status = fiber.StatusBadRequest
	} else {
		if m.Entries, next, err = h.svc.Query(ctx, f, auditPageSize); err != nil {
			return err
		}
		if m.Names, err = h.svc.Names(ctx, m.Entries); err != nil {
			return err
		}
		if next > 0 {
			v := in.Values()
			v.Set("before", strconv.FormatInt(next, 10))
			m.NextHref = "/audit?" + v.Encode()
		}
	}
	set := in.Values()
	m.Bar = h.app.ListBar(c, "/audit", withQuery("", set), slices.Concat(
		components.Filter("actor", "Actor", set.Get("actor")), components.Filter("action", "Action", set.Get("action")),
		components.Filter("entity_type", "Entity", set.Get("entity_type")), components.Filter("entity_id", "Entity id", set.Get("entity_id")),
		components.Filter("from", "From", set.Get("from")), components.Filter("to", "Until", set.Get("to"))))
	if len(errs) == 0 {
		web.PageCount(c, &m.Bar, len(m.Entries), f.Before > 0, next > 0, "event", "events")
	}
	p := h.app.Page(c, "Audit log", "audit", layouts.Crumb{Label: "Audit log"})
	return web.Render(c, status, auditpages.List(p, m))
}

func (h *Audit) detail(c *fiber.Ctx) error {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return fiber.ErrNotFound
	}
	e, err := h.svc.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	names, err := h.svc.Names(c.UserContext(), []audit.Entry{e})
	if err != nil {
		return err
	}
	m := auditpages.DetailModel{Entry: e, Names: names, Now: time.Now().UTC()}
	// The last verification is enough here: the detail page must not walk the chain.
	if st, ok := h.svc.LastStatus(); ok && !st.OK && st.BadID == id {
		m.Problem = st.Problem
	}
	title := "Event #" + strconv.FormatInt(id, 10)
	p := h.app.Page(c, title, "audit", layouts.Crumb{Label: "Audit log", Href: "/audit"}, layouts.Crumb{Label: title})
	return web.Render(c, fiber.StatusOK, auditpages.Detail(p, m))
}

// history serves the History tab of any entity: the fragment for htmx (the
// items alone for "Load more"), the full page otherwise.
func (h *Audit) history(c *fiber.Ctx) error {
	c.Vary("HX-Request")
	etype := utils.CopyString(c.Params("entity_type"))
	eid, err := url.PathUnescape(c.Params("entity_id"))
	if err != nil || !audit.ValidEntityType(etype) || !audit.ValidEntityID(eid) {
		return fiber.NewError(fiber.StatusNotFound, "There is no history at this address: the entity type or id is not valid.")
	}
	eid = utils.CopyString(eid)
	f := audit.Filter{EntityType: etype, EntityID: eid}
	cursor := c.Query("before")
	if cursor != "" {
		id, ok := web.ParseID(cursor)
		if !ok {
			return fiber.NewError(fiber.StatusBadRequest, "That “Load more” link is not valid.")
		}
		f.Before = id
	}
	entries, next, err := h.svc.Query(c.UserContext(), f, historyPageSize)
	if err != nil {
		return err
	}
	// The entity itself is named too, for the page title and its link.
	names, err := h.svc.Names(c.UserContext(), append(entries, audit.Entry{EntityType: etype, EntityID: eid}))
	if err != nil {
		return err
	}
	m := auditpages.HistoryModel{EntityType: etype, EntityID: eid, Entries: entries, Names: names, Paged: f.Before > 0, Now: time.Now().UTC()}
	if next > 0 {
		m.MoreHref = auditpages.HistoryHref(etype, eid) + "?before=" + strconv.FormatInt(next, 10)
	}
	if web.IsHTMX(c) {
		if cursor != "" {
			return web.Render(c, fiber.StatusOK, auditpages.HistoryItems(m))
		}
		return web.Render(c, fiber.StatusOK, auditpages.History(m))
	}
	noun := auditpages.EntityNoun(etype)
	ref := audit.Ref{Type: etype, ID: eid}
	name := auditpages.EntityName(ref, names)
	title := "History of " + noun + " " + name
	crumbs := []layouts.Crumb{{Label: "Audit log", Href: "/audit"}}
	if href := auditpages.EntityHref(ref, names); href != "" {
		crumbs = []layouts.Crumb{{Label: web.Capitalize(noun) + " " + name, Href: href}}
	}
	crumbs = append(crumbs, layouts.Crumb{Label: "History"})
	p := h.app.Page(c, title, auditpages.EntityNav(etype), crumbs...)
	return web.Render(c, fiber.StatusOK, auditpages.HistoryPage(p, m))
}

// export streams the filtered log as CSV, reading pages of audit.MaxPage.
// The page cursor is ignored: an export is the whole filtered list.
func (h *Audit) export(c *fiber.Ctx) error {
	in := auditFilterInput(c)
	in.Before = ""
	f, errs := in.Parse()
	if len(errs) > 0 {
		return fiber.NewError(fiber.StatusBadRequest, "The export filters are not valid: "+strings.Join(sortedValues(errs), " "))
	}
	if err := h.svc.RecordExport(c.UserContext(), web.Actor(c), in.Values()); err != nil {
		return err
	}
	svc, log, reqID := h.svc, h.app.Log(), web.RequestID(c)
	web.StreamCSV(c, "lumdesk-audit-"+time.Now().UTC().Format("2006-01-02")+".csv", func(ctx context.Context, w *csv.Writer) error {
		if err := w.Write(auditCSVHeader); err != nil {
			return err
		}
		return svc.Each(ctx, f, func(e audit.Entry) error { return w.Write(auditCSVRow(e)) })
	}, func(err error) { log.Warn("audit export stopped", "err", err, "request_id", reqID) })
	return nil
}

var auditCSVHeader = []string{
	"id", "occurred_at", "actor_kind", "actor_id", "actor_label", "ip", "user_agent", "request_id",
	"action", "entity_type", "entity_id", "reason", "before", "after", "hash",
}

func auditCSVRow(e audit.Entry) []string {
	row := []string{
		strconv.FormatInt(e.ID, 10), e.OccurredAt.UTC().Format(time.RFC3339Nano), e.ActorKind, e.ActorID, e.ActorLabel,
		e.IP, e.UserAgent, e.RequestID, e.Action, e.EntityType, e.EntityID, e.Reason,
		string(e.BeforeJSON), string(e.AfterJSON), hex.EncodeToString(e.Hash),
	}
	for i, s := range row {
		row[i] = web.CsvCell(s)
	}
	return row
}

func sortedValues(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}
