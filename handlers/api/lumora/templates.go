package lumora

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/api/apikit"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/mail/templates"
)

// Templates is what the API needs of the templates service.
type Templates interface {
	Create(ctx context.Context, actor audit.Actor, scope accounts.Scope, in templates.CreateInput) (templates.Template, error)
	Get(ctx context.Context, scope accounts.Scope, ref string) (templates.Template, error)
	List(ctx context.Context, scope accounts.Scope, cursor string, limit int) (templates.Page, error)
	Update(ctx context.Context, actor audit.Actor, scope accounts.Scope, ref string, in templates.UpdateInput) (templates.Template, error)
	Delete(ctx context.Context, actor audit.Actor, scope accounts.Scope, ref, reason string) error
}

// WithTemplates serves /v1/templates over t.
func (api *API) WithTemplates(t Templates) *API {
	api.templates = t
	return api
}

// templateFields are what POST and PATCH /v1/templates take.
var templateFields = []string{"slug", "name", "subject", "html", "text"}

// templateScope is the key's account: templates belong to the account (a
// slug names one within it), whichever of its apps the key is bound to.
func templateScope(k apikeys.Key) accounts.Scope { return accounts.Only(accountOf(k)) }

func templateJSON(t templates.Template, full bool) fiber.Map {
	out := fiber.Map{"id": t.ID, "slug": t.Slug, "name": t.Name, "status": t.Status}
	if full {
		out["subject"], out["html"], out["text"] = t.Subject, t.HTML, t.Text
		out["version"] = t.Version
		out["createdAt"], out["updatedAt"] = rfc3339(t.CreatedAt), rfc3339(t.UpdatedAt)
	}
	return out
}

// readTemplate reads the body's fields as strings; absent fields stay nil.
func readTemplate(c *fiber.Ctx) (map[string]*string, error) {
	if !jsonBody(c) {
		return nil, writeErr(c, fiber.StatusUnsupportedMediaType, CodeUnsupportedMedia, "Content-Type must be application/json.")
	}
	fields, err := readObject(c.Body())
	if err != nil {
		return nil, writeErr(c, fiber.StatusBadRequest, CodeInvalidJSON, err.Error())
	}
	out := map[string]*string{}
	for name, v := range fields {
		if !slices.Contains(templateFields, name) {
			return nil, writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation,
				fmt.Sprintf("%s is not a field of a template (fields: %s).", name, strings.Join(templateFields, ", ")))
		}
		if string(v) == "null" {
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, name+" must be a string.")
		}
		out[name] = &s
	}
	return out, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// createTemplate is POST /v1/templates: 201 {"id", "slug", "name", "status"}.
func (api *API) createTemplate(c *fiber.Ctx, k apikeys.Key, _ int64) error {
	f, err := readTemplate(c)
	if f == nil {
		return err
	}
	if taken, err := api.slugTaken(c, k, f["slug"], ""); taken {
		return err
	}
	t, err := api.templates.Create(c.UserContext(), apikit.Actor(c), templateScope(k), templates.CreateInput{
		Slug: deref(f["slug"]), Name: deref(f["name"]), Subject: deref(f["subject"]), HTML: deref(f["html"]), Text: deref(f["text"])})
	if err != nil {
		return api.serviceErr(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(templateJSON(t, false))
}

// listTemplates is GET /v1/templates: the account's, newest first.
func (api *API) listTemplates(c *fiber.Ctx, k apikeys.Key, _ int64) error {
	q, problem := readQuery(c, "limit", "cursor")
	if problem != "" {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, problem)
	}
	limit, ok := limitParam(q.Get("limit"))
	if !ok {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "limit must be a whole number from 1 to 200.")
	}
	if _, ok := cursorParam(q.Get("cursor")); !ok {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "cursor must be a next_cursor value from an earlier page.")
	}
	p, err := api.templates.List(c.UserContext(), templateScope(k), q.Get("cursor"), limit)
	if err != nil {
		return api.serviceErr(c, err)
	}
	data := make([]fiber.Map, len(p.Templates))
	for i, t := range p.Templates {
		data[i] = templateJSON(t, false)
		data[i]["subject"], data[i]["version"], data[i]["updatedAt"] = t.Subject, t.Version, rfc3339(t.UpdatedAt)
	}
	var next any
	if p.NextCursor != "" {
		next = p.NextCursor
	}
	return c.JSON(fiber.Map{"data": data, "next_cursor": next})
}

// getTemplate is GET /v1/templates/:slug: the template with its content.
func (api *API) getTemplate(c *fiber.Ctx, k apikeys.Key, _ int64) error {
	t, err := api.templates.Get(c.UserContext(), templateScope(k), utils.CopyString(c.Params("slug")))
	if err != nil {
		return api.serviceErr(c, err)
	}
	return c.JSON(templateJSON(t, true))
}

// updateTemplate is PATCH /v1/templates/:slug: the fields given change, and
// the result is saved as a new version.
func (api *API) updateTemplate(c *fiber.Ctx, k apikeys.Key, _ int64) error {
	f, err := readTemplate(c)
	if f == nil {
		return err
	}
	ref := utils.CopyString(c.Params("slug"))
	if taken, err := api.slugTaken(c, k, f["slug"], ref); taken {
		return err
	}
	t, err := api.templates.Update(c.UserContext(), apikit.Actor(c), templateScope(k), ref,
		templates.UpdateInput{Slug: f["slug"], Name: f["name"], Subject: f["subject"], HTML: f["html"], Text: f["text"]})
	if err != nil {
		return api.serviceErr(c, err)
	}
	return c.JSON(templateJSON(t, true))
}

// deleteTemplate is DELETE /v1/templates/:slug. Messages already sent keep
// naming the version they were rendered from.
func (api *API) deleteTemplate(c *fiber.Ctx, k apikeys.Key, _ int64) error {
	ref := utils.CopyString(c.Params("slug"))
	if err := api.templates.Delete(c.UserContext(), apikit.Actor(c), templateScope(k), ref, "deleted through the API"); err != nil {
		return api.serviceErr(c, err)
	}
	return c.JSON(fiber.Map{"slug": ref, "deleted": true})
}

// slugTaken answers 409 when the account already has a live template with
// the slug. The service reports that as a field error (its unique index
// decides, so a concurrent create still gets the 422 with the same words);
// asking first gives the usual case the conflict status clients expect.
func (api *API) slugTaken(c *fiber.Ctx, k apikeys.Key, slug *string, current string) (bool, error) {
	if slug == nil {
		return false, nil
	}
	s := strings.TrimSpace(*slug)
	if s == "" || strings.HasPrefix(s, "tpl_") {
		return false, nil // the service says what is wrong with it
	}
	t, err := api.templates.Get(c.UserContext(), templateScope(k), s)
	if err != nil || t.ID == current || t.Slug == current {
		return false, nil // free, not a slug at all (the service says so), or the template itself
	}
	return true, writeErr(c, fiber.StatusConflict, CodeTemplateSlugTaken,
		"This account already has a template with the slug "+strconv.Quote(s)+".")
}
