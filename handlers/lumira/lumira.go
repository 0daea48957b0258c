package lumira

import (
	"context"
	"encoding/csv"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/product"
	"lumdesk/internal/ranking"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	accountsview "lumdesk/views/pages/accounts"
	view "lumdesk/views/pages/lumira"
)

// Service is what the Lumira pages need of internal/ranking.
type Service interface {
	AddGroup(ctx context.Context, actor audit.Actor, scope accounts.Scope, in ranking.GroupInput) (ranking.Group, error)
	GetGroup(ctx context.Context, scope accounts.Scope, groupID string) (ranking.Group, error)
	ListGroups(ctx context.Context, f ranking.GroupFilter) ([]ranking.Group, error)
	SyncRoles(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string) (ranking.Group, error)
	SetLadder(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, steps []ranking.LadderStep) (ranking.Group, error)
	SetCeiling(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, ceiling int) (ranking.Group, error)
	SetAutoPromote(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, on bool) (ranking.Group, error)
	SetWebhook(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID, url string) (ranking.Group, error)
	Findings(ctx context.Context, scope accounts.Scope, groupID string, limit int) ([]ranking.Finding, error)
	GetMember(ctx context.Context, scope accounts.Scope, groupID string, userID int64) (ranking.Member, error)
	ListMembers(ctx context.Context, scope accounts.Scope, groupID, search string, afterUserID int64, limit int) ([]ranking.Member, error)
	SetRank(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID int64, in ranking.RankInput) (ranking.Change, error)
	Promote(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID int64, reason string) (ranking.Change, error)
	Demote(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID int64, reason string) (ranking.Change, error)
	AddPoints(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID, delta int64, reason string) (ranking.Change, error)
	Logs(ctx context.Context, scope accounts.Scope, groupID string, f ranking.LogFilter) (ranking.LogPage, error)
	GetAction(ctx context.Context, scope accounts.Scope, actionID string) (ranking.Action, error)
	Notify(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, in ranking.NotifyInput) error
	Reconcile(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string) (ranking.Reconciliation, error)
}

// Lumira is the route group.
type Lumira struct {
	app   *web.App
	svc   Service
	names web.AccountNames
}

// New makes the route group.
func New(svc Service, names web.AccountNames) *Lumira { return &Lumira{svc: svc, names: names} }

const pageSize = 50

// scanPage is how many groups a filtered list reads at a time.
const scanPage = ranking.MaxLogLimit

var all = accounts.AllAccounts

func (h *Lumira) page(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
	return h.app.Page(c, title, "lumira", append([]layouts.Crumb{{Label: "Lumira", Href: view.GroupsPath}}, crumbs...)...)
}

func (h *Lumira) accountNames(ctx context.Context, gs []ranking.Group) map[int64]string {
	ids := make([]int64, 0, len(gs))
	for _, g := range gs {
		ids = append(ids, g.AccountID)
	}
	return h.names.Of(ctx, ids...)
}

func accountName(m map[int64]string, id int64) string {
	if n := m[id]; n != "" {
		return n
	}
	return "Account " + strconv.FormatInt(id, 10)
}

func groupRow(g ranking.Group, names map[int64]string) view.GroupRow {
	return view.GroupRow{ID: g.ID, Name: g.Name, RobloxGroupID: g.RobloxGroupID, AccountID: g.AccountID, AccountName: accountName(names, g.AccountID),
		Status: g.Status, Ceiling: g.Ceiling, Webhook: g.Webhook.Status, Roles: len(g.Roles), Created: g.CreatedAt}
}

// groupQuery is the list's filters.
type groupQuery struct {
	q, status string
	scope     accounts.Scope
}

func (f groupQuery) match(g ranking.Group) bool {
	if f.status != "" && g.Status != f.status {
		return false
	}
	if f.q == "" {
		return true
	}
	if g.ID == f.q || strconv.FormatInt(g.RobloxGroupID, 10) == f.q {
		return true
	}
	return strings.Contains(strings.ToLower(g.Name), strings.ToLower(f.q))
}

// find reads groups newest first after the cursor until it has limit
// matches; next is the cursor of the following page ("" when none).
func (h *Lumira) find(ctx context.Context, f groupQuery, before string, limit int) (out []ranking.Group, next string, err error) {
	for {
		page, err := h.svc.ListGroups(ctx, ranking.GroupFilter{Scope: f.scope, BeforeID: before, Limit: scanPage})
		if err != nil {
			return nil, "", err
		}
		for _, g := range page {
			if !f.match(g) {
				continue
			}
			if len(out) == limit {
				return out, out[limit-1].ID, nil
			}
			out = append(out, g)
		}
		if len(page) < scanPage {
			return out, "", nil
		}
		before = page[len(page)-1].ID
	}
}

// listQuery reads the list's filters; one it cannot use is dropped with a
// message in problems.
func listQuery(c *fiber.Ctx, l *view.GroupList, problems *[]string) groupQuery {
	l.Q = web.Truncate(strings.TrimSpace(web.Field(c, "q")), 200)
	f := groupQuery{q: l.Q, scope: all}
	switch s := web.Field(c, "status"); s {
	case "", ranking.StatusConnected, ranking.StatusKeyInvalid, ranking.StatusSandbox:
		l.Status, f.status = s, s
	default:
		*problems = append(*problems, "Unknown status filter; showing every status.")
	}
	if a := web.Field(c, "account"); a != "" {
		if id, ok := web.ParseID(a); ok {
			f.scope, l.Account = accounts.Only(id), a
		} else {
			*problems = append(*problems, "The account filter must be an account id; showing every account.")
		}
	}
	return f
}

func (h *Lumira) groups(c *fiber.Ctx) error {
	return h.renderGroups(c, fiber.StatusOK, view.AddForm{})
}

func (h *Lumira) renderGroups(c *fiber.Ctx, status int, form view.AddForm) error {
	var problems []string
	l := view.GroupList{CanManage: web.Can(c, staff.PermRankingManage), CSRF: web.CSRFToken(c), Form: form}
	f := listQuery(c, &l, &problems)
	ctx := c.UserContext()
	l.Cursor = web.Field(c, "cursor")
	list, next, err := h.find(ctx, f, l.Cursor, pageSize)
	if web.FieldErrors(err, nil) != nil {
		problems = append(problems, "That page link is not valid; showing the first page.")
		l.Cursor = ""
		list, next, err = h.find(ctx, f, "", pageSize)
	}
	if err != nil {
		return err
	}
	names := h.accountNames(ctx, list)
	for _, g := range list {
		l.Rows = append(l.Rows, groupRow(g, names))
	}
	l.Next = next
	l.Bar = h.app.ListBar(c, view.GroupsPath, l.Query(), l.ActiveFilters())
	l.Error = strings.Join(problems, " ")
	return web.Render(c, status, view.GroupsPage(h.page(c, "Lumira"), l))
}

func (h *Lumira) addGroup(c *fiber.Ctx) error {
	form := view.AddForm{Account: web.Truncate(web.Field(c, "account"), 40), GroupID: web.Truncate(web.Field(c, "roblox_group_id"), 40),
		Ceiling: web.Truncate(web.Field(c, "ceiling"), 10), Webhook: web.Truncate(web.Field(c, "discord_webhook"), 600),
		Name: web.Truncate(web.Field(c, "name"), 200), Errors: map[string]string{}, Open: true}
	in := ranking.GroupInput{RobloxKey: web.Truncate(web.Field(c, "roblox_key"), ranking.MaxKey+1), Name: form.Name, DiscordWebhook: form.Webhook}
	if id, ok := web.ParseID(form.Account); ok {
		in.AccountID = &id
	} else {
		form.Errors["account_id"] = "Enter the account's id."
	}
	if n, err := strconv.ParseInt(form.GroupID, 10, 64); err == nil && n > 0 {
		in.RobloxGroupID = n
	} else {
		form.Errors["roblox_group_id"] = "Enter the Roblox group ID (a positive number)."
	}
	if form.Ceiling != "" {
		n, err := strconv.Atoi(form.Ceiling)
		if err != nil || n < 2 || n > 255 {
			form.Errors["ceiling"] = "Enter a rank from 2 to 255, or leave it empty."
		}
		in.Ceiling = n
	}
	if len(form.Errors) == 0 {
		g, err := h.svc.AddGroup(c.UserContext(), web.Actor(c), all, in)
		if errs := web.FieldErrors(err, map[string]string{"account": "account_id", "group_id": "roblox_group_id"}); errs != nil {
			form.Errors = errs
		} else if e := rankErr(err); e != nil {
			form.Error = web.Capitalize(e.Error()) + "."
		} else if err != nil {
			return err
		} else {
			msg := "Group added."
			if g.Sandbox {
				msg = "Sandbox group added."
			}
			h.app.Toast(c, "success", msg)
			return web.Redirect(c, view.GroupHref(g.ID))
		}
	}
	if form.Error == "" {
		form.Error = "The group was not added: " + strings.TrimSuffix(web.FieldErrorsText(form.Errors), ".") + "."
	}
	return h.renderGroups(c, fiber.StatusUnprocessableEntity, form)
}

// rankErr is err as one of the service's outcomes, nil otherwise.
func rankErr(err error) *ranking.Error {
	var e *ranking.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

var exportHeader = []string{"id", "name", "roblox_group_id", "account_id", "account", "status", "ceiling", "webhook", "auto_promote", "roles", "created_at"}

// export streams the filtered list as CSV, every page of it.
func (h *Lumira) export(c *fiber.Ctx) error {
	var problems []string
	l := view.GroupList{}
	f := listQuery(c, &l, &problems)
	if len(problems) > 0 {
		return web.ExportRefused(problems)
	}
	ctx := c.UserContext()
	first, next, err := h.find(ctx, f, "", scanPage)
	if err != nil {
		return err
	}
	log, reqID := h.app.Log(), web.RequestID(c)
	web.StreamCSV(c, "lumira-groups-"+time.Now().UTC().Format("20060102-1504")+".csv", func(ctx context.Context, w *csv.Writer) error {
		if err := w.Write(exportHeader); err != nil {
			return err
		}
		page := first
		for {
			names := h.accountNames(ctx, page)
			for _, g := range page {
				if err := w.Write([]string{g.ID, web.CsvCell(g.Name), strconv.FormatInt(g.RobloxGroupID, 10), strconv.FormatInt(g.AccountID, 10),
					web.CsvCell(accountName(names, g.AccountID)), g.Status, strconv.Itoa(g.Ceiling), g.Webhook.Status,
					strconv.FormatBool(g.AutoPromote), strconv.Itoa(len(g.Roles)), g.CreatedAt.UTC().Format(time.RFC3339)}); err != nil {
					return err
				}
			}
			if next == "" {
				return nil
			}
			var err error
			if page, next, err = h.find(ctx, f, next, scanPage); err != nil {
				return err
			}
		}
	}, func(err error) { log.Warn("lumira group export stopped", "err", err, "request_id", reqID) })
	return nil
}

// AccountTabProduct: this group renders Lumira's account tab.
func (h *Lumira) AccountTabProduct() string { return product.Ranking }

func (h *Lumira) accountGroups(c *fiber.Ctx, accountID int64) ([]ranking.Group, error) {
	list, _, err := h.find(c.UserContext(), groupQuery{scope: accounts.Only(accountID)}, "", scanPage)
	return list, err
}

// AccountTab is the account page's Lumira tab: the account's groups.
func (h *Lumira) AccountTab(c *fiber.Ctx, accountID int64) (templ.Component, error) {
	v := view.AccountTab{AccountID: accountID, CanSee: web.Can(c, staff.PermRankingView)}
	if !v.CanSee {
		return view.AccountTabContent(v), nil
	}
	list, err := h.accountGroups(c, accountID)
	if err != nil {
		return nil, err
	}
	for _, g := range list {
		v.Rows = append(v.Rows, groupRow(g, nil))
	}
	return view.AccountTabContent(v), nil
}

// AccountOverview is the Lumira card on the account's Overview tab.
func (h *Lumira) AccountOverview(c *fiber.Ctx, accountID int64) (accountsview.OverviewCard, error) {
	if !web.Can(c, staff.PermRankingView) {
		return accountsview.OverviewCard{Empty: &accountsview.CardEmpty{Title: "You cannot see Lumira data."}}, nil
	}
	list, err := h.accountGroups(c, accountID)
	if err != nil {
		return accountsview.OverviewCard{}, err
	}
	if len(list) == 0 {
		return accountsview.OverviewCard{Empty: &accountsview.CardEmpty{Title: "No Lumira groups yet."}}, nil
	}
	var connected, sandbox, problems int64
	for _, g := range list {
		switch g.Status {
		case ranking.StatusConnected:
			connected++
		case ranking.StatusSandbox:
			sandbox++
		default:
			problems++
		}
		if g.Webhook.Status == ranking.WebhookDisabled {
			problems++
		}
	}
	card := accountsview.OverviewCard{Figures: []accountsview.Figure{
		{Label: "Groups", Value: components.Thousands(int64(len(list))), Key: "groups"},
		{Label: "Connected", Value: components.Thousands(connected), Key: "connected"},
		{Label: "Sandbox", Value: components.Thousands(sandbox), Key: "sandbox"},
		{Label: "Needing attention", Value: components.Thousands(problems), Key: "attention"},
	}}
	if problems > 0 {
		card.Figures[3].Tone = "red"
	}
	return card, nil
}
