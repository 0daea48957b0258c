package licensing

// The script page: flags, the code view of a version, the version list,
// diffs between versions and the upload form.

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/textdiff"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/licensing"
)

var scriptTabs = map[string]bool{"code": true, "versions": true, "diff": true, "upload": true, "history": true}

// diffContext is how many unchanged lines a diff shows around each change.
const diffContext = 3

func licSize(n int) string {
	switch {
	case n < 1024:
		return strconv.Itoa(n) + " B"
	case n < 1024*1024:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB"
	}
	return strconv.FormatFloat(float64(n)/(1024*1024), 'f', 1, 64) + " MB"
}

// scriptPage loads what every tab shows (facts, flags, version list).
func (h *Licensing) scriptPage(c *fiber.Ctx) (view.ScriptPage, licensing.Script, error) {
	ctx := c.UserContext()
	p, err := h.svc.GetProject(ctx, c.Params("pid"))
	if err != nil {
		return view.ScriptPage{}, licensing.Script{}, err
	}
	s, err := h.svc.GetScript(ctx, p.ID, c.Params("sid"))
	if err != nil {
		return view.ScriptPage{}, licensing.Script{}, err
	}
	versions, err := h.svc.ScriptVersions(ctx, p.ID, s.ID)
	if err != nil {
		return view.ScriptPage{}, licensing.Script{}, err
	}
	v := view.ScriptPage{Script: view.ScriptView{ScriptRow: scriptRow(s), ProjectName: p.Name, Created: components.ExactTime(s.CreatedAt)},
		Tab: "code", CanManage: web.Can(c, staff.PermLicensingManage),
		Flags: view.FlagsForm{Silent: s.Silent, FFA: s.FFA, Heartbeat: s.Heartbeat, Lightning: s.Lightning}}
	if s.LastExecutionAt != nil {
		v.Script.LastRun = components.ExactTime(*s.LastExecutionAt)
	} else {
		v.Script.LastRun = ""
	}
	for _, ver := range versions {
		v.Versions = append(v.Versions, view.VersionRow{Version: ver.Version, SHA256: ver.SHA256, Size: licSize(ver.Size),
			Flags: licFlagNames(ver), CreatedBy: ver.CreatedBy, Created: ver.CreatedAt, Current: ver.Version == s.Version})
	}
	return v, s, nil
}

func licFlagNames(v licensing.ScriptVersion) []string {
	var out []string
	for _, f := range []struct {
		on   bool
		name string
	}{{v.Silent, "Silent"}, {v.FFA, "FFA"}, {v.Heartbeat, "Heartbeat"}, {v.Lightning, "Lightning"}} {
		if f.on {
			out = append(out, f.name)
		}
	}
	return out
}

func (h *Licensing) renderScript(c *fiber.Ctx, status int, v view.ScriptPage) error {
	p := h.app.Page(c, v.Script.Name, "luarmor", luarmorCrumb,
		layouts.Crumb{Label: v.Script.ProjectName, Href: view.ProjectHref(v.Script.ProjectID)}, layouts.Crumb{Label: v.Script.Name})
	v.CSRF = p.CSRF
	return web.Render(c, status, view.ScriptDetailPage(p, v))
}

// script is the script page; ?tab= picks the tab, ?v= a version for the
// code view, ?from=&to= the versions of the diff.
func (h *Licensing) script(c *fiber.Ctx) error {
	v, s, err := h.scriptPage(c)
	if err != nil {
		return err
	}
	if t := c.Query("tab"); t != "" {
		if !scriptTabs[t] || (t == "upload" && !v.CanManage) {
			return fiber.NewError(fiber.StatusNotFound, "That script tab does not exist.")
		}
		v.Tab = t
	}
	ctx := c.UserContext()
	switch v.Tab {
	case "code":
		if s.Version == 0 {
			break
		}
		n := s.Version
		if q := c.Query("v"); q != "" {
			id, ok := web.ParseID(q)
			if !ok || id > int64(s.Version) {
				return fiber.NewError(fiber.StatusNotFound, "This script has no version "+strconv.Quote(q)+".")
			}
			n = int(id)
		}
		ver, err := h.svc.ScriptVersion(ctx, s.ProjectID, s.ID, n)
		if err != nil {
			return err
		}
		v.Code = &view.CodeView{Version: ver.Version, Lines: textdiff.SplitLines(ver.Source), SHA256: ver.SHA256, Size: licSize(ver.Size),
			CreatedBy: ver.CreatedBy, Created: components.ExactTime(ver.CreatedAt)}
	case "diff":
		if len(v.Versions) < 2 {
			break
		}
		from, to := s.Version-1, s.Version
		bad := false
		if q := c.Query("from"); q != "" {
			id, ok := web.ParseID(q)
			bad = bad || !ok || id > int64(s.Version)
			from = int(id)
		}
		if q := c.Query("to"); q != "" {
			id, ok := web.ParseID(q)
			bad = bad || !ok || id > int64(s.Version)
			to = int(id)
		}
		if bad {
			v.DiffError = "Pick two versions of this script (1 to " + strconv.Itoa(s.Version) + ")."
			return h.renderScript(c, fiber.StatusUnprocessableEntity, v)
		}
		a, err := h.svc.ScriptVersion(ctx, s.ProjectID, s.ID, from)
		if err != nil {
			return err
		}
		b, err := h.svc.ScriptVersion(ctx, s.ProjectID, s.ID, to)
		if err != nil {
			return err
		}
		hunks, added, removed, ok := textdiff.LineDiff(a.Source, b.Source, diffContext)
		v.Diff = &view.DiffView{From: from, To: to, Hunks: hunks, Added: added, Removed: removed, TooBig: !ok}
	case "upload":
		if s.Version > 0 {
			cur, err := h.svc.ScriptVersion(ctx, s.ProjectID, s.ID, 0)
			if err != nil {
				return err
			}
			v.Upload.Source = cur.Source
		}
	}
	return h.renderScript(c, fiber.StatusOK, v)
}

func (h *Licensing) updateFlags(c *fiber.Ctx) error {
	v, s, err := h.scriptPage(c)
	if err != nil {
		return err
	}
	form := view.FlagsForm{Silent: web.Checked(c, "silent"), FFA: web.Checked(c, "ffa"), Heartbeat: web.Checked(c, "heartbeat"),
		Lightning: web.Checked(c, "lightning"), Reason: web.FieldText(c, "reason")}
	saved, err := h.svc.UpdateScript(c.UserContext(), web.Actor(c), s.ProjectID, s.ID, licensing.ScriptUpdate{
		Silent: &form.Silent, FFA: &form.FFA, Heartbeat: &form.Heartbeat, Lightning: &form.Lightning, Reason: form.Reason})
	if errs := web.FieldErrors(err, nil); errs != nil {
		form.Errors = errs
		v.Flags = form
		return h.renderScript(c, fiber.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", "Flags of "+saved.Name+" saved.")
	return web.Redirect(c, view.ScriptHref(saved.ProjectID, saved.ID))
}

func (h *Licensing) uploadVersion(c *fiber.Ctx) error {
	v, s, err := h.scriptPage(c)
	if err != nil {
		return err
	}
	form := view.UploadForm{Source: web.FieldText(c, "script"), Reason: web.FieldText(c, "reason"), Errors: map[string]string{}}
	if strings.TrimSpace(form.Source) == "" {
		form.Errors["script"] = "Paste the script's source."
	} else {
		saved, err := h.svc.UpdateScript(c.UserContext(), web.Actor(c), s.ProjectID, s.ID, licensing.ScriptUpdate{Source: &form.Source, Reason: form.Reason})
		if errs := web.FieldErrors(err, nil); errs != nil {
			form.Errors = errs
		} else if errs := planRefusal(err, "script"); errs != nil {
			form.Errors = errs
		} else if err != nil {
			return err
		} else {
			h.app.Toast(c, "success", "Version "+strconv.Itoa(saved.Version)+" of "+saved.Name+" uploaded.")
			return web.Redirect(c, view.ScriptHref(saved.ProjectID, saved.ID))
		}
	}
	v.Tab, v.Upload = "upload", form
	return h.renderScript(c, fiber.StatusUnprocessableEntity, v)
}
