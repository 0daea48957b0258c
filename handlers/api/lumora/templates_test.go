package lumora_test

import (
	"net/url"
	"strings"
	"testing"
)

const welcomeTemplate = `{"slug": "welcome-email", "name": "Welcome email", "subject": "Welcome, {{name}}",
 "html": "<p>Hello {{name}}</p>", "text": "Hello {{name}}"}`

func TestTemplatesAPI(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.call("POST", "/api/lumora/v1/templates", w.key, welcomeTemplate)
	id := r.str("id")
	if r.Status != 201 || !strings.HasPrefix(id, "tpl_") || r.str("slug") != "welcome-email" || r.str("name") != "Welcome email" ||
		r.str("status") != "active" || len(r.Body) != 4 {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	wantErr(t, "duplicate slug", w.call("POST", "/api/lumora/v1/templates", w.key, welcomeTemplate), 409, "template_slug_taken")
	bad := map[string]string{
		"bad slug":      `{"slug": "Has Spaces", "name": "x", "text": "x"}`,
		"no body":       `{"slug": "empty", "name": "x"}`,
		"syntax error":  `{"slug": "broken", "name": "x", "html": "<p>{{#list}}</p>"}`,
		"raw value":     `{"slug": "raw", "name": "x", "html": "{{{name}}}"}`,
		"unknown field": `{"slug": "x", "name": "x", "text": "x", "body": "x"}`,
		"not a string":  `{"slug": "x", "name": 5, "text": "x"}`,
	}
	for name, body := range bad {
		wantErr(t, name, w.call("POST", "/api/lumora/v1/templates", w.key, body), 422, "validation_error")
	}
	if r := w.call("POST", "/api/lumora/v1/templates", w.key, `{"slug": "bad slug", "name": "x", "text": "x"}`); !strings.Contains(r.str("message"), "slug") {
		t.Errorf("the validation message names no field: %s", r.Raw)
	}
	wantErr(t, "not json", w.call("POST", "/api/lumora/v1/templates", w.key, `{"slug":`), 400, "invalid_json")

	got := w.call("GET", "/api/lumora/v1/templates/welcome-email", w.key, "")
	if got.Status != 200 || got.str("id") != id || got.str("html") != "<p>Hello {{name}}</p>" || got.Body["version"] != 1.0 {
		t.Fatalf("get: %s", got.Raw)
	}
	wantErr(t, "unknown slug", w.call("GET", "/api/lumora/v1/templates/nope", w.key, ""), 404, "not_found")
	wantErr(t, "another account's", w.call("GET", "/api/lumora/v1/templates/welcome-email", w.other, ""), 404, "not_found")

	// Paging: three templates, two per page.
	for _, slug := range []string{"receipt", "reset"} {
		if r := w.call("POST", "/api/lumora/v1/templates", w.key, `{"slug": "`+slug+`", "name": "`+slug+`", "text": "x"}`); r.Status != 201 {
			t.Fatalf("create %s: %s", slug, r.Raw)
		}
	}
	page := w.call("GET", "/api/lumora/v1/templates?limit=2", w.key, "")
	data, _ := page.Body["data"].([]any)
	cursor := page.str("next_cursor")
	if page.Status != 200 || len(data) != 2 || cursor == "" {
		t.Fatalf("first page: %s", page.Raw)
	}
	page = w.call("GET", "/api/lumora/v1/templates?limit=2&cursor="+url.QueryEscape(cursor), w.key, "")
	data, _ = page.Body["data"].([]any)
	if last, _ := data[len(data)-1].(map[string]any); page.Status != 200 || len(data) != 1 || page.Body["next_cursor"] != nil || last["slug"] != "welcome-email" {
		t.Fatalf("second page: %s", page.Raw)
	}
	wantErr(t, "bad cursor", w.call("GET", "/api/lumora/v1/templates?cursor=x", w.key, ""), 422, "validation_error")

	// PATCH changes the fields given, as a new version; a taken slug is 409.
	p := w.call("PATCH", "/api/lumora/v1/templates/welcome-email", w.key, `{"subject": "Hi {{name}}"}`)
	if p.Status != 200 || p.str("subject") != "Hi {{name}}" || p.str("html") != "<p>Hello {{name}}</p>" || p.Body["version"] != 2.0 {
		t.Fatalf("patch: %s", p.Raw)
	}
	if p := w.call("PATCH", "/api/lumora/v1/templates/"+id, w.key, `{"slug": "welcome-email", "name": "Welcome"}`); p.Status != 200 || p.str("name") != "Welcome" {
		t.Fatalf("patch by id keeping its slug: %s", p.Raw)
	}
	wantErr(t, "patch to a taken slug", w.call("PATCH", "/api/lumora/v1/templates/welcome-email", w.key, `{"slug": "receipt"}`), 409, "template_slug_taken")
	wantErr(t, "patch syntax error", w.call("PATCH", "/api/lumora/v1/templates/welcome-email", w.key, `{"html": "{{/x}}"}`), 422, "validation_error")
	wantErr(t, "patch unknown", w.call("PATCH", "/api/lumora/v1/templates/nope", w.key, `{"name": "x"}`), 404, "not_found")

	// DELETE: gone, and its slug free again.
	if d := w.call("DELETE", "/api/lumora/v1/templates/welcome-email", w.key, ""); d.Status != 200 || d.Body["deleted"] != true {
		t.Fatalf("delete: %s", d.Raw)
	}
	wantErr(t, "deleted", w.call("GET", "/api/lumora/v1/templates/welcome-email", w.key, ""), 404, "not_found")
	wantErr(t, "delete again", w.call("DELETE", "/api/lumora/v1/templates/welcome-email", w.key, ""), 404, "not_found")
	if r := w.call("POST", "/api/lumora/v1/templates", w.key, welcomeTemplate); r.Status != 201 || r.str("id") == id {
		t.Fatalf("slug reused after delete: %s", r.Raw)
	}

	sendOnly := w.apiKey(w.app, []string{"email:send", "email:read"}, 0)
	wantErr(t, "scope", w.call("GET", "/api/lumora/v1/templates", sendOnly, ""), 403, "forbidden_scope")
	wantErr(t, "scope on create", w.call("POST", "/api/lumora/v1/templates", sendOnly, welcomeTemplate), 403, "forbidden_scope")
	wantErr(t, "no key", w.call("GET", "/api/lumora/v1/templates", "", ""), 401, "missing_api_key")
	wantErr(t, "method", w.call("PUT", "/api/lumora/v1/templates/receipt", w.key, `{}`), 405, "method_not_allowed")
}

// A template send renders the variables (escaped in the HTML) and is
// delivered as any other message; the message names the template version.
func TestTemplateSendDeliveredToSandbox(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	done := w.startDelivery()
	if r := w.call("POST", "/api/lumora/v1/templates", w.key, welcomeTemplate); r.Status != 201 {
		t.Fatalf("create: %s", r.Raw)
	}
	r := w.call("POST", "/api/lumora/v1/email/send", w.key,
		`{"to": ["jordan@globex.test"], "subject": "ignored: the template has one", "template": "welcome-email", "variables": {"name": "Jo <b>&</b> Co"}}`)
	if r.Status != 200 || r.str("status") != "queued" {
		t.Fatalf("send: %s", r.Raw)
	}
	w.waitDelivery(done)
	inbox, err := w.env.Services.MailSandbox.Store().List(ctx, 10)
	if err != nil || len(inbox) != 1 {
		t.Fatalf("sandbox inbox: %d messages, %v", len(inbox), err)
	}
	m := inbox[0]
	if m.Subject != "Welcome, Jo <b>&</b> Co" || !strings.Contains(m.HTML, "<p>Hello Jo &lt;b&gt;&amp;&lt;/b&gt; Co</p>") ||
		!strings.Contains(m.Text, "Hello Jo <b>&</b> Co") {
		t.Fatalf("rendered message: subject %q, html %q, text %q", m.Subject, m.HTML, m.Text)
	}
	got := w.call("GET", "/api/lumora/v1/emails/"+r.str("messageId"), w.key, "")
	if !strings.Contains(got.Raw, "Rendered from template tpl_") || !strings.Contains(got.Raw, "version 1.") {
		t.Errorf("the message does not name its template version: %s", got.Raw)
	}
}

func TestTemplateSendErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if r := w.call("POST", "/api/lumora/v1/templates", w.key, welcomeTemplate); r.Status != 201 {
		t.Fatalf("create: %s", r.Raw)
	}
	if r := w.call("POST", "/api/lumora/v1/templates", w.key, `{"slug": "no-subject", "name": "x", "text": "Hi"}`); r.Status != 201 {
		t.Fatalf("create: %s", r.Raw)
	}
	send := func(body string) resp { return w.call("POST", "/api/lumora/v1/email/send", w.key, body) }
	missing := send(`{"to": ["a@globex.test"], "template": "welcome-email", "variables": {"nam": "Jo"}}`)
	wantErr(t, "missing variable", missing, 422, "template_variable_missing")
	if !strings.Contains(missing.str("message"), `"name"`) {
		t.Errorf("the message does not name the variable: %s", missing.Raw)
	}
	wantErr(t, "no variables", send(`{"to": ["a@globex.test"], "template": "welcome-email"}`), 422, "template_variable_missing")
	wantErr(t, "unknown template", send(`{"to": ["a@globex.test"], "template": "nope", "variables": {}}`), 422, "template_not_found")
	wantErr(t, "another account's template", w.call("POST", "/api/lumora/v1/email/send", w.other,
		`{"to": ["a@globex.test"], "template": "welcome-email", "variables": {"name": "Jo"}}`), 422, "template_not_found")
	wantErr(t, "template and html", send(`{"to": ["a@globex.test"], "template": "welcome-email", "variables": {"name": "Jo"}, "html": "<p>x</p>"}`), 422, "validation_error")
	wantErr(t, "variables without template", send(`{"to": ["a@globex.test"], "subject": "s", "text": "x", "variables": {"name": "Jo"}}`), 422, "validation_error")
	wantErr(t, "line break into the subject", send(`{"to": ["a@globex.test"], "template": "welcome-email", "variables": {"name": "Jo\r\nBcc: victim@evil.test"}}`), 422, "template_render_failed")
	wantErr(t, "no subject anywhere", send(`{"to": ["a@globex.test"], "template": "no-subject"}`), 422, "validation_error")
	if r := send(`{"to": ["a@globex.test"], "subject": "From the send", "template": "no-subject"}`); r.Status != 200 {
		t.Errorf("the send's subject for a template without one: %s", r.Raw)
	}
	var n int
	if err := w.env.Services.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM mail_messages`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d messages stored (%v), want 1", n, err)
	}
}
