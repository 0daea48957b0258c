package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

const rawMessage = "From: =?utf-8?q?Zo=C3=AB?= <zoe@acme.test>\r\n" +
	"To: jordan@globex.test\r\n" +
	"Subject: =?utf-8?b?SGVsbG8g4pyT?=\r\n" +
	"Message-ID: <abc123@acme.test>\r\n" +
	"X-Long: first part\r\n" +
	" folded second part\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=outer\r\n" +
	"\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=inner\r\n" +
	"\r\n" +
	"--inner\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Gr=C3=BC=C3=9Fe, a long line that is soft =\r\n" +
	"broken.\r\n" +
	"--inner\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+R3LDvMOfZTwv\r\n" +
	"cD4=\r\n" +
	"--inner--\r\n" +
	"--outer\r\n" +
	"Content-Type: application/pdf\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"JVBERi0=\r\n" +
	"--outer--\r\n"

func TestParseFindsHeadersAndBothBodies(t *testing.T) {
	m := Message{Raw: []byte(rawMessage)}
	parse(&m)
	if m.Subject != "Hello ✓" || m.From != "Zoë <zoe@acme.test>" || m.To != "jordan@globex.test" || m.MessageID != "abc123@acme.test" {
		t.Errorf("headers: %q %q %q %q", m.Subject, m.From, m.To, m.MessageID)
	}
	if v := m.HeaderValue("x-long"); v != "first part folded second part" {
		t.Errorf("folded header: %q", v)
	}
	if m.Headers[0].Name != "From" || m.Headers[len(m.Headers)-1].Name != "Content-Type" {
		t.Errorf("header order: %v", m.Headers)
	}
	if m.Text != "Grüße, a long line that is soft broken." {
		t.Errorf("text %q", m.Text)
	}
	if m.HTML != "<p>Grüße</p>" {
		t.Errorf("html %q", m.HTML)
	}
}

func TestParseKeepsWhatItCannotRead(t *testing.T) {
	for _, raw := range []string{"", "no header at all", "Subject: x\r\nContent-Type: multipart/alternative\r\n\r\nno boundary", "Subject: =?koi8-r?q?=F0=D2?=\r\n\r\nbody"} {
		m := Message{Raw: []byte(raw)}
		parse(&m) // must not panic
		if strings.HasPrefix(raw, "Subject: =?koi8") && m.Subject != "=?koi8-r?q?=F0=D2?=" {
			t.Errorf("unknown charset subject: %q", m.Subject)
		}
	}
	// Hostile nesting stops at maxParts instead of walking forever.
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := range maxParts + 10 {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i+1)
	}
	m := Message{Raw: []byte(b.String())}
	parse(&m)
}

func TestMemoryStoreKeepsTheNewest(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore(3)
	for i := range 5 {
		if err := s.Add(ctx, Message{ID: fmt.Sprint("m", i)}); err != nil {
			t.Fatal(err)
		}
	}
	list, _ := s.List(ctx, 0)
	var ids []string
	for _, m := range list {
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, ",") != "m4,m3,m2" {
		t.Errorf("List = %v, want the newest three, newest first", ids)
	}
	if two, _ := s.List(ctx, 2); len(two) != 2 || two[0].ID != "m4" {
		t.Errorf("List(2) = %v", two)
	}
	if _, ok, _ := s.Get(ctx, "m1"); ok {
		t.Error("an evicted message is still there")
	}
	if m, ok, _ := s.Get(ctx, "m3"); !ok || m.ID != "m3" {
		t.Error("Get(m3) missed")
	}
}

func TestServerReceivesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	at := time.Date(2026, 4, 21, 14, 0, 0, 0, time.UTC)
	srv, err := Start(ctx, Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	if host, _, _ := net.SplitHostPort(srv.Addr()); host != "127.0.0.1" {
		t.Errorf("listening on %s, want loopback", srv.Addr())
	}
	srv.SetReply("busy@globex.test", Reply{Code: 421, Message: "Try later"})

	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("zoe@acme.test", nil); err != nil {
		t.Fatal(err)
	}
	var se *smtp.SMTPError
	if err := c.Rcpt("busy@globex.test", nil); !errors.As(err, &se) || se.Code != 421 || se.Message != "Try later" {
		t.Fatalf("scripted RCPT answer: %v", err)
	}
	for _, r := range []string{"jordan@globex.test", "cc@globex.test"} {
		if err := c.Rcpt(r, nil); err != nil {
			t.Fatal(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(rawMessage)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()

	list, _ := srv.Store().List(ctx, 0)
	if len(list) != 1 {
		t.Fatalf("%d messages stored", len(list))
	}
	m := list[0]
	if !strings.HasPrefix(m.ID, "sbx_") || !m.ReceivedAt.Equal(at) || m.MailFrom != "zoe@acme.test" ||
		strings.Join(m.RcptTo, ",") != "jordan@globex.test,cc@globex.test" || m.TLS || string(m.Raw) != rawMessage || m.HTML != "<p>Grüße</p>" {
		t.Errorf("stored %+v", m)
	}
	if got, ok, _ := srv.Store().Get(ctx, m.ID); !ok || got.Subject != "Hello ✓" {
		t.Errorf("Get(%s) = %v", m.ID, ok)
	}

	// Ending the context stops the server: nothing listens there any more.
	cancel()
	addr := srv.Addr()
	if err := srv.Close(); err != nil {
		t.Errorf("Close after the context ended: %v", err)
	}
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Error("still accepting connections after the context ended")
	}
}

func TestRequiredCredentials(t *testing.T) {
	srv, err := Start(t.Context(), Options{Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var se *smtp.SMTPError
	if err := c.Mail("a@acme.test", nil); !errors.As(err, &se) || se.Code/100 != 5 || !strings.Contains(se.Message, "authenticate") {
		t.Errorf("MAIL without AUTH: %v", err)
	}
}

func TestImplicitTLSNeedsACertificate(t *testing.T) {
	if _, err := Start(t.Context(), Options{ImplicitTLS: true}); err == nil {
		t.Error("started implicit TLS without a certificate")
	}
}

// A context that is done already closes the server as it starts: the
// close runs beside Start's last steps and must not race them (a node sent
// SIGTERM as it started reported one), and the server is closed after.
func TestStartWithItsContextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // waits for the close already under way
		t.Fatalf("Close: %v", err)
	}
	if c, err := net.Dial("tcp", s.Addr()); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections", s.Addr())
	}
}
