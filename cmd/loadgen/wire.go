package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// The scenarios compared with pgbench -S (the loader check and the bare
// Fiber ceiling) are driven through a wire client: each request's bytes are
// built once, before the run, and each client writes them on its own
// keep-alive connection and reads the answer's status line and headers,
// then skips its body, as wrk does. pgbench's client is C on libpq; on this
// 2-core machine whatever CPU the load generator spends per request is taken
// from the server it measures. fasthttp's client, with a request built per
// check, spent 35 µs of CPU a check (net/http's 51 µs); this one spends
// 14 – 20 µs, and pgbench 12 – 18 µs a transaction (each scenario prints
// its client's).

// wireRequest is one request's bytes, as written on the connection.
type wireRequest []byte

// postJSON is a POST of the JSON body to rawURL, as an HTTP/1.1 request.
func postJSON(rawURL string, body []byte) (wireRequest, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", u.RequestURI(), u.Host, len(body))
	b.Write(body)
	return b.Bytes(), nil
}

// wireConn is one client's keep-alive connection.
type wireConn struct {
	addr     string
	blocking bool // a blockingConn, not a net.Conn
	conn     io.ReadWriteCloser
	r        *bufio.Reader
}

// do writes req and reads its answer, and returns the answer's status.
// A connection that fails or that the server closes is dialled again for
// the next request.
func (w *wireConn) do(req wireRequest) (int, error) {
	if w.conn == nil {
		var c io.ReadWriteCloser
		var err error
		if w.blocking {
			c, err = dialBlocking(w.addr)
		} else {
			c, err = net.DialTimeout("tcp", w.addr, 5*time.Second)
		}
		if err != nil {
			return 0, err
		}
		w.conn = c
		if w.r == nil {
			w.r = bufio.NewReaderSize(c, 16<<10)
		} else {
			w.r.Reset(c)
		}
	}
	status, keep, err := w.roundTrip(req)
	if err != nil || !keep {
		w.close()
	}
	return status, err
}

func (w *wireConn) roundTrip(req wireRequest) (status int, keep bool, err error) {
	if c, ok := w.conn.(net.Conn); ok { // a blockingConn times out by itself
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	}
	if _, err := w.conn.Write(req); err != nil {
		return 0, false, err
	}
	line, err := w.r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, fmt.Errorf("not an HTTP answer: %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, false, fmt.Errorf("status line %q", line)
	}
	length, keep := -1, true
	for {
		line, err := w.r.ReadSlice('\n')
		if err != nil {
			return status, false, err
		}
		if len(line) <= 2 { // the blank line that ends the headers
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return status, false, fmt.Errorf("header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return status, false, fmt.Errorf("content-length %q", value)
			}
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return status, false, errors.New("a chunked answer: the wire client reads only sized bodies")
		}
	}
	if length < 0 {
		return status, false, errors.New("an answer without a Content-Length")
	}
	if _, err := w.r.Discard(length); err != nil {
		return status, false, err
	}
	return status, keep, nil
}

func (w *wireConn) close() {
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn = nil
	}
}

// measureWire runs next()'s requests to addr from cfg.concurrency clients
// for d, each on its own wireConn, and counts an answer other than 200 as
// an error; next returns nil when the scenario has no more requests. Clients no more than the cores each block in their own
// thread, as pgbench's do at -c 2 -j 2; more are multiplexed onto the
// cores by Go's network poller, as pgbench's 32 clients are onto its two
// threads by poll(). Blocking threads beyond the cores wait for one after
// their read returns, and that wait is timed as the server's: at 32
// clients the bare endpoint's p99 read 12.2 ms that way, 3.6 ms through
// the poller (the same 63,000 requests a second); at 2 clients blocking
// made 32,128 a second, the poller 27,184.
func measureWire(ctx context.Context, cfg config, addr, name string, next func(*rand.Rand) wireRequest, d time.Duration) result {
	var mu sync.Mutex
	var conns []*wireConn
	defer func() { // or a server's graceful shutdown waits for them
		for _, c := range conns {
			c.close()
		}
	}()
	return drive(ctx, cfg, name, d, func() send {
		c := &wireConn{addr: addr, blocking: cfg.concurrency <= runtime.GOMAXPROCS(0)}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		return func(rng *rand.Rand) (bool, error) {
			req := next(rng)
			if req == nil {
				return true, nil
			}
			status, err := c.do(req)
			if err != nil {
				return false, err
			}
			if status != http.StatusOK { // every scenario driven this way wants 200
				return false, fmt.Errorf("status %d", status)
			}
			return false, nil
		}
	})
}

// blockingConn is a TCP connection whose reads and writes are the system
// calls themselves, on a blocking socket: Go's own connections park the
// goroutine on each read and wake it through the network poller, which
// cost the client a sixth of its CPU per request (25 against 21 µs).
type blockingConn struct{ fd int }

func dialBlocking(addr string) (*blockingConn, error) {
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, err
	}
	var sa syscall.Sockaddr
	family := syscall.AF_INET
	if ip4 := a.IP.To4(); ip4 != nil {
		sa4 := &syscall.SockaddrInet4{Port: a.Port}
		copy(sa4.Addr[:], ip4)
		sa = sa4
	} else {
		sa6 := &syscall.SockaddrInet6{Port: a.Port}
		copy(sa6.Addr[:], a.IP.To16())
		sa, family = sa6, syscall.AF_INET6
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	// A server that stops answering fails the request after 30 s.
	tv := syscall.NsecToTimeval((30 * time.Second).Nanoseconds())
	for _, err := range []error{
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1),
		syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv),
		syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv),
		syscall.Connect(fd, sa),
	} {
		if err != nil {
			_ = syscall.Close(fd)
			return nil, fmt.Errorf("connect %s: %w", addr, err)
		}
	}
	return &blockingConn{fd: fd}, nil
}

func (c *blockingConn) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(c.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (c *blockingConn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := syscall.Write(c.fd, p[written:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return written, err
		}
		written += n
	}
	return written, nil
}

func (c *blockingConn) Close() error { return syscall.Close(c.fd) }
