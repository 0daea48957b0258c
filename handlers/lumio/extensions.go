package lumio

import (
	"context"
	"encoding/csv"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/lumio"
)

// listFilter reads the extension list's filters; an account filter that is
// not an id is left out with a message in problems.
func listFilter(c *fiber.Ctx, l *view.ExtList, problems *[]string) marketplace.ConsoleFilter {
	l.Q = web.Truncate(web.Field(c, "q"), 200)
	l.Status, l.Visibility, l.Pricing = web.Field(c, "status"), web.Field(c, "visibility"), web.Field(c, "pricing")
	l.Sort, l.Cursor = web.Field(c, "sort"), web.Field(c, "cursor")
	f := marketplace.ConsoleFilter{Search: l.Q, Status: l.Status, Visibility: l.Visibility, Pricing: l.Pricing, Sort: l.Sort, Cursor: l.Cursor}
	if a := web.Field(c, "account"); a != "" {
		if id, ok := web.ParseID(a); ok {
			f.AccountID, l.Account = id, a
		} else {
			*problems = append(*problems, "The account filter must be an account id; showing every account.")
		}
	}
	return f
}

// dropRefused clears the filters the service refused, so the list shows
// what it can and says what it left out.
func dropRefused(f *marketplace.ConsoleFilter, l *view.ExtList, errs map[string]string, problems *[]string) {
	for k, msg := range errs {
		switch k {
		case "sort":
			f.Sort, l.Sort = "", ""
			*problems = append(*problems, msg+" Showing the most recently updated first.")
		case "status":
			f.Status, l.Status = "", ""
			*problems = append(*problems, "Unknown status filter; showing every status.")
		case "visibility":
			f.Visibility, l.Visibility = "", ""
			*problems = append(*problems, "Unknown visibility filter; showing every visibility.")
		case "pricing":
			f.Pricing, l.Pricing = "", ""
			*problems = append(*problems, "Unknown pricing filter; showing every pricing.")
		case "cursor":
			f.Cursor, l.Cursor = "", ""
			*problems = append(*problems, "That page link is not valid; showing the first page.")
		default:
			f.Search, l.Q = "", ""
			*problems = append(*problems, "The search is too long; showing everything.")
		}
	}
}

func (h *Lumio) extensions(c *fiber.Ctx) error {
	var problems []string
	l := view.ExtList{}
	f := listFilter(c, &l, &problems)
	f.Limit = pageSize
	ctx := c.UserContext()
	page, err := h.svc.ListConsole(ctx, f)
	if errs := web.FieldErrors(err, nil); errs != nil {
		dropRefused(&f, &l, errs, &problems)
		page, err = h.svc.ListConsole(ctx, f)
	}
	if err != nil {
		return err
	}
	l.Rows, l.Next = extRows(page.Extensions), page.Next
	l.Bar = h.app.ListBar(c, view.ExtensionsPath, l.Query(), l.ActiveFilters())
	l.Error = strings.Join(problems, " ")
	return web.Render(c, fiber.StatusOK, view.ExtensionsPage(h.page(c, "Extensions", layouts.Crumb{Label: "Extensions"}), l))
}

var exportHeader = []string{"id", "name", "slug", "account_id", "account", "status", "visibility", "deprecated", "pricing",
	"price", "installs", "current_version", "updated_at", "created_at"}

// export streams the filtered list as CSV, every page of it.
func (h *Lumio) export(c *fiber.Ctx) error {
	var problems []string
	l := view.ExtList{}
	f := listFilter(c, &l, &problems)
	f.Cursor, f.Limit = "", marketplace.MaxListLimit
	ctx := c.UserContext()
	first, err := h.svc.ListConsole(ctx, f)
	if errs := web.FieldErrors(err, nil); errs != nil {
		return fiber.NewError(fiber.StatusUnprocessableEntity, web.FieldErrorsText(errs))
	}
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return web.ExportRefused(problems)
	}
	svc, log, reqID := h.svc, h.app.Log(), web.RequestID(c)
	web.StreamCSV(c, "lumio-extensions-"+time.Now().UTC().Format("20060102-1504")+".csv", func(ctx context.Context, w *csv.Writer) error {
		if err := w.Write(exportHeader); err != nil {
			return err
		}
		page := first
		for {
			for _, e := range page.Extensions {
				p := e.Pricing
				price := ""
				if p.Type != marketplace.PricingFree {
					price = p.Amount.String() + " " + p.Currency
					if p.Interval != "" {
						price += " / " + p.Interval
					}
				}
				if err := w.Write([]string{e.ID, web.CsvCell(e.Name), e.Slug, strconv.FormatInt(e.AccountID, 10), web.CsvCell(e.AccountName),
					e.Status, e.Visibility, strconv.FormatBool(e.Deprecated), p.Type, price, strconv.FormatInt(e.InstallCount, 10),
					e.CurrentVersionID, e.UpdatedAt.Format(time.RFC3339), e.CreatedAt.Format(time.RFC3339)}); err != nil {
					return err
				}
			}
			if page.Next == "" {
				return nil
			}
			f.Cursor = page.Next
			var err error
			if page, err = svc.ListConsole(ctx, f); err != nil {
				return err
			}
		}
	}, func(err error) { log.Warn("lumio extension export stopped", "err", err, "request_id", reqID) })
	return nil
}

func (h *Lumio) extension(c *fiber.Ctx) error {
	return h.renderExtension(c, fiber.StatusOK, view.Moderation{})
}

// renderExtension is the extension's page, with a moderation form's state
// after a refused post.
func (h *Lumio) renderExtension(c *fiber.Ctx, status int, form view.Moderation) error {
	ctx, id := c.UserContext(), c.Params("id")
	e, err := h.svc.GetExtension(ctx, accounts.AllAccounts, id)
	if err != nil {
		return err
	}
	v := view.ExtensionPage{E: extRow(e, h.svc.AccountName(ctx, e.AccountID)), ShortDescription: e.ShortDescription,
		ReplacementID: e.ReplacementID, CurrentVersion: e.CurrentVersionID, Created: e.CreatedAt,
		CanReview: web.Can(c, staff.PermMarketplaceReview), CSRF: web.CSRFToken(c), Form: form, ActiveInstalls: "—"}
	versions, err := h.svc.ListVersions(ctx, accounts.AllAccounts, id)
	if err != nil {
		return err
	}
	for _, r := range versions {
		if r.ID == e.CurrentVersionID {
			v.CurrentLabel = r.Version
		}
		v.Versions = append(v.Versions, view.VersionRow{ID: r.ID, Version: r.Version, Status: r.Status, Rollout: r.RolloutPercent,
			Current: r.ID == e.CurrentVersionID, Submitted: r.SubmittedAt, Reason: r.RejectionReason})
	}
	secrets, err := h.svc.ListSecretNames(ctx, accounts.AllAccounts, id)
	if err != nil {
		return err
	}
	for _, s := range secrets {
		v.Secrets = append(v.Secrets, view.SecretRow{Name: s.Name, SetBy: s.SetBy, Updated: s.UpdatedAt})
	}
	h.installs(ctx, id, &v)
	return web.Render(c, status, view.ExtensionDetail(h.page(c, e.Name, layouts.Crumb{Label: "Extensions", Href: view.ExtensionsPath},
		layouts.Crumb{Label: e.Name}), v))
}

// installs fills the chart of active installs per day by version; a
// failure only leaves the chart out, saying why.
func (h *Lumio) installs(ctx context.Context, id string, v *view.ExtensionPage) {
	if st, err := h.svc.InstallStats(ctx, accounts.AllAccounts, id); err == nil {
		v.ActiveInstalls = components.Thousands(st.Active)
	}
	hist, err := h.svc.InstallHistory(ctx, accounts.AllAccounts, id, 30)
	if err != nil {
		h.app.Log().Warn("lumio install history", "extension", id, "err", err)
		v.InstallsNote = "Install history is not available yet."
		return
	}
	for _, s := range hist.Series {
		series := view.Series{Version: s.Version}
		for i, d := range hist.Days {
			var n int64
			if i < len(s.Active) {
				n = s.Active[i]
			}
			series.Points = append(series.Points, components.ChartPoint{Label: d.Format("Jan 2"), Value: n})
		}
		v.Series = append(v.Series, series)
	}
	if len(v.Series) == 0 {
		v.InstallsNote = "No installs in the last 30 days."
	}
}

// moderate runs one moderation action from its form: a refusal re-renders
// the page with the dialog open and the messages.
func (h *Lumio) moderate(c *fiber.Ctx, action string, run func(id, reason, replacement string) error, done string) error {
	id := c.Params("id")
	form := view.Moderation{Action: action, Reason: web.Truncate(web.FieldText(c, "reason"), 2100),
		Replacement: web.Truncate(web.Field(c, "replacement"), 100), Errors: map[string]string{}}
	err := run(id, form.Reason, form.Replacement)
	if errs := web.FieldErrors(err, nil); errs != nil {
		form.Errors, form.Error = errs, "Nothing changed: fix the highlighted field." // its own message is under it
		return h.renderExtension(c, fiber.StatusUnprocessableEntity, form)
	}
	var nf web.NotFoundError
	if errors.As(err, &nf) && nf.NotFound() {
		return err
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", done)
	return web.Redirect(c, view.ExtensionHref(id))
}

func (h *Lumio) suspend(c *fiber.Ctx) error {
	return h.moderate(c, "suspend", func(id, reason, _ string) error {
		_, err := h.svc.Suspend(c.UserContext(), web.Actor(c), id, reason)
		return err
	}, "Extension suspended.")
}

func (h *Lumio) unsuspend(c *fiber.Ctx) error {
	return h.moderate(c, "unsuspend", func(id, reason, _ string) error {
		_, err := h.svc.Unsuspend(c.UserContext(), web.Actor(c), id, reason)
		return err
	}, "Suspension lifted.")
}

func (h *Lumio) deprecate(c *fiber.Ctx) error {
	return h.moderate(c, "deprecate", func(id, reason, replacement string) error {
		_, err := h.svc.Deprecate(c.UserContext(), web.Actor(c), id, reason, replacement)
		return err
	}, "Extension deprecated.")
}

func (h *Lumio) undeprecate(c *fiber.Ctx) error {
	return h.moderate(c, "undeprecate", func(id, reason, _ string) error {
		_, err := h.svc.Undeprecate(c.UserContext(), web.Actor(c), id, reason)
		return err
	}, "Deprecation taken back.")
}
