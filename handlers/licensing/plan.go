package licensing

// An account's Luarmor plan (max users per project, script updates per
// month): shown on the account's Luarmor tab, set by staff holding
// licensing.plan.edit with a reason. The limits are enforced in
// internal/licensing; this file only reads and writes the plan.

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/licensing"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/licensing"
)

// planLimitText says a limit for people.
func planLimitText(n int, unit string) string {
	if n == licensing.Unlimited {
		return "No limit"
	}
	return licNum(int64(n)) + " " + unit
}

// planLimitField is a limit as the form shows it ("" for no limit).
func planLimitField(n int) string {
	if n == licensing.Unlimited {
		return ""
	}
	return strconv.Itoa(n)
}

// planRefusal is a plan limit's refusal (max users, monthly script
// updates) as the form's message on field, or nil for other errors.
func planRefusal(err error, field string) map[string]string {
	if errors.Is(err, licensing.ErrUserLimit) || errors.Is(err, licensing.ErrObfuscationQuota) {
		return map[string]string{field: web.Capitalize(err.Error()) + "."}
	}
	return nil
}

// planCard builds the plan card of an account, its form holding the saved plan.
func (h *Licensing) planCard(c *fiber.Ctx, accountID int64) (view.PlanCard, error) {
	ctx := c.UserContext()
	acc, err := h.svc.ResolveAccount(ctx, strconv.FormatInt(accountID, 10))
	if err != nil {
		return view.PlanCard{}, err
	}
	u, err := h.svc.PlanUsage(ctx, acc.ID)
	if err != nil {
		return view.PlanCard{}, err
	}
	v := view.PlanCard{AccountID: acc.ID, AccountName: acc.Name,
		MaxUsers:     planLimitText(u.MaxUsers, "keys per project"),
		Obfuscations: planLimitText(u.Obfuscations, "per month"),
		Used:         licNum(int64(u.ObfuscationsUsed)) + " this month",
		Remaining:    planLimitText(u.ObfuscationsRemaining, "left"),
		Resets:       components.Date(u.Month.AddDate(0, 1, 0)),
		CanEdit:      web.Can(c, staff.PermLicensingPlanEdit),
		Form:         view.PlanForm{MaxUsers: planLimitField(u.MaxUsers), Obfuscations: planLimitField(u.Obfuscations)},
	}
	if u.UpdatedAt != nil {
		v.Updated = components.ExactTime(*u.UpdatedAt)
	}
	return v, nil
}

// renderPlan answers with the card (htmx) or the plan page.
func (h *Licensing) renderPlan(c *fiber.Ctx, status int, v view.PlanCard) error {
	p := h.app.Page(c, "Luarmor plan of "+v.AccountName, "accounts", layouts.Crumb{Label: "Accounts", Href: "/accounts"},
		layouts.Crumb{Label: v.AccountName, Href: "/accounts/" + strconv.FormatInt(v.AccountID, 10) + "?tab=luarmor"},
		layouts.Crumb{Label: "Luarmor plan"})
	v.CSRF = p.CSRF
	c.Vary("HX-Request")
	if web.IsHTMX(c) && c.Get("HX-History-Restore-Request") != "true" {
		// htmx swaps only 2xx answers: the card with the form's messages
		// comes back 200 to replace the one on the page.
		return web.Render(c, fiber.StatusOK, view.PlanCardContent(v))
	}
	return web.Render(c, status, view.PlanPage(p, v))
}

// GET /luarmor/accounts/:id/plan
func (h *Licensing) plan(c *fiber.Ctx) error {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return licensing.ErrAccountNotFound
	}
	v, err := h.planCard(c, id)
	if err != nil {
		return err
	}
	return h.renderPlan(c, fiber.StatusOK, v)
}

// POST /luarmor/accounts/:id/plan
func (h *Licensing) setPlan(c *fiber.Ctx) error {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return licensing.ErrAccountNotFound
	}
	v, err := h.planCard(c, id)
	if err != nil {
		return err
	}
	f := view.PlanForm{MaxUsers: web.Field(c, "max_users"), Obfuscations: web.Field(c, "obfuscations"),
		Reason: web.FieldText(c, "reason"), Errors: map[string]string{}}
	const limitMsg = "Enter a whole number from 0 to 10,000,000, or leave it empty for no limit."
	maxUsers, ok := licensing.ParsePlanLimit(web.Truncate(f.MaxUsers, 40))
	if !ok {
		f.Errors["max_users"] = limitMsg
	}
	obf, ok := licensing.ParsePlanLimit(web.Truncate(f.Obfuscations, 40))
	if !ok {
		f.Errors["obfuscations"] = limitMsg
	}
	if len(f.Errors) == 0 {
		_, err := h.svc.SetPlan(c.UserContext(), web.Actor(c), id, licensing.PlanInput{MaxUsers: maxUsers, Obfuscations: obf, Reason: f.Reason})
		if errs := web.FieldErrors(err, nil); errs != nil {
			f.Errors = errs
		} else if err != nil {
			return err
		} else {
			h.app.Toast(c, "success", "Luarmor plan of "+v.AccountName+" saved.")
			if !web.IsHTMX(c) {
				return web.Redirect(c, "/accounts/"+strconv.FormatInt(id, 10)+"?tab=luarmor")
			}
			saved, err := h.planCard(c, id)
			if err != nil {
				return err
			}
			return h.renderPlan(c, fiber.StatusOK, saved)
		}
	}
	// Keep what was typed, within reason (a huge paste is not echoed back).
	f.MaxUsers = strings.ToValidUTF8(web.Truncate(f.MaxUsers, 40), "")
	f.Obfuscations = strings.ToValidUTF8(web.Truncate(f.Obfuscations, 40), "")
	f.Reason = strings.ToValidUTF8(web.Truncate(f.Reason, 4*licensing.MaxReasonLen), "")
	v.Form = f
	return h.renderPlan(c, fiber.StatusUnprocessableEntity, v)
}
