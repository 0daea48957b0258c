package licensing

// The script page of either face: facts, flags, the code view of a
// version, the version list, diffs between versions, the upload form (a
// file or pasted source) and, in the console, the audit history.

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/textdiff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/licensing"
)

// ScriptService is what the script page needs of internal/licensing, as
// licensing.Service (the console) or licensing.Scoped (the portal) gives it.
type ScriptService interface {
	UpdateScript(ctx context.Context, actor audit.Actor, projectID, scriptID string, in licensing.ScriptUpdate) (licensing.Script, error)
	GetScript(ctx context.Context, projectID, scriptID string) (licensing.Script, error)
	ScriptVersions(ctx context.Context, projectID, scriptID string) ([]licensing.ScriptVersion, error)
	ScriptVersion(ctx context.Context, projectID, scriptID string, version int) (licensing.ScriptVersion, error)
}

// Scripts is the script page of one face: the console's (over every
// account) and the portal's (handlers/portal/licensing, over the session's
// account) are this one handler with their own paths, scope, permission and
// frame, as lumora.Templates is for the mail templates. Each face's route
// table names its methods with the face's permissions.
type Scripts struct {
	App  *web.App // set by the face's Routes
	Face view.ScriptFace
	// Project finds the request's project within the face's scope, and the
	// service the script's calls go through.
	Project func(c *fiber.Ctx, projectID string) (ScriptService, licensing.Project, error)
	// CanManage: the request may set flags and upload.
	CanManage func(c *fiber.Ctx) bool
	// Page is the face's frame of a page (its area's crumb first).
	Page func(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page
}

var scriptTabs = map[string]bool{"code": true, "versions": true, "diff": true, "upload": true, "history": true}

// diffContext is how many unchanged lines a diff shows around each change.
const diffContext = 3

// echoLimit is the largest pasted source a failed upload shows again.
const echoLimit = 64 << 10

func licSize(n int) string {
	switch {
	case n < 1024:
		return strconv.Itoa(n) + " B"
	case n < 1024*1024:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB"
	}
	return strconv.FormatFloat(float64(n)/(1024*1024), 'f', 1, 64) + " MB"
}

// load finds the script within the face's scope and builds what every tab
// shows (facts, flags, version list).
func (h *Scripts) load(c *fiber.Ctx) (ScriptService, view.ScriptPage, licensing.Script, error) {
	ctx := c.UserContext()
	svc, p, err := h.Project(c, c.Params("pid"))
	if err != nil {
		return nil, view.ScriptPage{}, licensing.Script{}, err
	}
	s, err := svc.GetScript(ctx, p.ID, c.Params("sid"))
	if err != nil {
		return nil, view.ScriptPage{}, s, err
	}
	versions, err := svc.ScriptVersions(ctx, p.ID, s.ID)
	if err != nil {
		return nil, view.ScriptPage{}, s, err
	}
	v := view.ScriptPage{Face: h.Face, Script: view.ScriptView{ScriptRow: scriptRow(s), ProjectName: p.Name, Created: components.ExactTime(s.CreatedAt)},
		Tab: "code", CanManage: h.CanManage(c), MaxSize: licSize(licensing.MaxScriptLen),
		Flags:  view.FlagsForm{Silent: s.Silent, FFA: s.FFA, Heartbeat: s.Heartbeat, Lightning: s.Lightning},
		Upload: view.UploadForm{Errors: map[string]string{}}}
	v.Script.LastRun = ""
	if s.LastExecutionAt != nil {
		v.Script.LastRun = components.ExactTime(*s.LastExecutionAt)
	}
	for _, ver := range versions {
		v.Versions = append(v.Versions, view.VersionRow{Version: ver.Version, SHA256: ver.SHA256, Size: licSize(ver.Size),
			Flags: licFlagNames(ver), CreatedBy: ver.CreatedBy, Created: ver.CreatedAt, Current: ver.Version == s.Version})
	}
	return svc, v, s, nil
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

func (h *Scripts) render(c *fiber.Ctx, status int, v view.ScriptPage) error {
	p := h.Page(c, v.Script.Name, layouts.Crumb{Label: v.Script.ProjectName, Href: h.Face.ProjectHref(v.Script.ProjectID)},
		layouts.Crumb{Label: v.Script.Name})
	v.CSRF = p.CSRF
	return web.Render(c, status, view.ScriptDetailPage(p, v))
}

// Show is the script page; ?tab= picks the tab, ?v= a version for the code
// view, ?from=&to= the versions of the diff.
func (h *Scripts) Show(c *fiber.Ctx) error {
	svc, v, s, err := h.load(c)
	if err != nil {
		return err
	}
	if t := c.Query("tab"); t != "" {
		if !scriptTabs[t] || (t == "upload" && !v.CanManage) || (t == "history" && h.Face.Portal) {
			return fiber.NewError(fiber.StatusNotFound, "That script tab does not exist.")
		}
		v.Tab = t
	}
	ctx := c.UserContext()
	// version reads a version number of the query (def when absent).
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
		v.Code = &view.CodeView{Version: ver.Version, Lines: textdiff.SplitLines(ver.Source), SHA256: ver.SHA256, Size: licSize(ver.Size),
			CreatedBy: ver.CreatedBy, Created: components.ExactTime(ver.CreatedAt)}
	case "diff":
		if len(v.Versions) < 2 {
			break
		}
		from, okFrom := version(c.Query("from"), s.Version-1)
		to, okTo := version(c.Query("to"), s.Version)
		if !okFrom || !okTo {
			v.DiffError = "Pick two versions of this script (1 to " + strconv.Itoa(s.Version) + ")."
			return h.render(c, fiber.StatusUnprocessableEntity, v)
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
			v.Upload.Source = cur.Source
		}
	}
	return h.render(c, fiber.StatusOK, v)
}

// UpdateFlags saves the flags form (the console asks for a reason).
func (h *Scripts) UpdateFlags(c *fiber.Ctx) error {
	svc, v, s, err := h.load(c)
	if err != nil {
		return err
	}
	form := view.FlagsForm{Silent: web.Checked(c, "silent"), FFA: web.Checked(c, "ffa"), Heartbeat: web.Checked(c, "heartbeat"),
		Lightning: web.Checked(c, "lightning"), Reason: web.FieldText(c, "reason")}
	saved, err := svc.UpdateScript(c.UserContext(), web.Actor(c), s.ProjectID, s.ID, licensing.ScriptUpdate{
		Silent: &form.Silent, FFA: &form.FFA, Heartbeat: &form.Heartbeat, Lightning: &form.Lightning, Reason: form.Reason})
	if errs := web.FieldErrors(err, nil); errs != nil {
		form.Errors = errs
		v.Flags = form
		return h.render(c, fiber.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	h.App.Toast(c, "success", "Flags of "+saved.Name+" saved.")
	return web.Redirect(c, h.Face.ScriptHref(saved.ProjectID, saved.ID))
}

// Upload makes a new version from the file, or else the pasted source.
func (h *Scripts) Upload(c *fiber.Ctx) error {
	svc, v, s, err := h.load(c)
	if err != nil {
		return err
	}
	v.Tab = "upload"
	v.Upload.Reason = web.FieldText(c, "reason")
	if src, ok := uploadedSource(c, &v.Upload); ok {
		saved, err := svc.UpdateScript(c.UserContext(), web.Actor(c), s.ProjectID, s.ID, licensing.ScriptUpdate{Source: &src, Reason: v.Upload.Reason})
		if errs := web.FieldErrors(err, nil); errs != nil {
			v.Upload.Errors = errs
		} else if errs := planRefusal(err, "script"); errs != nil {
			v.Upload.Errors = errs
		} else if err != nil {
			return err
		} else {
			h.App.Toast(c, "success", "Version "+strconv.Itoa(saved.Version)+" of "+saved.Name+" uploaded.")
			return web.Redirect(c, h.Face.ScriptHref(saved.ProjectID, saved.ID))
		}
	}
	if len(v.Upload.Source) > echoLimit {
		v.Upload.Source = "" // not worth echoing back
	}
	return h.render(c, fiber.StatusUnprocessableEntity, v)
}

// uploadedSource reads the file field (its size checked before reading it)
// or else the textarea; false with f.Errors set when neither gives a source.
func uploadedSource(c *fiber.Ctx, f *view.UploadForm) (string, bool) {
	f.Source = web.FieldText(c, "script")
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		if fh.Size > licensing.MaxScriptLen {
			f.Errors["file"] = "The file is " + licSize(int(fh.Size)) + "; a script is at most " + licSize(licensing.MaxScriptLen) + "."
			return "", false
		}
		r, err := fh.Open()
		if err != nil {
			f.Errors["file"] = "The file could not be read; choose it again."
			return "", false
		}
		defer r.Close()
		b, err := io.ReadAll(io.LimitReader(r, licensing.MaxScriptLen+1))
		if err != nil {
			f.Errors["file"] = "The file could not be read; choose it again."
			return "", false
		}
		if strings.TrimSpace(string(b)) == "" {
			f.Errors["file"] = "The file is empty."
			return "", false
		}
		return strings.ReplaceAll(string(b), "\r\n", "\n"), true
	}
	if strings.TrimSpace(f.Source) == "" {
		f.Errors["script"] = "Choose a file or paste the script's source."
		return "", false
	}
	return f.Source, true
}
