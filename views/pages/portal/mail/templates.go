package mail

import (
	"net/url"
	"strconv"
	"time"

	"lumdesk/internal/platform/textdiff"
	"lumdesk/views/components"
)

// TemplatesPath lists the mail templates; NewTemplatePath is the create form.
const (
	TemplatesPath   = "/portal/lumora/templates"
	NewTemplatePath = "/portal/lumora/templates/new"
)

// TemplateHref is a template's page (by its tpl_ id: with every account in
// view a slug is ambiguous).
func TemplateHref(id string) string { return TemplatesPath + "/" + url.PathEscape(id) }

// TemplatePreviewHref is the template's rendered HTML alone, served under a
// sandboxing CSP for the page's iframe, with the preview variables (JSON).
func TemplatePreviewHref(id, vars string) string {
	h := TemplateHref(id) + "/preview"
	if vars != "" && vars != "{}" {
		h += "?" + url.Values{"vars": {vars}}.Encode()
	}
	return h
}

// TemplateList is the templates list.
type TemplateList struct {
	Cursor, NextCursor string
	Rows               []TemplateRow
	Error              string
	CanManage          bool
}

// TemplateRow is one template in the list.
type TemplateRow struct {
	ID, Slug, Name string
	AccountID      int64
	Version        int
	Updated        time.Time
}

// TemplatePage is a template's page.
type TemplatePage struct {
	ID, Slug, Name, Subject, Text string
	AccountID                     int64
	Version                       int
	HasHTML                       bool
	Created, Updated              time.Time
	// Vars is the preview variables as typed (JSON); PreviewError says why
	// the preview is not shown (bad JSON, a missing variable) instead.
	Vars, PreviewError string
	Versions           []TemplateVersionRow
	CanManage          bool
	CSRF               string
	Send               TestSendForm
}

// TestSendForm sends the template to an address through one of the
// account's apps, as the API would.
type TestSendForm struct {
	Apps                     []components.Option // the account's apps
	App, From, To, Variables string
	Errors                   map[string]string
	FormError                string
}

// TemplateSendHref sends a test email of the template (POST).
func TemplateSendHref(id string) string { return TemplateHref(id) + "/send" }

// TemplateVersionRow is one saved version.
type TemplateVersionRow struct {
	Version int
	Actor   string
	Created time.Time
}

// TemplateForm is the create form, and the edit form when ID is set (the
// account then stays as it is).
type TemplateForm struct {
	ID                                       string
	Account, Slug, Name, Subject, HTML, Text string
	Errors                                   map[string]string
	FormError                                string
	CSRF                                     string
}

// TemplateDiffHref compares version from of a template with its current one.
func TemplateDiffHref(id string, from int) string {
	return TemplateHref(id) + "/diff?from=" + strconv.Itoa(from)
}

// TemplateDiff is a template's changes: what changed from
// version From to the current version To, part by part.
type TemplateDiff struct {
	ID, Name string
	From, To int
	Parts    []TemplatePartDiff
}

// TemplatePartDiff is the line diff of one part (name, subject, HTML, text).
type TemplatePartDiff struct {
	Part           string
	Hunks          []textdiff.Hunk
	Added, Removed int
	TooBig         bool
}

// Changed reports whether the part differs.
func (d TemplatePartDiff) Changed() bool { return d.TooBig || len(d.Hunks) > 0 }

func partSummary(d TemplatePartDiff) string {
	if d.TooBig {
		return "Too many changes for a line diff"
	}
	if !d.Changed() {
		return "Unchanged"
	}
	return strconv.Itoa(d.Added) + " added, " + strconv.Itoa(d.Removed) + " removed"
}

// TemplateEditHref is a template's edit form; the form posts to the
// template's own path.
func TemplateEditHref(id string) string { return TemplateHref(id) + "/edit" }

func (v TemplateForm) action() string {
	if v.ID != "" {
		return TemplateHref(v.ID)
	}
	return TemplatesPath
}

func (v TemplateForm) cancel() string {
	if v.ID != "" {
		return TemplateHref(v.ID)
	}
	return TemplatesPath
}
