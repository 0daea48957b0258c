package licensing

// A script: its current code, versions, diffs, and uploading a new version
// (a file or pasted source) through Service.UpdateScript, as the API's PUT.

import (
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/textdiff"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/portal/licensing"
)

// diffContext is how many unchanged lines a diff shows around a change.
const diffContext = 3

var scriptTabs = map[string]bool{"code": true, "versions": true, "diff": true, "upload": true}

func size(n int) string {
	switch {
	case n < 1024:
		return strconv.Itoa(n) + " B"
	case n < 1024*1024:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB"
	}
	return strconv.FormatFloat(float64(n)/(1024*1024), 'f', 1, 64) + " MB"
}

// scriptPage loads the script (within the account) and its versions.
func (h *Portal) scriptPage(c *fiber.Ctx) (licensing.Scoped, view.ScriptPage, licensing.Script, error) {
	ctx := c.UserContext()
	svc, p, err := h.scoped(c).Project(ctx, c.Params("pid"))
	if err != nil {
		return svc, view.ScriptPage{}, licensing.Script{}, err
	}
	s, err := svc.GetScript(ctx, p.ID, c.Params("sid"))
	if err != nil {
		return svc, view.ScriptPage{}, s, err
	}
	versions, err := svc.ScriptVersions(ctx, p.ID, s.ID)
	if err != nil {
		return svc, view.ScriptPage{}, s, err
	}
	v := view.ScriptPage{ProjectID: p.ID, ProjectName: p.Name, Script: scriptRow(s), Tab: "code", CanDevelop: web.CustomerMay(c, customers.PermDevelop),
		MaxSize: size(licensing.MaxScriptLen), Errors: map[string]string{}}
	for _, ver := range versions {
		v.Versions = append(v.Versions, view.VersionRow{Version: ver.Version, SHA256: ver.SHA256, Size: size(ver.Size),
			CreatedBy: ver.CreatedBy, Created: ver.CreatedAt, Current: ver.Version == s.Version})
	}
	return svc, v, s, nil
}

func (h *Portal) renderScript(c *fiber.Ctx, status int, v view.ScriptPage) error {
	p := h.page(c, v.Script.Name, crumb, layouts.Crumb{Label: v.ProjectName, Href: view.ProjectHref(v.ProjectID)}, layouts.Crumb{Label: v.Script.Name})
	v.CSRF = p.CSRF
	return web.Render(c, status, view.ScriptDetailPage(p, v))
}

// script is the script page; ?tab= picks the tab, ?v= the version of the
// code view, ?from=&to= the versions of the diff.
func (h *Portal) script(c *fiber.Ctx) error {
	svc, v, s, err := h.scriptPage(c)
	if err != nil {
		return err
	}
	if t := c.Query("tab"); t != "" {
		if !scriptTabs[t] || (t == "upload" && !v.CanDevelop) {
			return fiber.NewError(fiber.StatusNotFound, "That script tab does not exist.")
		}
		v.Tab = t
	}
	ctx := c.UserContext()
	version := func(q string, def int) (int, bool) {
		if q == "" {
			return def, true
		}
		id, ok := web.ParseID(q)
		return int(id), ok && id <= int64(s.Version)
	}
	switch v.Tab {
	case "code":
		if s.Version == 0 {
			break
		}
		n, ok := version(c.Query("v"), s.Version)
		if !ok {
			return fiber.NewError(fiber.StatusNotFound, "This script has no version "+strconv.Quote(web.Truncate(c.Query("v"), 20))+".")
		}
		ver, err := svc.ScriptVersion(ctx, s.ProjectID, s.ID, n)
		if err != nil {
			return err
		}
		v.Code = &view.CodeView{Version: ver.Version, Lines: textdiff.SplitLines(ver.Source), SHA256: ver.SHA256, Size: size(ver.Size)}
	case "diff":
		if len(v.Versions) < 2 {
			break
		}
		from, okFrom := version(c.Query("from"), s.Version-1)
		to, okTo := version(c.Query("to"), s.Version)
		if !okFrom || !okTo {
			v.DiffError = "Pick two versions of this script (1 to " + strconv.Itoa(s.Version) + ")."
			return h.renderScript(c, fiber.StatusUnprocessableEntity, v)
		}
		a, err := svc.ScriptVersion(ctx, s.ProjectID, s.ID, from)
		if err != nil {
			return err
		}
		b, err := svc.ScriptVersion(ctx, s.ProjectID, s.ID, to)
		if err != nil {
			return err
		}
		hunks, added, removed, ok := textdiff.LineDiff(a.Source, b.Source, diffContext)
		v.Diff = &view.DiffView{From: from, To: to, Hunks: hunks, Added: added, Removed: removed, TooBig: !ok}
	case "upload":
		if s.Version > 0 {
			cur, err := svc.ScriptVersion(ctx, s.ProjectID, s.ID, 0)
			if err != nil {
				return err
			}
			v.Source = cur.Source
		}
	}
	return h.renderScript(c, fiber.StatusOK, v)
}

// upload makes a new version from the file, or else the pasted source.
func (h *Portal) upload(c *fiber.Ctx) error {
	svc, v, s, err := h.scriptPage(c)
	if err != nil {
		return err
	}
	v.Tab = "upload"
	src, ok := h.uploadedSource(c, &v)
	if ok {
		saved, err := svc.UpdateScript(c.UserContext(), web.Actor(c), s.ProjectID, s.ID, licensing.ScriptUpdate{Source: &src})
		if errs := web.FieldErrors(err, nil); errs != nil {
			v.Errors = errs
		} else if errs := planRefusal(err); errs != "" {
			v.Errors["script"] = errs
		} else if err != nil {
			return err
		} else {
			h.app.Toast(c, "success", "Version "+strconv.Itoa(saved.Version)+" of "+saved.Name+" uploaded.")
			return web.Redirect(c, view.ScriptHref(saved.ProjectID, saved.ID))
		}
	}
	if len(v.Source) > 64<<10 {
		v.Source = "" // not worth echoing back
	}
	return h.renderScript(c, fiber.StatusUnprocessableEntity, v)
}

func planRefusal(err error) string {
	if errors.Is(err, licensing.ErrObfuscationQuota) || errors.Is(err, licensing.ErrUserLimit) {
		return web.Capitalize(err.Error()) + "."
	}
	return ""
}

// uploadedSource reads the file field (size checked before reading it) or
// the textarea; false with v.Errors set when neither gives a source.
func (h *Portal) uploadedSource(c *fiber.Ctx, v *view.ScriptPage) (string, bool) {
	v.Source = web.FieldText(c, "script")
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		if fh.Size > licensing.MaxScriptLen {
			v.Errors["file"] = "The file is " + size(int(fh.Size)) + "; a script is at most " + size(licensing.MaxScriptLen) + "."
			return "", false
		}
		f, err := fh.Open()
		if err != nil {
			v.Errors["file"] = "The file could not be read; choose it again."
			return "", false
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, licensing.MaxScriptLen+1))
		if err != nil {
			v.Errors["file"] = "The file could not be read; choose it again."
			return "", false
		}
		if strings.TrimSpace(string(b)) == "" {
			v.Errors["file"] = "The file is empty."
			return "", false
		}
		return strings.ReplaceAll(string(b), "\r\n", "\n"), true
	}
	if strings.TrimSpace(v.Source) == "" {
		v.Errors["script"] = "Choose a file or paste the script's source."
		return "", false
	}
	return v.Source, true
}
