package licensing

import (
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/licensing"
	"lumdesk/internal/product"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	accountsview "lumdesk/views/pages/accounts"
	view "lumdesk/views/pages/licensing"
)

func (h *Bulk) accountTab(c *fiber.Ctx, accountID int64) (view.AccountTab, error) {
	ctx := c.UserContext()
	acc, details, err := h.lic.AccountDetails(ctx, accountID)
	if err != nil {
		return view.AccountTab{}, err
	}
	ids := make([]int64, len(details))
	for i, d := range details {
		ids[i] = d.Project.DBID
	}
	counts, err := h.lic.ProjectKeyCounts(ctx, ids, licensing.MaxKeyCount)
	if err != nil {
		return view.AccountTab{}, err
	}
	v := view.AccountTab{AccountID: acc.ID, AccountName: acc.Name, CanManage: web.Can(c, staff.PermLicensingManage)}
	for _, d := range details {
		keys := components.Thousands(counts[d.Project.DBID])
		if counts[d.Project.DBID] >= licensing.MaxKeyCount {
			keys += "+"
		}
		v.Projects = append(v.Projects, view.AccountTabProject{ID: d.Project.ID, Name: d.Project.Name, Keys: keys,
			Scripts: strconv.Itoa(len(d.Scripts)), Cooldown: bulkDuration(d.Project.ResetCooldown),
			Created: d.Project.CreatedAt})
	}
	return v, nil
}

// AccountTabProduct: Bulk renders the licensing product's account tab.
func (h *Bulk) AccountTabProduct() string { return product.Licensing }

// AccountTab is the account page's Luarmor tab: the projects at once. A user
// without licensing.view gets the tab's loader, which the fragment route
// then refuses.
func (h *Bulk) AccountTab(c *fiber.Ctx, accountID int64) (templ.Component, error) {
	if !web.Can(c, staff.PermLicensingView) {
		return view.AccountTabLoader(accountID), nil
	}
	v, err := h.accountTab(c, accountID)
	if err != nil {
		return nil, err
	}
	return view.AccountTabContent(v), nil
}

// accountProjects is an account's Luarmor projects: the fragment the
// account page's Luarmor tab loads, or a page of its own.
func (h *Bulk) accountProjects(c *fiber.Ctx) error {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return licensing.ErrAccountNotFound
	}
	v, err := h.accountTab(c, id)
	if err != nil {
		return err
	}
	c.Vary("HX-Request")
	if web.IsHTMX(c) && c.Get("HX-History-Restore-Request") != "true" {
		return web.Render(c, fiber.StatusOK, view.AccountTabContent(v))
	}
	p := h.app.Page(c, "Luarmor projects of "+v.AccountName, "accounts", layouts.Crumb{Label: "Accounts", Href: "/accounts"},
		layouts.Crumb{Label: v.AccountName, Href: "/accounts/" + strconv.FormatInt(v.AccountID, 10) + "?tab=luarmor"}, layouts.Crumb{Label: "Luarmor"})
	return web.Render(c, fiber.StatusOK, view.AccountTabPage(p, v))
}

// AccountOverview is the Luarmor card on the account's Overview tab: its
// projects and keys, counted within the account's scope.
func (h *Bulk) AccountOverview(c *fiber.Ctx, accountID int64) (accountsview.OverviewCard, error) {
	if !web.Can(c, staff.PermLicensingView) {
		return accountsview.OverviewCard{Empty: &accountsview.CardEmpty{Title: "You cannot see Luarmor data."}}, nil
	}
	o, err := h.lic.In(accounts.Only(accountID)).Overview(c.UserContext())
	if err != nil {
		return accountsview.OverviewCard{}, err
	}
	canManage := web.Can(c, staff.PermLicensingManage)
	switch {
	case o.Projects == 0:
		e := &accountsview.CardEmpty{Title: "No Luarmor projects yet."}
		if canManage {
			e.Title, e.ActionLabel, e.ActionHref = "No Luarmor projects yet — create one to issue license keys.", "Create project", "/luarmor/projects/new?account="+strconv.FormatInt(accountID, 10)
		}
		return accountsview.OverviewCard{Empty: e}, nil
	case o.Keys.Total == 0:
		e := &accountsview.CardEmpty{Title: "No license keys yet."}
		if canManage {
			e.Title, e.ActionLabel, e.ActionHref = "No license keys yet — generate some for a project.", "Generate keys", view.GeneratePath
		}
		return accountsview.OverviewCard{Empty: e}, nil
	}
	n, banTone := components.Thousands, ""
	if o.Keys.Banned > 0 {
		banTone = "red"
	}
	card := accountsview.OverviewCard{Figures: []accountsview.Figure{
		{Label: "Projects", Value: strconv.Itoa(o.Projects), Key: "projects"},
		{Label: "Keys", Value: n(o.Keys.Total), Key: "keys"},
		{Label: "Active", Value: n(o.Keys.Active), Key: "active"},
		{Label: "Blacklisted", Value: n(o.Keys.Banned), Key: "blacklisted", Tone: banTone},
	}}
	card.Facts = append(card.Facts, accountsview.Fact{Label: "Last key activity", Value: components.RelTime(o.LastActivity, time.Now())})
	return card, nil
}
