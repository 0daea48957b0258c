package lumio

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/marketplace/inspect"
	"lumdesk/internal/staff"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/lumio"
)

func (h *Lumio) version(c *fiber.Ctx) error {
	return h.renderVersion(c, fiber.StatusOK, view.ReviewForm{})
}

// renderVersion is the inspector, with a review form's state after a
// refused post.
func (h *Lumio) renderVersion(c *fiber.Ctx, status int, form view.ReviewForm) error {
	ctx, id := c.UserContext(), c.Params("id")
	v, err := h.svc.GetVersion(ctx, accounts.AllAccounts, id)
	if err != nil {
		return err
	}
	e, err := h.svc.GetExtension(ctx, accounts.AllAccounts, v.ExtensionID)
	if err != nil {
		return err
	}
	prev, err := h.svc.PreviousApproved(ctx, id)
	if err != nil {
		return err
	}
	p := view.VersionPage{ID: v.ID, Version: v.Version, Status: v.Status, Changelog: v.Changelog, ExtensionID: e.ID,
		ExtensionName: e.Name, AccountID: e.AccountID, AccountName: h.svc.AccountName(ctx, e.AccountID), Submitted: v.SubmittedAt,
		Reviewed: v.ReviewedAt, RejectionReason: v.RejectionReason, Rollout: v.RolloutPercent, Current: e.CurrentVersionID == v.ID,
		SHA256: v.BundleSHA256, Size: byteSize(v.BundleSize), Unpacked: byteSize(v.BundleUnpackedSize), FileCount: v.FileCount,
		CanReview: web.Can(c, staff.PermMarketplaceReview), CSRF: web.CSRFToken(c), Form: form, Tab: web.Field(c, "tab")}
	switch p.Tab {
	case "files", "diff", "manifest", "history":
	default:
		p.Tab = "files"
	}
	if prev != nil {
		p.PrevID, p.PrevVersion = prev.ID, prev.Version
	}
	r, err := inspect.Inspect(ctx, h.svc.OpenBundleSHA, v, prev, web.Field(c, "file"))
	if err != nil {
		h.app.Log().Warn("lumio inspect", "version", id, "err", err)
		p.InspectError = "The stored bundle could not be read, so its files are listed from the version's record only."
		r, _ = inspect.Inspect(ctx, nil, v, prev, "")
	}
	fillReport(&p, r)
	title := e.Name + " " + v.Version
	return web.Render(c, status, view.VersionDetail(h.page(c, title, layouts.Crumb{Label: e.Name, Href: view.ExtensionHref(e.ID)},
		layouts.Crumb{Label: v.Version}), p))
}

func fillReport(p *view.VersionPage, r *inspect.Report) {
	if r == nil {
		return
	}
	p.Manifest, p.Added, p.Changed = r.Manifest, r.Added, r.Changed
	for _, f := range r.Files {
		p.Files = append(p.Files, view.FileRow{Path: f.Path, Size: byteSize(f.Size), Change: f.Change, Binary: f.Binary,
			Minified: f.Minified, Large: f.Large, SHA256: f.SHA256})
	}
	for _, f := range r.Removed {
		p.Removed = append(p.Removed, view.FileRow{Path: f.Path, Size: byteSize(f.Size), Change: inspect.Removed, SHA256: f.SHA256})
	}
	for _, d := range r.Diffs {
		p.Diffs = append(p.Diffs, view.Diff{Path: d.Path, Hunks: d.Hunks, Added: d.Added, Removed: d.Removed, Note: d.Note})
	}
	for _, f := range r.Flags {
		p.Flags = append(p.Flags, view.Flag{Kind: f.Kind, Path: f.Path, Detail: f.Detail})
	}
	if r.Preview != nil {
		p.Preview = &view.Preview{Path: r.Preview.Path, Size: byteSize(r.Preview.Size), Text: r.Preview.Text,
			Binary: r.Preview.Binary, Truncated: r.Preview.Truncated}
	}
}

// review runs a review decision from its form: a refusal re-renders the
// inspector with the form's messages.
func (h *Lumio) review(c *fiber.Ctx, form view.ReviewForm, run func(id string) error, done string) error {
	id := c.Params("id")
	form.Errors = map[string]string{}
	err := run(id)
	if errs := web.FieldErrors(err, nil); errs != nil {
		form.Errors, form.Error = errs, "Nothing changed: fix the highlighted field." // its own message is under it
		return h.renderVersion(c, fiber.StatusUnprocessableEntity, form)
	}
	if errors.Is(err, marketplace.ErrNotPending) || errors.Is(err, marketplace.ErrNotApproved) {
		form.Error = "Nothing changed: " + err.Error() + "."
		return h.renderVersion(c, fiber.StatusConflict, form)
	}
	if err != nil {
		return err
	}
	web.CountsChanged(c)
	h.app.Toast(c, "success", done)
	return web.Redirect(c, view.VersionHref(id))
}

// rolloutField reads the rollout percentage; what is not a number is a
// field error.
func rolloutField(c *fiber.Ctx) (string, int, error) {
	raw := strings.TrimSpace(web.Truncate(web.Field(c, "rollout_percent"), 20))
	n, err := strconv.Atoi(raw)
	if err != nil {
		return raw, 0, marketplace.ValidationError{"rollout_percent": "Must be a whole number between 1 and 100."}
	}
	return raw, n, nil
}

func (h *Lumio) approve(c *fiber.Ctx) error {
	raw, n, perr := rolloutField(c)
	return h.review(c, view.ReviewForm{Action: "approve", Rollout: raw}, func(id string) error {
		if perr != nil {
			// An unknown version is not found before the input is judged.
			if _, err := h.svc.GetVersion(c.UserContext(), accounts.AllAccounts, id); err != nil {
				return err
			}
			return perr
		}
		_, err := h.svc.Approve(c.UserContext(), web.Actor(c), id, n)
		return err
	}, "Version approved.")
}

func (h *Lumio) rollout(c *fiber.Ctx) error {
	raw, n, perr := rolloutField(c)
	return h.review(c, view.ReviewForm{Action: "rollout", Rollout: raw}, func(id string) error {
		if perr != nil {
			if _, err := h.svc.GetVersion(c.UserContext(), accounts.AllAccounts, id); err != nil {
				return err
			}
			return perr
		}
		_, err := h.svc.SetRollout(c.UserContext(), web.Actor(c), id, n)
		return err
	}, "Rollout changed.")
}

func (h *Lumio) reject(c *fiber.Ctx) error {
	reason := web.Truncate(web.FieldText(c, "reason"), 2100)
	return h.review(c, view.ReviewForm{Action: "reject", Reason: reason}, func(id string) error {
		_, err := h.svc.Reject(c.UserContext(), web.Actor(c), id, reason)
		return err
	}, "Version rejected; the developer sees the reason.")
}
