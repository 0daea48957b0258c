package lumora

import (
	"strconv"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/mail"
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/product"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	accountsview "lumdesk/views/pages/accounts"
	view "lumdesk/views/pages/lumora"
)

// accountShown is how many apps, domains and messages the account tab lists;
// the lists behind its links hold the rest.
const accountShown = 20

// AccountTabProduct: Lumora renders the mail product's account tab.
func (h *Lumora) AccountTabProduct() string { return product.Mail }

// AccountTab is the account page's Lumora tab: the account's apps, sending
// domains and latest messages, each read within the account's scope.
func (h *Lumora) AccountTab(c *fiber.Ctx, accountID int64) (templ.Component, error) {
	v := view.AccountTab{AccountID: accountID, CanSee: web.Can(c, staff.PermMailView), CanManage: web.Can(c, staff.PermMailManage)}
	if !v.CanSee {
		return view.AccountTabContent(v), nil
	}
	ctx, scope := c.UserContext(), accounts.Only(accountID)
	apps, err := h.svc.ListApps(ctx, scope, 0, accountShown)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		v.Apps = append(v.Apps, view.AppRow{ID: a.ID, Name: a.Name, Created: a.CreatedAt})
	}
	doms, err := h.svc.ListDomains(ctx, mail.DomainFilter{Scope: scope, Limit: accountShown})
	if err != nil {
		return nil, err
	}
	for _, d := range doms {
		v.Domains = append(v.Domains, view.DomainRow{ID: d.ID, AccountID: d.AccountID, Name: d.Name, Status: d.Status,
			LastChecked: d.LastCheckedAt, Created: d.CreatedAt})
	}
	msgs, err := h.svc.ListMessages(ctx, mail.MessageFilter{Scope: scope, Limit: 10})
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		v.Messages = append(v.Messages, view.MessageRow{PublicID: m.PublicID, From: m.FromEmail, Subject: m.Subject,
			Status: m.Status, AccountID: m.AccountID, AppID: m.AppID, Created: m.CreatedAt})
	}
	return view.AccountTabContent(v), nil
}

// AccountOverview is the Lumora card on the account's Overview tab.
func (h *Lumora) AccountOverview(c *fiber.Ctx, accountID int64) (accountsview.OverviewCard, error) {
	if !web.Can(c, staff.PermMailView) {
		return accountsview.OverviewCard{Empty: &accountsview.CardEmpty{Title: "You cannot see Lumora data."}}, nil
	}
	ctx, scope := c.UserContext(), accounts.Only(accountID)
	apps, err := h.svc.ListApps(ctx, scope, 0, 200)
	if err != nil {
		return accountsview.OverviewCard{}, err
	}
	doms, err := h.svc.CountDomains(ctx, mail.DomainFilter{Scope: scope}, listcount.Cap)
	if err != nil {
		return accountsview.OverviewCard{}, err
	}
	if len(apps) == 0 && doms.N == 0 {
		e := &accountsview.CardEmpty{Title: "No Lumora apps or sending domains yet."}
		if web.Can(c, staff.PermMailManage) {
			e.Title, e.ActionLabel, e.ActionHref = "No sending domains yet — add one to send mail from it.", "Add domain",
				view.NewDomainPath+"?account="+strconv.FormatInt(accountID, 10)
		}
		return accountsview.OverviewCard{Empty: e}, nil
	}
	failing, err := h.svc.CountDomains(ctx, mail.DomainFilter{Scope: scope, Status: mail.StatusFailing}, listcount.Cap)
	if err != nil {
		return accountsview.OverviewCard{}, err
	}
	msgs, err := h.svc.CountMessages(ctx, mail.MessageFilter{Scope: scope}, listcount.Cap)
	if err != nil {
		return accountsview.OverviewCard{}, err
	}
	count := func(n listcount.Count) string {
		s := components.Thousands(n.N)
		if n.More {
			s += "+"
		}
		return s
	}
	tone := ""
	if failing.N > 0 {
		tone = "red"
	}
	return accountsview.OverviewCard{Figures: []accountsview.Figure{
		{Label: "Apps", Value: strconv.Itoa(len(apps)), Key: "apps"},
		{Label: "Domains", Value: count(doms), Key: "domains"},
		{Label: "Failing", Value: count(failing), Key: "failing", Tone: tone},
		{Label: "Messages", Value: count(msgs), Key: "messages"},
	}}, nil
}
