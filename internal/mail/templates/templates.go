// Package templates is Lumora's templates: an account's reusable messages
// (subject, HTML and text), named by a slug in the send API, rendered with
// a small Mustache subset (render.go) and kept in versions, one per save.
//
// It is a package of its own, below internal/mail, so that the send path
// in internal/mail can import it: it must not import internal/mail back.
//
// Methods (scope is the caller's accounts.Scope, as in internal/mail: an
// object of another account is not found, exactly as an unknown one). A
// template is named by ref: its id ("tpl_…") or its slug. A slug is unique
// only within an account, so in the all-accounts scope (staff) a ref must
// be an id; the underscore keeps the two apart, as no slug has one.
//
//	Create, Get, List, Update (PATCH: only the fields given), Delete (soft)
//	Versions, Version, Diff (between two versions, for the console)
//	Render (the current version with the send's variables), RenderContent
//	(any subject/HTML/text, for previews of versions and drafts)
//
// Every change is audited in its transaction.
package templates

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
)

// StatusActive is the only status a live template has (the spec's
// "active"); a deleted one is not found.
const StatusActive = "active"

// Limits on template input (the parts' own limits are in render.go).
const (
	MaxName          = 100
	MaxSubjectSource = 998 // a header line's limit (RFC 5322), before folding
	MaxListLimit     = 200
	DefaultLimit     = 50
	publicIDPrefix   = "tpl_"
)

// ValidationError maps input fields to messages (422 in every layer).
type ValidationError = apperr.FieldErrors

// Errors returned to the HTTP layers.
var (
	ErrTemplateNotFound = apperr.NotFound("template not found")
	ErrVersionNotFound  = apperr.NotFound("template version not found")
	ErrAccountNotFound  = apperr.NotFound("account not found")
)

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Template is a live template with its current content.
type Template struct {
	ID        string    `json:"id"` // "tpl_…"
	AccountID int64     `json:"account_id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	Subject   string    `json:"subject"`
	HTML      string    `json:"html"`
	Text      string    `json:"text"`
	Status    string    `json:"status"`
	Version   int       `json:"version"` // the current version's number
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	seq int64 // the row id: the keyset of List
}

func fromRow(r store.MailTemplate) Template {
	return Template{ID: r.PublicID, AccountID: r.AccountID, Slug: r.Slug, Name: r.Name, Subject: r.Subject,
		HTML: r.Html, Text: r.Text, Status: r.Status, Version: int(r.Version),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), seq: r.ID}
}

// auditOf is what the audit trail keeps of a template: who and what, not
// the bodies (up to 256 KiB each), which the versions table holds.
func auditOf(t Template) map[string]any {
	return map[string]any{"id": t.ID, "account_id": t.AccountID, "slug": t.Slug, "name": t.Name,
		"subject": t.Subject, "version": t.Version, "html_bytes": len(t.HTML), "text_bytes": len(t.Text)}
}

// Version is one saved content of a template.
type Version struct {
	Version   int       `json:"version"`
	Name      string    `json:"name"`
	Subject   string    `json:"subject"`
	HTML      string    `json:"html"`
	Text      string    `json:"text"`
	ActorKind string    `json:"actor_kind"` // who saved it, as the audit trail names actors
	ActorID   string    `json:"actor_id"`
	Actor     string    `json:"actor"` // the label: a staff email, a key's name
	CreatedAt time.Time `json:"created_at"`
}

func versionFromRow(r store.MailTemplateVersion) Version {
	return Version{Version: int(r.Version), Name: r.Name, Subject: r.Subject, HTML: r.Html, Text: r.Text,
		ActorKind: r.CreatedByKind, ActorID: r.CreatedByID, Actor: r.CreatedByLabel, CreatedAt: r.CreatedAt.UTC()}
}

// Service is the templates service.
type Service struct {
	db    *db.DB
	now   func() time.Time
	cache *compiledCache
}

// NewService makes the service.
func NewService(d *db.DB) *Service {
	return &Service{db: d, now: time.Now, cache: &compiledCache{m: map[[2]int64]Compiled{}}}
}

// WithClock returns a copy reading the time from now (tests, demo seed).
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// CreateInput creates a template.
type CreateInput struct {
	AccountID *int64 // the account (staff); a one-account scope acts on its own
	Slug      string
	Name      string
	Subject   string // may be empty: the send then gives the subject
	HTML      string // at least one of HTML and Text
	Text      string
}

// Create saves a new template as its version 1. Each part must parse: a
// syntax error is a ValidationError on that field with its line and column.
func (s *Service) Create(ctx context.Context, actor audit.Actor, scope accounts.Scope, in CreateInput) (_ Template, err error) {
	defer wrap(&err, "create mail template")
	target, err := scope.Target(in.AccountID)
	if err != nil {
		return Template{}, ErrAccountNotFound
	}
	in.Slug = strings.TrimSpace(in.Slug)
	in.Name = strings.TrimSpace(in.Name)
	fe := ValidationError{}
	if target == nil {
		fe["account"] = "Choose the account the template belongs to."
	}
	if msg := checkSlug(in.Slug); msg != "" {
		fe["slug"] = msg
	}
	c := Content{Name: in.Name, Subject: in.Subject, HTML: in.HTML, Text: in.Text}
	c.check(fe)
	if len(fe) > 0 {
		return Template{}, fe
	}
	var t Template
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		if _, err := q.GetAccount(ctx, *target); db.IsNotFound(err) {
			return ErrAccountNotFound
		} else if err != nil {
			return err
		}
		now := s.clock()
		row, err := q.InsertMailTemplate(ctx, store.InsertMailTemplateParams{AccountID: *target,
			PublicID: publicIDPrefix + ids.Token(16), Slug: in.Slug, Name: c.Name, Subject: c.Subject,
			Html: c.HTML, Text: c.Text, Now: now})
		if db.IsUniqueViolation(err, "mail_templates_account_slug") {
			return ValidationError{"slug": "This account already has a template with the slug " + strconv.Quote(in.Slug) + "."}
		} else if err != nil {
			return err
		}
		t = fromRow(row)
		if err := insertVersion(ctx, q, actor, row, now); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "mail_template.create", EntityType: audit.EntityMailTemplate,
			EntityID: t.ID, After: auditOf(t)})
	})
	if err != nil {
		return Template{}, err
	}
	return t, nil
}

func insertVersion(ctx context.Context, q *store.Queries, actor audit.Actor, row store.MailTemplate, now time.Time) error {
	kind := actor.Kind
	if kind == "" {
		kind = audit.KindSystem
	}
	_, err := q.InsertMailTemplateVersion(ctx, store.InsertMailTemplateVersionParams{TemplateID: row.ID,
		Version: row.Version, Name: row.Name, Subject: row.Subject, Html: row.Html, Text: row.Text,
		CreatedByKind: kind, CreatedByID: actor.ID, CreatedByLabel: actor.Label, Now: now})
	return err
}

// Get is the live template named by ref, if it is inside the scope.
func (s *Service) Get(ctx context.Context, scope accounts.Scope, ref string) (_ Template, err error) {
	defer wrap(&err, "get mail template %q", ref)
	row, err := lookup(ctx, s.db.Queries, scope, ref)
	if err != nil {
		return Template{}, err
	}
	return fromRow(row), nil
}

// lookup finds the live template named by ref within the scope.
func lookup(ctx context.Context, q *store.Queries, scope accounts.Scope, ref string) (store.MailTemplate, error) {
	var row store.MailTemplate
	var err error
	switch {
	case strings.HasPrefix(ref, publicIDPrefix):
		row, err = q.GetMailTemplateByPublicID(ctx, ref)
	case scope.All():
		return row, ValidationError{"template": "Name the template by its id (tpl_…): a slug is unique only within one account."}
	case !slugRE.MatchString(ref):
		return row, ErrTemplateNotFound // not a slug at all: not found, as the API answers unknown paths
	default:
		row, err = q.GetMailTemplateBySlug(ctx, store.GetMailTemplateBySlugParams{AccountID: scope.AccountID(), Slug: ref})
	}
	if db.IsNotFound(err) || (err == nil && !scope.Allows(row.AccountID)) {
		return store.MailTemplate{}, ErrTemplateNotFound
	}
	return row, err
}

// Page is one page of a list and where the next one starts ("" at the end).
type Page struct {
	Templates  []Template `json:"templates"`
	NextCursor string     `json:"next_cursor"`
}

// List is the scope's live templates, newest first. cursor is the previous
// page's NextCursor ("" for the first page); it is opaque to callers.
func (s *Service) List(ctx context.Context, scope accounts.Scope, cursor string, limit int) (_ Page, err error) {
	defer wrap(&err, "list mail templates")
	var before *int64
	if cursor != "" {
		n, perr := strconv.ParseInt(cursor, 10, 64)
		if perr != nil || n <= 0 {
			return Page{}, ValidationError{"cursor": "The cursor is not one this list returned."}
		}
		before = &n
	}
	lim := clampLimit(limit)
	rows, err := s.db.ListMailTemplates(ctx, store.ListMailTemplatesParams{Limit: lim + 1, AccountID: scope.Filter(), BeforeID: before})
	if err != nil {
		return Page{}, err
	}
	p := Page{Templates: make([]Template, 0, min(len(rows), int(lim)))}
	for i, r := range rows {
		if i == int(lim) {
			p.NextCursor = strconv.FormatInt(p.Templates[i-1].seq, 10)
			break
		}
		p.Templates = append(p.Templates, fromRow(r))
	}
	return p, nil
}

// UpdateInput changes a template: nil fields stay as they are (PATCH).
type UpdateInput struct {
	Slug    *string
	Name    *string
	Subject *string
	HTML    *string
	Text    *string
}

// Update changes the fields given and saves the result as a new version;
// the previous version stays. A change that changes nothing saves nothing.
func (s *Service) Update(ctx context.Context, actor audit.Actor, scope accounts.Scope, ref string, in UpdateInput) (_ Template, err error) {
	defer wrap(&err, "update mail template %q", ref)
	var t Template
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		found, err := lookup(ctx, q, scope, ref)
		if err != nil {
			return err
		}
		// Lock, then read again: a concurrent save must not take the same version number.
		cur, err := q.LockMailTemplate(ctx, found.ID)
		if db.IsNotFound(err) {
			return ErrTemplateNotFound
		} else if err != nil {
			return err
		}
		before := fromRow(cur)
		next := store.UpdateMailTemplateParams{ID: cur.ID, Slug: cur.Slug, Name: cur.Name, Subject: cur.Subject,
			Html: cur.Html, Text: cur.Text, Now: s.clock()}
		fe := ValidationError{}
		if in.Slug != nil {
			next.Slug = strings.TrimSpace(*in.Slug)
			if msg := checkSlug(next.Slug); msg != "" {
				fe["slug"] = msg
			}
		}
		if in.Name != nil {
			next.Name = strings.TrimSpace(*in.Name)
		}
		setIf(&next.Subject, in.Subject)
		setIf(&next.Html, in.HTML)
		setIf(&next.Text, in.Text)
		c := Content{Name: next.Name, Subject: next.Subject, HTML: next.Html, Text: next.Text}
		c.check(fe)
		if len(fe) > 0 {
			return fe
		}
		if next.Slug == cur.Slug && next.Name == cur.Name && next.Subject == cur.Subject && next.Html == cur.Html && next.Text == cur.Text {
			t = before
			return nil
		}
		row, err := q.UpdateMailTemplate(ctx, next)
		if db.IsUniqueViolation(err, "mail_templates_account_slug") {
			return ValidationError{"slug": "This account already has a template with the slug " + strconv.Quote(next.Slug) + "."}
		} else if err != nil {
			return err
		}
		t = fromRow(row)
		if err := insertVersion(ctx, q, actor, row, next.Now); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "mail_template.update", EntityType: audit.EntityMailTemplate,
			EntityID: t.ID, Before: auditOf(before), After: auditOf(t)})
	})
	if err != nil {
		return Template{}, err
	}
	return t, nil
}

func setIf(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

// Delete retires a template: it is not found from now on and its slug is
// free again; its versions stay for the history (a soft delete, as a
// message already sent names the version it went out with).
func (s *Service) Delete(ctx context.Context, actor audit.Actor, scope accounts.Scope, ref, reason string) (err error) {
	defer wrap(&err, "delete mail template %q", ref)
	return s.db.Tx(ctx, func(q *store.Queries) error {
		found, err := lookup(ctx, q, scope, ref)
		if err != nil {
			return err
		}
		row, err := q.DeleteMailTemplate(ctx, store.DeleteMailTemplateParams{ID: found.ID, Now: s.clock()})
		if db.IsNotFound(err) {
			return ErrTemplateNotFound // deleted by a concurrent call
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "mail_template.delete", EntityType: audit.EntityMailTemplate,
			EntityID: row.PublicID, Reason: reason, Before: auditOf(fromRow(row))})
	})
}

// Versions is the template's versions, newest first (the current one
// included); beforeVersion (0: from the newest) continues a page.
func (s *Service) Versions(ctx context.Context, scope accounts.Scope, ref string, beforeVersion, limit int) (_ []Version, err error) {
	defer wrap(&err, "list versions of mail template %q", ref)
	row, err := lookup(ctx, s.db.Queries, scope, ref)
	if err != nil {
		return nil, err
	}
	var before *int32
	if beforeVersion > 0 {
		b := int32(min(beforeVersion, 1<<31-1))
		before = &b
	}
	rows, err := s.db.ListMailTemplateVersions(ctx, store.ListMailTemplateVersionsParams{TemplateID: row.ID, Limit: clampLimit(limit), BeforeVersion: before})
	if err != nil {
		return nil, err
	}
	out := make([]Version, len(rows))
	for i, r := range rows {
		out[i] = versionFromRow(r)
	}
	return out, nil
}

// Version is one version of the template.
func (s *Service) Version(ctx context.Context, scope accounts.Scope, ref string, n int) (_ Version, err error) {
	defer wrap(&err, "get version %d of mail template %q", n, ref)
	row, err := lookup(ctx, s.db.Queries, scope, ref)
	if err != nil {
		return Version{}, err
	}
	if n <= 0 || n > int(row.Version) {
		return Version{}, ErrVersionNotFound
	}
	v, err := s.db.GetMailTemplateVersion(ctx, store.GetMailTemplateVersionParams{TemplateID: row.ID, Version: int32(n)})
	if db.IsNotFound(err) {
		return Version{}, ErrVersionNotFound
	} else if err != nil {
		return Version{}, err
	}
	return versionFromRow(v), nil
}

// Rendered is a template's parts rendered with a send's variables.
type Rendered struct {
	TemplateID string // "tpl_…" ("" for RenderContent)
	Version    int    // the version rendered (0 for RenderContent)
	Subject    string // "" when the template has none: the send gives it
	HTML       string
	Text       string
}

// Render renders the current version of the template named by ref. A
// variable the template uses and vars lack is a *MissingVariableError
// (errors.Is(err, ErrVariableMissing)); a render too large, too costly or
// putting a line break into the subject is a *RenderError.
func (s *Service) Render(ctx context.Context, scope accounts.Scope, ref string, vars map[string]any) (_ Rendered, err error) {
	defer wrap(&err, "render mail template %q", ref)
	row, err := lookup(ctx, s.db.Queries, scope, ref)
	if err != nil {
		return Rendered{}, err
	}
	comp, err := s.cache.get(row)
	if err != nil {
		return Rendered{}, err
	}
	r, err := comp.Render(vars)
	if err != nil {
		return Rendered{}, err
	}
	r.TemplateID, r.Version = row.PublicID, int(row.Version)
	return r, nil
}

// Content is what a version holds: the parts rendered, and the name.
type Content struct {
	Name    string
	Subject string
	HTML    string
	Text    string
}

// check adds to fe what is wrong with c, each part parsed as it will render.
func (c Content) check(fe ValidationError) {
	switch {
	case c.Name == "":
		fe["name"] = "Enter a name."
	case !utf8.ValidString(c.Name) || strings.ContainsFunc(c.Name, unicode.IsControl):
		fe["name"] = "Use one line of text without control characters."
	case utf8.RuneCountInString(c.Name) > MaxName:
		fe["name"] = "Use at most " + strconv.Itoa(MaxName) + " characters."
	}
	if len(c.Subject) > MaxSubjectSource {
		fe["subject"] = "Use at most " + strconv.Itoa(MaxSubjectSource) + " bytes."
	} else if _, err := Parse(PartSubject, c.Subject); err != nil {
		fe["subject"] = syntaxMessage(err)
	}
	if strings.TrimSpace(c.HTML) == "" && strings.TrimSpace(c.Text) == "" {
		fe["html"] = "Give an HTML body, a text body, or both."
	}
	if _, err := Parse(PartHTML, c.HTML); err != nil {
		fe["html"] = syntaxMessage(err)
	}
	if _, err := Parse(PartText, c.Text); err != nil {
		fe["text"] = syntaxMessage(err)
	}
}

func syntaxMessage(err error) string {
	var se *SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("Line %d, column %d: %s.", se.Line, se.Col, se.Msg)
	}
	return err.Error()
}

// Compiled is content parsed once, to render many times (nil: an empty part).
type Compiled struct {
	Subject, HTML, Text *Parsed
}

// Compile parses the content's parts. Syntax errors are a ValidationError
// on the part, as Create answers them.
func Compile(c Content) (Compiled, error) {
	var out Compiled
	for _, p := range []struct {
		part Part
		src  string
		dst  **Parsed
	}{{PartSubject, c.Subject, &out.Subject}, {PartHTML, c.HTML, &out.HTML}, {PartText, c.Text, &out.Text}} {
		if p.src == "" {
			continue
		}
		t, err := Parse(p.part, p.src)
		if err != nil {
			return Compiled{}, ValidationError{string(p.part): syntaxMessage(err)}
		}
		*p.dst = t
	}
	return out, nil
}

// Render renders every part with vars; an empty part renders empty.
func (c Compiled) Render(vars map[string]any) (Rendered, error) {
	var out Rendered
	for _, p := range []struct {
		t   *Parsed
		dst *string
	}{{c.Subject, &out.Subject}, {c.HTML, &out.HTML}, {c.Text, &out.Text}} {
		if p.t == nil {
			continue
		}
		var err error
		if *p.dst, err = p.t.Render(vars); err != nil {
			return Rendered{}, err
		}
	}
	return out, nil
}

// RenderContent renders any content with vars: the console's preview of
// a version or of a draft before it is saved.
func RenderContent(c Content, vars map[string]any) (Rendered, error) {
	comp, err := Compile(c)
	if err != nil {
		return Rendered{}, err
	}
	return comp.Render(vars)
}

// compiledCache keeps the parsed parts of recently sent templates: a
// version's content never changes (every save makes a new one), so the
// template's row id and version number name it for good, and a send need
// not parse up to three times 256 KiB again.
type compiledCache struct {
	mu sync.Mutex
	m  map[[2]int64]Compiled
}

const compiledCacheSize = 512

func (c *compiledCache) get(row store.MailTemplate) (Compiled, error) {
	key := [2]int64{row.ID, int64(row.Version)}
	c.mu.Lock()
	comp, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return comp, nil
	}
	comp, err := Compile(Content{Subject: row.Subject, HTML: row.Html, Text: row.Text})
	if err != nil {
		return Compiled{}, err
	}
	c.mu.Lock()
	if len(c.m) >= compiledCacheSize {
		clear(c.m) // crude, and enough: the busy templates come back at once
	}
	c.m[key] = comp
	c.mu.Unlock()
	return comp, nil
}

func checkSlug(s string) string {
	if slugRE.MatchString(s) {
		return ""
	}
	if s == "" {
		return "Enter a slug."
	}
	return "Use 1 to 63 lower-case letters, digits and hyphens, starting with a letter or digit."
}

func clampLimit(n int) int32 {
	if n <= 0 {
		return DefaultLimit
	}
	return int32(min(n, MaxListLimit))
}

// wrap says where an unexpected error came from; the package's own answers
// (validation, not found, render errors) pass unchanged, as callers show
// their text to people.
func wrap(errp *error, format string, args ...any) {
	if *errp == nil {
		return
	}
	var fe apperr.FieldErrors
	var nf interface{ NotFound() bool }
	if errors.As(*errp, &fe) || (errors.As(*errp, &nf) && nf.NotFound()) ||
		errors.Is(*errp, ErrVariableMissing) || errors.Is(*errp, ErrRender) {
		return
	}
	*errp = fmt.Errorf(format+": %w", append(args, *errp)...)
}
