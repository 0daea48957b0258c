package accounts

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/product"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/accounts"
)

// AccountsService is what the account pages need of internal/accounts.
type AccountsService interface {
	Create(ctx context.Context, actor audit.Actor, in accounts.CreateInput) (accounts.Account, error)
	Update(ctx context.Context, actor audit.Actor, id int64, in accounts.UpdateInput, reason string) (accounts.Account, error)
	Suspend(ctx context.Context, actor audit.Actor, id int64, reason string) (accounts.Account, error)
	Reactivate(ctx context.Context, actor audit.Actor, id int64, reason string) (accounts.Account, error)
	Get(ctx context.Context, id int64) (accounts.Account, error)
	List(ctx context.Context, p accounts.ListParams) (accounts.Page, error)
	Count(ctx context.Context, p accounts.ListParams, limitTo int) (listcount.Count, error)
	ForEach(ctx context.Context, p accounts.ListParams, fn func(accounts.Account) error) error
	Stats(ctx context.Context) (accounts.Stats, error)
}

// Accounts serves the customer account pages.
type Accounts struct {
	svc AccountsService
	app *web.App
	// portal lists and invites the account's portal users (the Portal tab);
	// the App's customers service unless set.
	portal PortalService
	// tabs render product tabs, by product key; a product without one shows
	// its empty state.
	tabs map[string]AccountTab
	// overviews render the Overview tab's product cards, by product key; a
	// live product without one shows a plain link to its tab.
	overviews map[string]AccountOverview
	// apiKeys counts the account's API keys for the API keys tab.
	apiKeys APIKeyCounter
}

// APIKeyCounter counts API keys with the API key list's filters
// (apikeys.Service).
type APIKeyCounter interface {
	Count(ctx context.Context, p apikeys.ListParams, limitTo int) (listcount.Count, error)
}

// apiKeyCounts counts the account's keys: all, active and revoked.
func (h *Accounts) apiKeyCounts(ctx context.Context, accountID int64) (*view.APIKeyCounts, error) {
	out := &view.APIKeyCounts{}
	for _, s := range []struct {
		status string
		n      *listcount.Count
	}{{"", &out.All}, {"active", &out.Active}, {"revoked", &out.Revoked}} {
		n, err := h.apiKeys.Count(ctx, apikeys.ListParams{AccountID: &accountID, Status: s.status}, 0)
		if err != nil {
			return nil, err
		}
		*s.n = n
	}
	return out, nil
}

// AccountOverview is a product's card on the account's Overview tab, summed
// up from the account's data through the area's service. A product's account
// tab may implement it too; AddTab picks it up.
type AccountOverview interface {
	AccountOverview(c *fiber.Ctx, accountID int64) (view.OverviewCard, error)
}

// AccountTab is a product's tab on the account page. A product's handlers
// implement it and the wiring registers it with AddTab.
type AccountTab interface {
	// AccountTabProduct is the product's registry key ("licensing").
	AccountTabProduct() string
	// AccountTab renders the tab's content for one account.
	AccountTab(c *fiber.Ctx, accountID int64) (templ.Component, error)
}

// AddTab registers a product's account tab.
func (h *Accounts) AddTab(t AccountTab) {
	if h.tabs == nil {
		h.tabs = map[string]AccountTab{}
	}
	h.tabs[t.AccountTabProduct()] = t
	if o, ok := t.(AccountOverview); ok {
		if h.overviews == nil {
			h.overviews = map[string]AccountOverview{}
		}
		h.overviews[t.AccountTabProduct()] = o
	}
}

// overviewCards builds the Overview tab's cards, one per product in registry
// order: the area's own summary, or a quiet "not live yet" card for a product
// whose area is not built.
func (h *Accounts) overviewCards(c *fiber.Ctx, accountID int64) ([]view.OverviewCard, error) {
	var out []view.OverviewCard
	for _, p := range product.All() {
		card := view.OverviewCard{NotLive: p.Status != product.Live}
		if o := h.overviews[p.Key]; o != nil && !card.NotLive {
			var err error
			if card, err = o.AccountOverview(c, accountID); err != nil {
				return nil, err
			}
		} else if !card.NotLive {
			card.Empty = &view.CardEmpty{Title: p.AccountTab.EmptyTitle, ActionLabel: "Open " + p.Brand, ActionHref: view.Href(accountID) + "?tab=" + p.AccountTab.Tab}
		}
		card.Tab, card.Name, card.Icon, card.IconClass = p.AccountTab.Tab, p.AccountTab.Label, p.Icon, components.ProductIconClass(p.Hue)
		out = append(out, card)
	}
	return out, nil
}

// New makes the route group.
// New is the accounts pages over svc; keys counts an account's API keys
// for its API keys tab.
func New(svc AccountsService, keys APIKeyCounter) *Accounts {
	return &Accounts{svc: svc, apiKeys: keys}
}

var accountsCrumb = layouts.Crumb{Label: "Accounts", Href: "/accounts"}

// accountSorts maps the URL's sort values (SortHeader notation) to the service's.
var accountSorts = map[string]accounts.Sort{
	"": accounts.SortNewest, "-created": accounts.SortNewest, "created": accounts.SortOldest,
	"name": accounts.SortNameAsc, "-name": accounts.SortNameDesc,
}

// parseAccountListQuery reads the list's URL query. Every value is copied: the
// export uses them after the handler returns. Invalid values are dropped
// and reported field by field.
func parseAccountListQuery(c *fiber.Ctx) (view.Filters, accounts.ListParams, map[string]string) {
	q := func(k string) string { return strings.TrimSpace(utils.CopyString(c.Query(k))) }
	f := view.Filters{Q: q("q"), Status: q("status"), Sort: q("sort"), From: q("from"), To: q("to"), Limit: q("limit")}
	errs := map[string]string{}
	p := accounts.ListParams{Query: f.Q, Status: f.Status, Cursor: q("cursor")}
	if f.Limit != "" {
		n, err := strconv.Atoi(f.Limit)
		if err != nil || n < 1 || n > accounts.MaxLimit {
			errs["limit"] = fmt.Sprintf("Page size is 1 to %d; showing %d.", accounts.MaxLimit, accounts.DefaultLimit)
			f.Limit = ""
		} else {
			p.Limit = n
		}
	}
	if f.Sort == "-created" {
		f.Sort = ""
	}
	if s, ok := accountSorts[f.Sort]; ok {
		p.Sort = s
	} else {
		errs["sort"] = "Unknown sort order; showing newest first."
		f.Sort, p.Sort = "", accounts.SortNewest
	}
	day := func(name, v string) *time.Time { return web.FilterDay(errs, name, v) }
	p.CreatedFrom = day("from", f.From)
	if to := day("to", f.To); to != nil {
		end := to.AddDate(0, 0, 1) // the "to" day is included
		p.CreatedTo = &end
	}
	if p.CreatedFrom == nil && errs["from"] != "" {
		f.From = ""
	}
	if p.CreatedTo == nil && errs["to"] != "" {
		f.To = ""
	}
	for k, msg := range accounts.ValidateListParams(p) {
		switch k {
		case "q":
			errs[k], f.Q, p.Query = msg, "", ""
		case "status":
			errs[k], f.Status, p.Status = "Status is active or suspended; showing all.", "", ""
		case "created":
			errs[k], f.From, f.To, p.CreatedFrom, p.CreatedTo = "The start date must not be after the end date; showing every date.", "", "", nil, nil
		default:
			errs[k] = msg
		}
	}
	return f, p, errs
}

func accountRows(items []accounts.Account) []view.Row {
	rows := make([]view.Row, len(items))
	for i, a := range items {
		rows[i] = view.Row{ID: a.ID, Name: a.Name, Email: a.Email, DiscordID: a.DiscordID, Status: a.Status,
			Created: a.CreatedAt, BuiltIn: a.BuiltIn()}
	}
	return rows
}

func (h *Accounts) list(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f, p, errs := parseAccountListQuery(c)
	if web.IsCountRequest(c) { // the count web.PageCount deferred: of the filters the list applied
		n, err := h.svc.Count(ctx, p, listcount.Cap)
		return web.RenderCount(c, n, err, "account", "accounts")
	}
	page, err := h.svc.List(ctx, p)
	if errors.Is(err, accounts.ErrBadCursor) {
		p.Cursor = ""
		page, err = h.svc.List(ctx, p)
	}
	if err != nil {
		return err
	}
	v := view.List{Filters: f, Errors: errs, Rows: accountRows(page.Items), CanManage: web.Can(c, staff.PermAccountsManage)}
	v.Empty = len(page.Items) == 0 && !f.Any() && p.Cursor == ""
	if page.Next != "" {
		v.NextHref = "/accounts" + f.Query("cursor", page.Next)
	}
	if page.Prev != "" {
		v.PrevHref = "/accounts" + f.Query("cursor", page.Prev)
		v.FirstHref = "/accounts" + f.Query()
	}
	v.Bar = h.app.ListBar(c, "/accounts", f.Query(), v.ActiveFilters())
	web.PageCount(c, &v.Bar, len(v.Rows), page.Prev != "", page.Next != "", "account", "accounts")
	c.Vary("HX-Request")
	// The filter bar swaps only the results. htmx does not swap 4xx answers,
	// so its requests get 200 even when a filter was refused.
	if web.IsHTMX(c) && c.Get("HX-Target") == "accounts-results" && c.Get("HX-History-Restore-Request") != "true" {
		return web.Render(c, fiber.StatusOK, view.Fragment(v))
	}
	st, err := h.svc.Stats(ctx)
	if err != nil {
		return err
	}
	v.Stats = accountStatsView(st)
	status := fiber.StatusOK
	if len(errs) > 0 {
		status = fiber.StatusUnprocessableEntity
	}
	return web.Render(c, status, view.ListPage(h.app.Page(c, "Accounts", "accounts", layouts.Crumb{Label: "Accounts"}), v))
}

func accountStatsView(st accounts.Stats) *view.Stats {
	n := components.Thousands
	s := &view.Stats{Total: n(st.Total), Active: n(st.Active), Suspended: n(st.Suspended), New: n(st.NewInPeriod()), Estimated: st.Estimated}
	for _, d := range st.Daily {
		s.Daily = append(s.Daily, d.Count)
	}
	return s
}

// export streams the filtered list as CSV, reading keyset pages as it writes.
func (h *Accounts) export(c *fiber.Ctx) error {
	_, p, errs := parseAccountListQuery(c)
	if len(errs) > 0 {
		return fiber.NewError(fiber.StatusUnprocessableEntity, web.FieldErrorsText(errs))
	}
	svc, log, reqID := h.svc, h.app.Log(), web.RequestID(c)
	web.StreamCSV(c, "accounts-"+time.Now().UTC().Format("20060102-1504")+".csv", func(ctx context.Context, w *csv.Writer) error {
		if err := w.Write([]string{"id", "name", "email", "discord_id", "status", "suspended_reason", "note", "created_at"}); err != nil {
			return err
		}
		return svc.ForEach(ctx, p, func(a accounts.Account) error {
			return w.Write([]string{strconv.FormatInt(a.ID, 10), web.CsvCell(a.Name), web.CsvCell(a.Email), a.DiscordID, a.Status,
				web.CsvCell(a.SuspendedReason), web.CsvCell(a.Note), a.CreatedAt.Format(time.RFC3339)})
		})
	}, func(err error) { log.Warn("accounts export stopped", "err", err, "request_id", reqID) })
	return nil
}

func (h *Accounts) formPage(c *fiber.Ctx, status int, f view.Form) error {
	title, crumbs := "New account", []layouts.Crumb{accountsCrumb, {Label: "New"}}
	if f.ID != 0 {
		title = "Edit " + f.SavedName
		crumbs = []layouts.Crumb{accountsCrumb, {Label: f.SavedName, Href: view.Href(f.ID)}, {Label: "Edit"}}
	}
	return web.Render(c, status, view.FormPage(h.app.Page(c, title, "accounts", crumbs...), f))
}

func (h *Accounts) newForm(c *fiber.Ctx) error {
	return h.formPage(c, fiber.StatusOK, view.Form{})
}

func accountFormInput(c *fiber.Ctx) view.Form {
	return view.Form{Name: c.FormValue("name"), Email: c.FormValue("email"), DiscordID: c.FormValue("discord_id"),
		Note: c.FormValue("note"), Reason: c.FormValue("reason")}
}

// accountFormErrors turns a validation error into field messages (nil for other errors).
func accountFormErrors(err error) map[string]string {
	var verr accounts.ValidationError
	if !errors.As(err, &verr) {
		return nil
	}
	return verr
}

func (h *Accounts) create(c *fiber.Ctx) error {
	f := accountFormInput(c)
	a, err := h.svc.Create(c.UserContext(), web.Actor(c), accounts.CreateInput{Name: f.Name, Email: f.Email, DiscordID: f.DiscordID, Note: f.Note})
	if errs := accountFormErrors(err); errs != nil {
		f.Errors = errs
		return h.formPage(c, fiber.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", "Account #"+strconv.FormatInt(a.ID, 10)+" created.")
	return web.Redirect(c, view.Href(a.ID))
}

// account loads the account named by :id; a malformed id is simply not found.
func (h *Accounts) account(c *fiber.Ctx) (accounts.Account, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return accounts.Account{}, accounts.ErrNotFound
	}
	return h.svc.Get(c.UserContext(), id)
}

func accountID(c *fiber.Ctx) (int64, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return 0, accounts.ErrNotFound
	}
	return id, nil
}

func (h *Accounts) detailView(c *fiber.Ctx, a accounts.Account, tab string) view.Detail {
	return view.Detail{ID: a.ID, Name: a.Name, Email: a.Email, DiscordID: a.DiscordID, Note: a.Note, Status: a.Status,
		SuspendedReason: a.SuspendedReason, Created: a.CreatedAt, Updated: a.UpdatedAt, BuiltIn: a.BuiltIn(),
		Tab: tab, CanManage: web.Can(c, staff.PermAccountsManage), CanSuspend: web.Can(c, staff.PermAccountsSuspend),
		Products: productTabs}
}

func (h *Accounts) detail(c *fiber.Ctx) error {
	a, err := h.account(c)
	if err != nil {
		return err
	}
	d := h.detailView(c, a, "overview")
	if i := slices.Index(view.TabKeys(d.Products), c.Query("tab")); i >= 0 {
		d.Tab = view.TabKeys(d.Products)[i]
	}
	if d.Tab == "overview" {
		if d.Cards, err = h.overviewCards(c, a.ID); err != nil {
			return err
		}
	}
	if d.Tab == view.PortalTab {
		if d.Portal, err = h.portalView(c, a); err != nil {
			return err
		}
	}
	if d.Tab == "apikeys" {
		if d.APIKeys, err = h.apiKeyCounts(c.UserContext(), a.ID); err != nil {
			return err
		}
	}
	if pr, ok := product.ByTab(d.Tab); ok {
		if t := h.tabs[pr.Key]; t != nil {
			body, err := t.AccountTab(c, a.ID)
			if err != nil {
				return err
			}
			d.TabBody = body
		}
	}
	p := h.app.Page(c, a.Name, "accounts", accountsCrumb, layouts.Crumb{Label: a.Name})
	d.CSRF = p.CSRF
	return web.Render(c, fiber.StatusOK, view.DetailPage(p, d))
}

func (h *Accounts) editForm(c *fiber.Ctx) error {
	a, err := h.account(c)
	if err != nil {
		return err
	}
	return h.formPage(c, fiber.StatusOK, view.Form{ID: a.ID, SavedName: a.Name, Name: a.Name, Email: a.Email, DiscordID: a.DiscordID, Note: a.Note})
}

func (h *Accounts) update(c *fiber.Ctx) error {
	id, err := accountID(c)
	if err != nil {
		return err
	}
	f := accountFormInput(c)
	f.ID = id
	a, err := h.svc.Update(c.UserContext(), web.Actor(c), id, accounts.UpdateInput{Name: f.Name, Email: f.Email, DiscordID: f.DiscordID, Note: f.Note}, f.Reason)
	if errs := accountFormErrors(err); errs != nil {
		f.Errors = errs
		cur, err := h.svc.Get(c.UserContext(), id)
		if err != nil {
			return err
		}
		f.SavedName = cur.Name
		return h.formPage(c, fiber.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", "Saved "+a.Name+".")
	return web.Redirect(c, view.Href(a.ID))
}

func accountConfirmView(a accounts.Account, suspend bool) view.Confirm {
	return view.Confirm{ID: a.ID, Name: a.Name, Email: a.Email, Suspend: suspend}
}

// confirmStatus shows the suspend (or reactivate) confirmation: a dialog for
// htmx, a page otherwise.
func (h *Accounts) confirmStatus(c *fiber.Ctx, suspend bool) error {
	a, err := h.account(c)
	if err != nil {
		return err
	}
	if a.Suspended() == suspend {
		msg := accounts.ErrNotSuspended.Error()
		if suspend {
			msg = accounts.ErrAlreadySuspended.Error()
		}
		msg = web.Capitalize(msg) + "."
		if web.IsHTMX(c) {
			// Someone else changed it meanwhile: show the current state.
			c.Set("HX-Retarget", "#account-header")
			c.Set("HX-Reswap", "outerHTML")
			return web.Render(c, fiber.StatusOK, components.WithToast(view.Header(h.detailView(c, a, "")), components.Toast{Kind: "info", Message: msg}))
		}
		h.app.Toast(c, "info", msg)
		return web.Redirect(c, view.Href(a.ID))
	}
	return h.renderConfirm(c, fiber.StatusOK, accountConfirmView(a, suspend))
}

func (h *Accounts) renderConfirm(c *fiber.Ctx, status int, v view.Confirm) error {
	p := h.app.Page(c, v.Title(), "accounts", accountsCrumb, layouts.Crumb{Label: v.Name, Href: view.Href(v.ID)},
		layouts.Crumb{Label: strings.TrimSuffix(v.Submit(), " account")})
	if web.IsHTMX(c) {
		return web.Render(c, status, view.ConfirmDialog(v, p.CSRF))
	}
	return web.Render(c, status, view.ConfirmPage(p, v))
}

// setStatus suspends or reactivates. With htmx the answer is the new
// #account-header and a toast; otherwise a redirect to the account.
func (h *Accounts) setStatus(c *fiber.Ctx, suspend bool) error {
	id, err := accountID(c)
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	change, done := h.svc.Reactivate, "reactivated"
	if suspend {
		change, done = h.svc.Suspend, "suspended"
	}
	a, err := change(c.UserContext(), web.Actor(c), id, reason)
	errs := accountFormErrors(err)
	var conflict error
	for _, e := range []error{accounts.ErrAlreadySuspended, accounts.ErrNotSuspended} {
		if errors.Is(err, e) {
			conflict = e
		}
	}
	if errs != nil || conflict != nil {
		cur, gerr := h.svc.Get(c.UserContext(), id)
		if gerr != nil {
			return gerr
		}
		v := accountConfirmView(cur, suspend)
		v.Reason, v.Error = reason, errs["reason"]
		status := fiber.StatusUnprocessableEntity
		if conflict != nil {
			v.FormError, status = web.Capitalize(conflict.Error())+".", fiber.StatusConflict
		}
		if web.IsHTMX(c) {
			// htmx swaps only 2xx answers: put the dialog back with its message.
			c.Set("HX-Retarget", "#dialog-host")
			c.Set("HX-Reswap", "innerHTML")
			status = fiber.StatusOK
		}
		return h.renderConfirm(c, status, v)
	}
	if err != nil {
		return err
	}
	msg := a.Name + " " + done + "."
	if web.IsHTMX(c) {
		return web.Render(c, fiber.StatusOK, components.WithToast(view.Header(h.detailView(c, a, "")), components.Toast{Kind: "success", Message: msg}))
	}
	h.app.Toast(c, "success", msg)
	return web.Redirect(c, view.Href(a.ID))
}

func (h *Accounts) suspendForm(c *fiber.Ctx) error    { return h.confirmStatus(c, true) }
func (h *Accounts) reactivateForm(c *fiber.Ctx) error { return h.confirmStatus(c, false) }
func (h *Accounts) suspend(c *fiber.Ctx) error        { return h.setStatus(c, true) }
func (h *Accounts) reactivate(c *fiber.Ctx) error     { return h.setStatus(c, false) }

// productTabs are the product tabs of the account page, from the product
// registry (views never import it; they get these plain structs).
var productTabs = func() []view.Product {
	var out []view.Product
	for _, p := range product.All() {
		t := p.AccountTab
		out = append(out, view.Product{Tab: t.Tab, Name: t.Label, Icon: p.Icon,
			IconClass: components.ProductIconClass(p.Hue), EmptyTitle: t.EmptyTitle, EmptyBody: t.EmptyBody})
	}
	return out
}()
