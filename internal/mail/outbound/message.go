// Package outbound turns a message into signed bytes on the wire: it builds
// the MIME message (github.com/wneessen/go-mail), DKIM-signs it
// (github.com/emersion/go-msgauth) and hands it to an SMTP server over a small
// pool of reused connections (github.com/emersion/go-smtp), reporting per
// recipient whether the server delivered, deferred or bounced it. It knows
// nothing of the database: the mail service and its worker decide what to
// send and record what happened.
package outbound

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"

	"lumdesk/internal/mail/address"
	"lumdesk/internal/platform/ids"
)

// Message is one email as the API or a template produced it. Addresses are
// already validated (address.Parse / address.New).
type Message struct {
	From    address.Address
	To      []address.Address
	Cc      []address.Address
	Bcc     []address.Address // envelope only: never written into the headers
	ReplyTo []address.Address
	Subject string
	Text    string
	HTML    string
	// Headers are the caller's extra headers; only the names HeaderAllowed
	// accepts get through.
	Headers map[string]string
	// MessageIDDomain is the domain in the Message-ID; empty: the From domain.
	MessageIDDomain string
	// Tags stay with the message record for logs, stats and webhooks (as
	// Resend keeps them); they are validated here but never sent to recipients.
	Tags []Tag
}

// Tag is a name/value label on a message.
type Tag struct{ Name, Value string }

// Built is a message ready to sign and send.
type Built struct {
	Raw       []byte   // the RFC 5322 message, CRLF line endings
	MessageID string   // without angle brackets: random@domain
	MailFrom  string   // the envelope sender
	Rcpts     []string // every To, Cc and Bcc address, once each
}

// Limits on what one message may carry.
const (
	MaxRecipients   = 50 + 50 + 50 // to, cc and bcc, 50 each as the API allows
	MaxSubjectLen   = 998
	MaxHeaders      = 50
	MaxHeaderValue  = 998
	MaxBodyBytes    = 5 << 20
	MaxTags         = 10
	maxTagPartBytes = 256
)

// ErrInvalid is matched (errors.Is) by every *Error Build returns.
var ErrInvalid = errors.New("invalid message")

// Error names the field at fault and why, so the API can answer 422 with it.
// Reason follows the field's name: "html or text is required".
type Error struct {
	Field     string // "subject", "headers.X-Campaign", "to", ...
	Reason    string
	Injection bool // a line break or control character in a header value
}

func (e *Error) Error() string { return e.Field + ": " + e.Reason }

func (e *Error) Is(target error) bool {
	return target == ErrInvalid || (e.Injection && target == ErrHeaderInjection)
}

// ErrHeaderInjection is matched by the error for a line break (or another
// control character) in any header value: the one way a value could add a
// header of its own.
var ErrHeaderInjection = errors.New("line break in a header value")

func fieldErr(field, reason string) error { return &Error{Field: field, Reason: reason} }

// headerValueOK refuses CR, LF and other control characters (tab is folding
// whitespace and fine) in text that becomes a header.
func headerValueOK(field, v string) error {
	for _, r := range v {
		if r == '\r' || r == '\n' {
			return &Error{Field: field, Reason: "must not contain a line break", Injection: true}
		}
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return &Error{Field: field, Reason: "must not contain control characters", Injection: true}
		}
	}
	if !utf8.ValidString(v) {
		return fieldErr(field, "is not valid UTF-8")
	}
	return nil
}

var headerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,75}$`)

// allowedHeaders are the standard headers a sender may set itself; everything
// else that shapes the message (From, Subject, Content-*, DKIM-Signature,
// Received, Return-Path, ...) is ours to write.
var allowedHeaders = map[string]bool{
	"List-Unsubscribe":      true,
	"List-Unsubscribe-Post": true,
	"List-Id":               true,
	"In-Reply-To":           true,
	"References":            true,
	"Auto-Submitted":        true,
	"Precedence":            true,
	"X-Entity-Ref-Id":       true,
}

// HeaderAllowed says whether a caller may set the header name: the standard
// ones above and any X- header except our own X-Lumora-*.
func HeaderAllowed(name string) bool {
	if !headerName.MatchString(name) {
		return false
	}
	canon := textproto.CanonicalMIMEHeaderKey(name)
	if allowedHeaders[canon] {
		return true
	}
	return strings.HasPrefix(canon, "X-") && !strings.HasPrefix(canon, "X-Lumora-")
}

var tagPart = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Validate checks everything Build would refuse, without building.
func (m *Message) Validate() error {
	if m.From.Email == "" {
		return fieldErr("from", "is required")
	}
	if len(m.To) == 0 {
		return fieldErr("to", "needs at least one recipient")
	}
	if n := len(m.To) + len(m.Cc) + len(m.Bcc); n > MaxRecipients {
		return fieldErr("to", fmt.Sprintf("with cc and bcc holds %d recipients, more than %d", n, MaxRecipients))
	}
	// Addresses are validated types already, but a hand-built Address (not
	// from address.New) must not reach a header either.
	for field, list := range map[string][]address.Address{"from": {m.From}, "to": m.To, "cc": m.Cc, "bcc": m.Bcc, "reply_to": m.ReplyTo} {
		for _, a := range list {
			if err := headerValueOK(field, a.Name+a.Email); err != nil {
				return err
			}
		}
	}
	if strings.TrimSpace(m.Subject) == "" {
		return fieldErr("subject", "is required")
	}
	if err := headerValueOK("subject", m.Subject); err != nil {
		return err
	}
	if len(m.Subject) > MaxSubjectLen {
		return fieldErr("subject", fmt.Sprintf("is longer than %d bytes", MaxSubjectLen))
	}
	if m.Text == "" && m.HTML == "" {
		return fieldErr("html", "or text is required")
	}
	if len(m.Text)+len(m.HTML) > MaxBodyBytes {
		return fieldErr("html", fmt.Sprintf("and text together are larger than %d bytes", MaxBodyBytes))
	}
	if !utf8.ValidString(m.Text) || !utf8.ValidString(m.HTML) {
		return fieldErr("html", "and text must be valid UTF-8")
	}
	if len(m.Headers) > MaxHeaders {
		return fieldErr("headers", fmt.Sprintf("holds more than %d headers", MaxHeaders))
	}
	seen := map[string]bool{}
	for name, value := range m.Headers {
		field := "headers." + name
		canon := textproto.CanonicalMIMEHeaderKey(name)
		if seen[canon] {
			return fieldErr(field, "is given twice (header names ignore case)")
		}
		seen[canon] = true
		if !HeaderAllowed(name) {
			return fieldErr(field, "can't be set (allowed: X-* headers, List-Unsubscribe, List-Unsubscribe-Post, List-Id, In-Reply-To, References, Auto-Submitted, Precedence)")
		}
		if err := headerValueOK(field, value); err != nil {
			return err
		}
		if len(value) > MaxHeaderValue-len(name)-2 {
			return fieldErr(field, "is too long")
		}
	}
	if m.MessageIDDomain != "" {
		if _, err := address.NormalizeDomain(m.MessageIDDomain); err != nil {
			reason := err.Error()
			if ae := (*address.Error)(nil); errors.As(err, &ae) {
				reason = ae.Reason
			}
			return fieldErr("message_id_domain", "is not usable: "+reason)
		}
	}
	if len(m.Tags) > MaxTags {
		return fieldErr("tags", fmt.Sprintf("holds more than %d tags", MaxTags))
	}
	for _, t := range m.Tags {
		if !tagPart.MatchString(t.Name) || len(t.Name) > maxTagPartBytes || (t.Value != "" && (!tagPart.MatchString(t.Value) || len(t.Value) > maxTagPartBytes)) {
			return fieldErr("tags", "must have names and values of only letters, digits, _ and - (up to 256 characters each)")
		}
	}
	return nil
}

// NewMessageID returns a fresh random Message-ID (without angle brackets) at
// domain: 24 random alphanumerics (about 143 bits), unique without coordination.
func NewMessageID(domain string) string { return ids.Token(24) + "@" + domain }

// Build validates m and writes it as a MIME message dated now:
// multipart/alternative when it has both bodies, non-ASCII headers
// RFC 2047-encoded, a Message-ID at the sending domain.
func Build(m Message, now time.Time) (Built, error) {
	if err := m.Validate(); err != nil {
		return Built{}, err
	}
	// The From domain is used as it is: it is a validated address's domain,
	// or the platform sender's (lumdesk@localhost), which needs no dot.
	domain := strings.ToLower(m.From.Domain())
	if m.MessageIDDomain != "" {
		domain, _ = address.NormalizeDomain(m.MessageIDDomain) // Validate checked it
	}
	id := NewMessageID(domain)

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(mailAddr(m.From))
	msg.ToMailAddress(mailAddrs(m.To)...)
	if len(m.Cc) > 0 {
		msg.CcMailAddress(mailAddrs(m.Cc)...)
	}
	if len(m.ReplyTo) > 0 {
		msg.ReplyToMailAddress(mailAddrs(m.ReplyTo)...)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(id)
	msg.SetDateWithValue(now)
	for name, value := range m.Headers {
		msg.SetGenHeader(gomail.Header(textproto.CanonicalMIMEHeaderKey(name)), value)
	}
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return Built{}, fmt.Errorf("outbound: write MIME: %w", err)
	}

	seen := map[string]bool{}
	var rcpts []string
	for _, list := range [][]address.Address{m.To, m.Cc, m.Bcc} {
		for _, a := range list {
			k := strings.ToLower(a.Email)
			if !seen[k] {
				seen[k] = true
				rcpts = append(rcpts, a.Email)
			}
		}
	}
	return Built{Raw: buf.Bytes(), MessageID: id, MailFrom: m.From.Email, Rcpts: rcpts}, nil
}

func mailAddr(a address.Address) *mail.Address { return &mail.Address{Name: a.Name, Address: a.Email} }

func mailAddrs(list []address.Address) []*mail.Address {
	out := make([]*mail.Address, len(list))
	for i, a := range list {
		out[i] = mailAddr(a)
	}
	return out
}
