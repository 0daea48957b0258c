package lumora

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/platform/apperr"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/lumora"
)

// errSandboxMessage: unknown, evicted, or no sandbox inbox at all.
var errSandboxMessage = apperr.NotFound("sandbox message not found")

// sandboxShown is how many received messages the inbox lists (the store
// keeps a bounded number anyway).
const sandboxShown = 100

func (h *Lumora) sandbox(c *fiber.Ctx) error {
	v := view.SandboxList{}
	if st := h.store(); st != nil {
		v.Live = true
		msgs, err := st.List(c.UserContext(), sandboxShown)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			to := m.To
			if to == "" {
				to = strings.Join(m.RcptTo, ", ")
			}
			v.Rows = append(v.Rows, view.SandboxRow{ID: m.ID, From: m.From, To: to, Subject: m.Subject, Received: m.ReceivedAt})
		}
	}
	return web.Render(c, fiber.StatusOK, view.SandboxPage(h.page(c, "Sandbox inbox", layouts.Crumb{Label: "Sandbox inbox"}), v))
}

func (h *Lumora) sandboxGet(c *fiber.Ctx) (view.SandboxMessage, string, error) {
	st := h.store()
	if st == nil {
		return view.SandboxMessage{}, "", errSandboxMessage
	}
	m, ok, err := st.Get(c.UserContext(), strings.Clone(web.Truncate(c.Params("id"), 100)))
	if err != nil {
		return view.SandboxMessage{}, "", err
	}
	if !ok {
		return view.SandboxMessage{}, "", errSandboxMessage
	}
	v := view.SandboxMessage{ID: m.ID, From: m.From, To: m.To, Subject: m.Subject, Received: m.ReceivedAt, Text: m.Text,
		HasHTML: m.HTML != "", DKIM: m.HeaderValue("DKIM-Signature")}
	if v.To == "" {
		v.To = strings.Join(m.RcptTo, ", ")
	}
	for _, hd := range m.Headers {
		v.Headers = append(v.Headers, view.Header{Name: hd.Name, Value: hd.Value})
	}
	return v, m.HTML, nil
}

func (h *Lumora) sandboxMessage(c *fiber.Ctx) error {
	v, _, err := h.sandboxGet(c)
	if err != nil {
		return err
	}
	subject := v.Subject
	if subject == "" {
		subject = "(no subject)"
	}
	p := h.page(c, subject, web.Crumb("Sandbox inbox", view.SandboxPath), web.Crumb(subject))
	return web.Render(c, fiber.StatusOK, view.SandboxMessagePage(p, v))
}

// sandboxHTML serves a received message's HTML body alone, for the
// message page's iframe; the mail is untrusted (sendUntrusted).
func (h *Lumora) sandboxHTML(c *fiber.Ctx) error {
	_, html, err := h.sandboxGet(c)
	if err != nil {
		return err
	}
	return sendUntrusted(c, fiber.StatusOK, "text/html; charset=utf-8", html)
}

// sendUntrusted serves untrusted mail HTML for an iframe of our pages:
// `Content-Security-Policy: sandbox` gives it an opaque origin with no
// scripts, forms or top navigation, and frame-ancestors 'self' lets only
// our page frame it. Opened at top level (a link someone was sent), the
// HTML could still navigate its own window away (a meta refresh), so a
// browser that says it is not framing it (Sec-Fetch-Dest) gets a note.
func sendUntrusted(c *fiber.Ctx, status int, contentType, body string) error {
	c.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'self'")
	c.Set("X-Frame-Options", "SAMEORIGIN")
	c.Set("Cache-Control", "no-store")
	if dest := c.Get("Sec-Fetch-Dest"); dest != "" && dest != "iframe" {
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		return c.Status(fiber.StatusBadRequest).SendString("This is shown inside its page in the console or the portal: open that page.")
	}
	c.Set(fiber.HeaderContentType, contentType)
	return c.Status(status).SendString(body)
}
