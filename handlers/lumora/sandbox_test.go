package lumora_test

import (
	"context"
	"net/http"
	"net/smtp"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
)

// A message reaches the sandbox over real SMTP; the inbox lists it, its
// page shows the DKIM-Signature and text, and the HTML is only ever served
// by its own route under a sandboxing CSP, framed by the page.
func TestSandboxInbox(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	v := env.As("viewer")
	if r := v.Get("/lumora/sandbox"); r.Status != http.StatusOK || !r.Has(`[data-testid="sandbox-off"]`) {
		t.Fatalf("without a sandbox: status %d", r.Status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := env.StartMailSandbox(ctx, env.Config); err != nil {
		t.Fatal(err)
	}
	if r := v.Get("/lumora/sandbox"); r.Status != http.StatusOK || !r.Has(`[data-testid="sandbox-empty"]`) || !r.Has(`[data-testid="sandbox-badge"]`) {
		t.Fatalf("empty sandbox: status %d", r.Status)
	}
	raw := strings.ReplaceAll(`DKIM-Signature: v=1; a=rsa-sha256; d=shop.example; s=lum20261204; b=abc
From: Shop <a@shop.example>
To: buyer@example.net
Subject: Your receipt
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=b1

--b1
Content-Type: text/plain; charset=utf-8

Thanks for your order.
--b1
Content-Type: text/html; charset=utf-8

<p>Thanks <script>alert(1)</script></p>
--b1--
`, "\n", "\r\n")
	if err := smtp.SendMail(env.MailSandbox.Addr(), nil, "a@shop.example", []string{"buyer@example.net"}, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	r := v.Get("/lumora/sandbox")
	row := r.Doc.Find(`[data-testid="sandbox-row"]`)
	id, _ := row.Attr("data-id")
	if row.Length() != 1 || id == "" || !strings.Contains(row.Text(), "Your receipt") {
		t.Fatalf("inbox rows: %d %q", row.Length(), row.Text())
	}
	r = v.Get("/lumora/sandbox/" + id)
	if r.Status != http.StatusOK || !strings.Contains(r.Text(`[data-testid="dkim-signature"]`), "d=shop.example") ||
		!strings.Contains(r.Text(`[data-testid="text-body"]`), "Thanks for your order.") {
		t.Fatalf("message page: status %d", r.Status)
	}
	frame := r.Doc.Find(`iframe[data-testid="html-frame"]`)
	if src, _ := frame.Attr("src"); src != "/lumora/sandbox/"+id+"/html" {
		t.Errorf("iframe src %q", src)
	}
	if sb, ok := frame.Attr("sandbox"); !ok || sb != "" {
		t.Errorf("iframe sandbox attribute %q, %v", sb, ok)
	}
	if strings.Contains(r.Body, "<script>alert(1)") {
		t.Error("the HTML body is inline in the console page")
	}
	h := v.Get("/lumora/sandbox/" + id + "/html")
	if h.Status != http.StatusOK || !strings.Contains(h.Body, "<p>Thanks") {
		t.Fatalf("html route: status %d", h.Status)
	}
	if csp := h.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox") {
		t.Errorf("html CSP %q", csp)
	}
	for _, p := range []string{"/lumora/sandbox/nope", "/lumora/sandbox/nope/html"} {
		if r := v.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("%s: status %d", p, r.Status)
		}
	}
	if r := env.Anonymous().Get("/lumora/sandbox/" + id + "/html"); strings.Contains(r.Body, "Thanks") {
		t.Error("the HTML body is served to anyone")
	}
}
