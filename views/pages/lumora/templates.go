package lumora

import (
	"net/url"
	"strconv"
	"time"

	"lumdesk/internal/platform/textdiff"
	"lumdesk/views/components"
)

// TemplatesPath lists the mail templates in the console.
const TemplatesPath = "/lumora/templates"

// TemplatesFace is where a face shows the template pages: the console's over
// every account, the portal's (handlers/portal/mail) over the session's
// account. One set of pages and handlers serves both, as the Discord links
// do; only the paths, the tabs and the account's place differ.
type TemplatesFace struct {
	Path string // the list; a template is Path/<tpl_ id>
	// Portal: the customer's own templates, so no account column or field,
	// and "your" in the words.
	Portal bool
	Tabs   func(active string) []components.Tab // the area's tabs
}

// ConsoleTemplates is the console's face of the template pages.
var ConsoleTemplates = TemplatesFace{Path: TemplatesPath, Tabs: AreaTabs}

// New is the create form.
func (f TemplatesFace) New() string { return f.Path + "/new" }

// Href is a template's page (by its tpl_ id: with every account in view a
// slug is ambiguous).
func (f TemplatesFace) Href(id string) string { return f.Path + "/" + url.PathEscape(id) }

// PreviewHref is the template's rendered HTML alone, served under a
// sandboxing CSP for the page's iframe, with the preview variables (JSON).
func (f TemplatesFace) PreviewHref(id, vars string) string {
	h := f.Href(id) + "/preview"
	if vars != "" && vars != "{}" {
		h += "?" + url.Values{"vars": {vars}}.Encode()
	}
	return h
}

// SendHref sends a test email of the template (POST).
func (f TemplatesFace) SendHref(id string) string { return f.Href(id) + "/send" }

// DiffHref compares version from of a template with its current one.
func (f TemplatesFace) DiffHref(id string, from int) string {
	return f.Href(id) + "/diff?from=" + strconv.Itoa(from)
}

// EditHref is a template's edit form; the form posts to the template's own
// path.
func (f TemplatesFace) EditHref(id string) string { return f.Href(id) + "/edit" }

// Whose names the owner of the templates in the pages' and the forms'
// words: "your apps" in the portal, "the account's apps" in the console.
func (f TemplatesFace) Whose() string {
	if f.Portal {
		return "your"
	}
	return "the account's"
}

// TemplateList is the templates list.
type TemplateList struct {
	Face               TemplatesFace
	Cursor, NextCursor string
	Rows               []TemplateRow
	Error              string
	CanManage          bool
	Bar                components.ListBar // the console's; the portal's list has none
}

// TemplateRow is one template in the list.
type TemplateRow struct {
	ID, Slug, Name string
	AccountID      int64
	Account        string // its name; "" shows "#id"
	Version        int
	Updated        time.Time
}

// TemplatePage is a template's page.
type TemplatePage struct {
	Face                          TemplatesFace
	ID, Slug, Name, Subject, Text string
	AccountID                     int64
	AccountName                   string // the console's; "": "#id"
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

// TemplateVersionRow is one saved version.
type TemplateVersionRow struct {
	Version int
	Actor   string
	Created time.Time
}

// TemplateForm is the create form, and the edit form when ID is set (the
// account then stays as it is).
type TemplateForm struct {
	Face TemplatesFace
	ID   string
	// Title is the saved template's name, for the heading and breadcrumb:
	// Name is the form's, which may be a refused edit.
	Title                                    string
	Account, Slug, Name, Subject, HTML, Text string
	Errors                                   map[string]string
	FormError                                string
	CSRF                                     string
}

// TemplateDiff is a template's diff?from=N page: what changed from
// version From to the current version To, part by part.
type TemplateDiff struct {
	Face     TemplatesFace
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

// home is where the form posts and where Cancel goes: the template's own
// path, or the list for a new one.
func (v TemplateForm) home() string {
	if v.ID != "" {
		return v.Face.Href(v.ID)
	}
	return v.Face.Path
}

func templatesSubtitle(f TemplatesFace) string {
	if f.Portal {
		return "Your mail templates: sends name them by slug; every saved version is kept."
	}
	return "Mail templates customers send by slug, with every saved version."
}

func templateSubtitle(v TemplatePage) string {
	if v.Face.Portal {
		return "Template " + v.Slug
	}
	return "Template of " + orName(v.AccountName, "account #"+idStr(v.AccountID))
}

// templateFacts is the template's card: the account only in the console.
func templateFacts(v TemplatePage) []components.KV {
	kv := []components.KV{{Key: "Id", Value: v.ID, Mono: true}, {Key: "Slug", Value: v.Slug, Mono: true}}
	if !v.Face.Portal {
		kv = append(kv, components.KV{Key: "Account", Node: accountLink(v.AccountID, v.AccountName)})
	}
	return append(kv,
		components.KV{Key: "Subject", Value: orDash(v.Subject)},
		components.KV{Key: "Updated", Node: components.Time(v.Updated)},
		components.KV{Key: "Created", Node: components.Time(v.Created)})
}
