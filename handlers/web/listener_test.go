package web

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// TestShutdownClosesUnusedConnections: a connection a client opened and
// never used does not hold up the graceful shutdown (fasthttp alone waits
// for its first request until ReadTimeout, 30 s here, past the 5 s given),
// while a request in progress still gets its answer.
func TestShutdownClosesUnusedConnections(t *testing.T) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ReadTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second})
	entered, release := make(chan struct{}), make(chan struct{})
	app.Get("/slow", func(c *fiber.Ctx) error {
		close(entered)
		<-release
		return c.SendString("done")
	})
	app.Get("/quick", func(c *fiber.Ctx) error { return c.SendString("ok") })
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := NewListener(tcp)
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	base := "http://" + tcp.Addr().String()

	// A keep-alive connection that served a request, now idle.
	client := &http.Client{}
	res, err := client.Get(base + "/quick")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	// A connection that never sends a byte.
	unused, err := net.Dial("tcp", tcp.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer unused.Close()
	// A request in progress.
	slow := make(chan string, 1)
	go func() {
		res, err := (&http.Client{}).Get(base + "/slow")
		if err != nil {
			slow <- "error: " + err.Error()
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		slow <- string(b)
	}()
	// The slow request is in its handler, so the unused connection, dialed
	// before it, has been accepted (one goroutine accepts, in order).
	<-entered

	stopped := make(chan error, 1)
	go func() { stopped <- ln.Shutdown(app, 5*time.Second) }()
	// The unused connection is closed by the server: a read sees its end.
	_ = unused.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := unused.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the unused connection: read %d bytes, %v; want it closed (EOF)", n, err)
	}
	close(release)
	if got := <-slow; got != "done" {
		t.Errorf("the request in progress got %q, want its answer", got)
	}
	if err := <-stopped; err != nil {
		t.Errorf("shutdown: %v (a connection held it past its deadline)", err)
	}
	if err := <-served; err != nil {
		t.Errorf("app.Listener returned %v", err)
	}
}
