package lumora_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"lumdesk/internal/accounts"
	"lumdesk/internal/mail"
	"lumdesk/internal/mail/templates"
)

// A template made from the console: bad input answers as form messages
// (a syntax error with its line and column), the list links it, its page
// shows the subject, text and versions, and the HTML is only served by the
// preview route under a sandboxing CSP, rendered with the typed variables.
func TestTemplatePages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.env.As("admin")

	if r := admin.Get("/lumora/templates"); r.Status != http.StatusOK || !r.Has(`[data-testid="templates-empty"]`) {
		t.Fatalf("empty list: status %d", r.Status)
	}
	form := url.Values{"account": {id(f.acc)}, "slug": {"receipt"}, "name": {"Receipt"}, "subject": {"Your receipt, {{name}}"},
		"html": {"<p>Hi {{name}}\n{{#items}}</p>"}, "text": {"Thanks {{name}}."}}
	r := admin.PostForm("/lumora/templates", form)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="template-form"]`), "Line 2, column") {
		t.Fatalf("syntax error: status %d: %s", r.Status, r.Text(`[data-testid="template-form"]`))
	}
	bad := url.Values{"account": {"abc"}}
	if r := admin.PostForm("/lumora/templates", bad); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Text(`[data-testid="template-form"]`), "account's id") {
		t.Fatalf("bad account: status %d", r.Status)
	}
	bad = url.Values{"account": {"999999"}, "slug": {"x"}, "name": {"X"}, "text": {"x"}}
	if r := admin.PostForm("/lumora/templates", bad); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Text(`[data-testid="template-form"]`), "No account has that id") {
		t.Fatalf("unknown account: status %d", r.Status)
	}
	if r := f.env.As("viewer").PostForm("/lumora/templates", form); r.Status != http.StatusForbidden {
		t.Fatalf("viewer create: status %d", r.Status)
	}

	form.Set("html", "<p>Hi {{name}}</p><script>alert(1)</script>")
	r = admin.PostForm("/lumora/templates", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: status %d: %s", r.Status, r.Text(`[data-testid="template-form"]`))
	}
	page := r.Header.Get("Location")
	tplID := strings.TrimPrefix(page, "/lumora/templates/")
	if !strings.HasPrefix(tplID, "tpl_") {
		t.Fatalf("location %q", page)
	}
	// The edit form saves v2; its errors are form messages too.
	r = admin.Get(page + "/edit")
	if r.Status != http.StatusOK || r.Doc.Find(`textarea[name="text"]`).Text() != "Thanks {{name}}." || r.Has(`input[name="account"]`) {
		t.Fatalf("edit form: status %d", r.Status)
	}
	if h, crumb := r.Text("h1"), r.Text(`nav.breadcrumbs a[href="`+page+`"]`); h != "Edit "+form.Get("name") || crumb != form.Get("name") {
		t.Errorf("edit form heading %q, breadcrumb %q", h, crumb)
	}
	form.Del("account")
	form.Set("text", "Thanks {{name}")
	// A refused edit keeps what was typed, under the saved template's name.
	form.Set("name", strings.Repeat("N", 400))
	if r := admin.PostForm(page, form); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="template-form"]`), "Line 1, column") ||
		r.Text("h1") != "Edit Receipt" {
		t.Fatalf("edit syntax error: status %d, heading %q: %s", r.Status, r.Text("h1"), r.Text(`[data-testid="template-form"]`))
	}
	form.Set("name", "Receipt")
	form.Set("text", "Thanks {{name}}, again.")
	if r := admin.PostForm(page, form); r.Status != http.StatusSeeOther || r.Header.Get("Location") != page {
		t.Fatalf("edit: status %d: %s", r.Status, r.Text(`[data-testid="template-form"]`))
	}
	if r := f.env.As("viewer").Get(page + "/edit"); r.Status != http.StatusForbidden {
		t.Errorf("viewer edit form: status %d", r.Status)
	}

	r = admin.Get("/lumora/templates")
	row := r.Doc.Find(`[data-testid="template-row"]`)
	if row.Length() != 1 || row.AttrOr("data-id", "") != tplID || !strings.Contains(row.Text(), "receipt") || !strings.Contains(row.Text(), "v2") {
		t.Fatalf("list rows: %d %q", row.Length(), row.Text())
	}
	// Every account's templates: each row names its account (the portal's
	// face of these pages has no such column).
	if !strings.Contains(r.Text("thead"), "Account") || row.Find(`a[href="/accounts/`+id(f.acc)+`"]`).Text() != "Mail Sender" {
		t.Errorf("list: no account column naming the account: %q %q", r.Text("thead"), row.Text())
	}

	// No variables: the missing one is a message, not a frame.
	r = f.env.As("viewer").Get(page)
	if r.Status != http.StatusOK || r.Has(`[data-testid="preview-frame"]`) ||
		!strings.Contains(r.Text(`[data-testid="preview-form"]`+" + *"), `"name" is missing`) {
		t.Fatalf("page without variables: status %d", r.Status)
	}
	if !strings.Contains(r.Text(`[data-testid="text-body"]`), "Thanks {{name}}, again.") || r.Doc.Find(`[data-testid="version-row"]`).Length() != 2 {
		t.Fatalf("text or versions: %q, %d versions", r.Text(`[data-testid="text-body"]`), r.Doc.Find(`[data-testid="version-row"]`).Length())
	}
	if strings.Contains(r.Body, "<script>alert(1)") {
		t.Error("the template's HTML is inline in the console page")
	}
	if r := admin.Get(page + "?vars=" + url.QueryEscape("[1]")); !strings.Contains(r.Body, "must be a JSON object") || r.Has(`[data-testid="preview-frame"]`) {
		t.Errorf("bad JSON: status %d", r.Status)
	}

	vars := `{"name":"Ada"}`
	r = admin.Get(page + "?vars=" + url.QueryEscape(vars))
	frame := r.Doc.Find(`iframe[data-testid="preview-frame"]`)
	src, _ := frame.Attr("src")
	if sb, ok := frame.Attr("sandbox"); !ok || sb != "" || src != page+"/preview?vars="+url.QueryEscape(vars) {
		t.Fatalf("preview frame: src %q sandbox %q %v", src, sb, ok)
	}
	p := admin.Get(src)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "<p>Hi Ada</p>") {
		t.Fatalf("preview: status %d %q", p.Status, p.Body)
	}
	if csp := p.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox") || !strings.Contains(csp, "form-action 'none'") {
		t.Errorf("preview CSP %q", csp)
	}
	// Opened at top level, the customer's HTML could navigate the window
	// away (a meta refresh): a browser that is not framing it gets a note.
	p = admin.Do(http.MethodGet, src, nil, http.Header{"Sec-Fetch-Dest": {"document"}})
	if p.Status != http.StatusBadRequest || strings.Contains(p.Body, "Hi Ada") || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("preview opened at top level: %d %q", p.Status, p.Body)
	}
	if p = admin.Do(http.MethodGet, src, nil, http.Header{"Sec-Fetch-Dest": {"iframe"}}); p.Status != http.StatusOK || !strings.Contains(p.Body, "<p>Hi Ada</p>") {
		t.Errorf("preview in its frame: %d %q", p.Status, p.Body)
	}
	p = admin.Get(page + "/preview")
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `"name" is missing`) || !strings.HasPrefix(p.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("preview without variables: status %d %q", p.Status, p.Body)
	}
	for _, path := range []string{"/lumora/templates/receipt", "/lumora/templates/tpl_nope", "/lumora/templates/tpl_nope/preview"} {
		if r := admin.Get(path); r.Status != http.StatusNotFound {
			t.Errorf("%s: status %d", path, r.Status)
		}
	}

	// The history compares v1 with the current version, part by part.
	link := r.Doc.Find(`[data-testid="version-diff"]`)
	if link.Length() != 1 || link.AttrOr("href", "") != page+"/diff?from=1" {
		t.Fatalf("diff links: %d %q", link.Length(), link.AttrOr("href", ""))
	}
	r = admin.Get(page + "/diff?from=1")
	text := r.Doc.Find(`[data-testid="part-diff"][data-part="Text"]`)
	if r.Status != http.StatusOK || text.AttrOr("data-changed", "") != "true" ||
		text.Find(`tr[data-op="-"]`).Text() == "" || !strings.Contains(text.Find(`tr[data-op="+"]`).Text(), "Thanks {{name}}, again.") {
		t.Fatalf("diff: status %d %q", r.Status, text.Text())
	}
	if r.Doc.Find(`[data-testid="part-diff"][data-part="HTML"]`).AttrOr("data-changed", "") != "false" {
		t.Error("the HTML shows as changed")
	}
	for _, q := range []string{"?from=9", "?from=x", ""} {
		if r := admin.Get(page + "/diff" + q); r.Status != http.StatusNotFound {
			t.Errorf("diff%s: status %d", q, r.Status)
		}
	}
	if r := f.env.Anonymous().Get(src); strings.Contains(r.Body, "Hi Ada") {
		t.Error("the preview is served to anyone")
	}
}

// "Send a test email" from the template's page: refusals are form messages
// (an unverified sender domain, a missing variable, a bad address); a send
// from a verified domain lands in the log and, once delivered, in the
// sandbox inbox rendered with the variables.
func TestTemplateTestSend(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	admin := f.env.As("admin")
	tpl, err := f.env.Templates.Create(ctx, cli, accounts.AllAccounts, templates.CreateInput{AccountID: &f.acc, Slug: "welcome",
		Name: "Welcome", Subject: "Welcome, {{name}}", HTML: "<p>Hello {{name}}</p>", Text: "Hello {{name}}"})
	if err != nil {
		t.Fatal(err)
	}
	page := "/lumora/templates/" + tpl.ID
	r := admin.Get(page)
	if opt := r.Doc.Find(`[data-testid="send-form"] select[name="app"] option`); opt.Length() != 1 || opt.AttrOr("value", "") != id(f.app.ID) {
		t.Fatalf("app options: %d", opt.Length())
	}
	if r := f.env.As("viewer").Get(page); r.Has(`[data-testid="send-form"]`) {
		t.Error("a viewer sees the send form")
	}
	if r := f.env.As("viewer").PostForm(page+"/send", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("viewer send: status %d", r.Status)
	}

	form := url.Values{"app": {id(f.app.ID)}, "from": {"hello@mail.shop.example"}, "to": {"ada@example.net"}, "variables": {`{"name":"Ada"}`}}
	r = admin.PostForm(page+"/send", form)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="send-form"]`), "mail.shop.example is not verified") {
		t.Fatalf("unverified domain: status %d: %s", r.Status, r.Text(`[data-testid="send-form"]`))
	}
	d, err := f.env.Mail.AddDomain(ctx, cli, accounts.AllAccounts, mail.DomainInput{AccountID: &f.acc, Name: "mail.shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	f.publish(d)
	if d, err = f.env.Mail.Verify(ctx, cli, accounts.AllAccounts, d.ID); err != nil || d.Status != mail.StatusVerified {
		t.Fatalf("verify: %v %s", err, d.Status)
	}
	for _, c := range []struct{ field, value, want string }{
		{"variables", "{}", `"name" is missing`},
		{"variables", "nope", "must be a JSON object"},
		{"to", "not an address", "name@example.com"},
		{"app", "x", "Choose the app"},
	} {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set(c.field, c.value)
		if r := admin.PostForm(page+"/send", bad); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Text(`[data-testid="send-form"]`), c.want) {
			t.Errorf("%s=%q: status %d: %s", c.field, c.value, r.Status, r.Text(`[data-testid="send-form"]`))
		}
	}

	// Another account's app is not one of the template's account's, and a
	// suppressed address is refused: each a message on its field.
	other, err := f.env.Accounts.Create(ctx, cli, accounts.CreateInput{Name: "Other Sender", Email: "other@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	otherApp, err := f.env.Mail.CreateApp(ctx, cli, accounts.AllAccounts, mail.AppInput{AccountID: &other.ID, Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.env.Mail.AddSuppression(ctx, cli, accounts.AllAccounts, f.acc, "gone@example.net", "complaint"); err != nil {
		t.Fatal(err)
	}
	for field, c := range map[string]struct{ value, want string }{
		"app": {id(otherApp.ID), "Choose one of the account's apps."},
		"to":  {"gone@example.net", "This address is on the account's suppression list."},
	} {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set(field, c.value)
		r := admin.PostForm(page+"/send", bad)
		if got := r.Text(`[data-testid="send-form"] #f-` + field + `-msg`); r.Status != http.StatusUnprocessableEntity || got != c.want {
			t.Errorf("%s=%q: status %d, field message %q", field, c.value, r.Status, got)
		}
	}

	sctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	if err := f.env.StartMailSandbox(sctx, f.env.Config); err != nil {
		t.Fatal(err)
	}
	r = admin.PostForm(page+"/send", form)
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/lumora/messages/msg_") {
		t.Fatalf("send: status %d, location %q: %s", r.Status, loc, r.Text(`[data-testid="send-form"]`))
	}
	msgID := strings.TrimPrefix(loc, "/lumora/messages/")
	if r := admin.Get(loc); r.Status != http.StatusOK || !strings.Contains(r.Body, "Welcome, Ada") {
		t.Fatalf("message page: status %d", r.Status)
	}
	m, err := f.env.Mail.GetMessage(ctx, accounts.AllAccounts, msgID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.Mail.Deliver(ctx, m.Message.ID); err != nil {
		t.Fatal(err)
	}
	inbox := admin.Get("/lumora/sandbox")
	row := inbox.Doc.Find(`[data-testid="sandbox-row"]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), "Welcome, Ada") || !strings.Contains(row.Text(), "ada@example.net") {
		t.Fatalf("sandbox rows: %d %q", row.Length(), row.Text())
	}
	h := admin.Get("/lumora/sandbox/" + row.AttrOr("data-id", "") + "/html")
	if !strings.Contains(h.Body, "<p>Hello Ada</p>") {
		t.Errorf("sandbox HTML %q", h.Body)
	}
}
