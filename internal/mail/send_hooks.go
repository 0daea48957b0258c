package mail

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"lumdesk/internal/accounts"
	"lumdesk/internal/mail/templates"
	"lumdesk/internal/mail/webhooks"
)

// Templates renders a send's template (templates.Service).
type Templates interface {
	Render(ctx context.Context, scope accounts.Scope, ref string, vars map[string]any) (templates.Rendered, error)
}

// Webhooks records an event for the app's subscribed endpoints inside the
// caller's transaction (webhooks.Service).
type Webhooks interface {
	Enqueue(ctx context.Context, tx pgx.Tx, appID int64, eventType string, data any) (int, error)
}

// SetTemplates sets where sends naming a template render it; without it such
// sends are refused. Call it at wiring time.
func (s *Service) SetTemplates(t Templates) { s.templates = t }

// SetWebhooks sets where recipient status changes are announced; without it
// none is. Call it at wiring time.
func (s *Service) SetWebhooks(w Webhooks) { s.webhooks = w }

// ErrTemplateNotFound: the send names a template its account does not have
// (the API's template_not_found). It is not a NotFound(): the request's path
// exists, its body names something unknown, so the API answers 422.
var ErrTemplateNotFound = errors.New("template not found")

// TemplateNotFoundError names the template that was not found;
// errors.Is(err, ErrTemplateNotFound) holds.
type TemplateNotFoundError struct{ Ref string }

func (e *TemplateNotFoundError) Error() string {
	return fmt.Sprintf("template %q not found", e.Ref)
}

// Is makes the error match ErrTemplateNotFound.
func (e *TemplateNotFoundError) Is(target error) bool { return target == ErrTemplateNotFound }

// renderTemplate fills in.Subject, HTML and Text from the template the send
// names, rendered with its variables within the app's account. The
// template's subject wins; the send's subject is used when the template has
// none. It returns the template's id and version for the message's record.
func (s *Service) renderTemplate(ctx context.Context, accountID int64, in *SendInput) (string, int, error) {
	if in.Template == "" {
		if in.Variables != nil {
			return "", 0, ValidationError{"variables": "variables are only used with a template; name one in template."}
		}
		return "", 0, nil
	}
	fe := ValidationError{}
	if in.HTML != "" {
		fe["html"] = "Leave html out when sending a template: the template gives the body."
	}
	if in.Text != "" {
		fe["text"] = "Leave text out when sending a template: the template gives the body."
	}
	if len(fe) > 0 {
		return "", 0, fe
	}
	if s.templates == nil {
		return "", 0, errors.New("no template service is wired")
	}
	r, err := s.templates.Render(ctx, accounts.Only(accountID), in.Template, nonNilVars(in.Variables))
	var nf interface{ NotFound() bool }
	if errors.As(err, &nf) && nf.NotFound() {
		return "", 0, &TemplateNotFoundError{Ref: in.Template}
	} else if err != nil {
		return "", 0, err
	}
	if r.Subject != "" {
		in.Subject = r.Subject
	}
	in.HTML, in.Text = r.HTML, r.Text
	return r.TemplateID, r.Version, nil
}

func nonNilVars(v map[string]any) map[string]any {
	if v == nil {
		return map[string]any{}
	}
	return v
}

// Webhook event of each recipient status that has one. Failed (retries used
// up, or nothing could be sent) has no event type of its own in the spec's
// list, so it announces nothing.
var statusEvents = map[string]string{
	RcptDelivered:  webhooks.EventDelivered,
	RcptBounced:    webhooks.EventBounced,
	RcptDeferred:   webhooks.EventDeferred,
	RcptSuppressed: webhooks.EventSuppressed,
}

// StatusEvent is the data of a recipient status webhook.
type StatusEvent struct {
	MessageID    string `json:"message_id"` // msg_...
	Recipient    string `json:"recipient"`
	Status       string `json:"status"`
	SMTPCode     *int   `json:"smtp_code"` // nil: no SMTP answer (suppressed, not sent)
	SMTPResponse string `json:"smtp_response"`
	At           string `json:"at"` // RFC 3339
}

// announce enqueues the webhook of a recipient's new status in tx, the
// transaction recording that status, so the event exists exactly when it does.
func (s *Service) announce(ctx context.Context, tx pgx.Tx, appID int64, ev StatusEvent, at time.Time) error {
	typ, ok := statusEvents[ev.Status]
	if !ok || s.webhooks == nil {
		return nil
	}
	ev.At = at.UTC().Format(time.RFC3339)
	_, err := s.webhooks.Enqueue(ctx, tx, appID, typ, ev)
	return err
}
