package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Request bodies. The server streams every body (fasthttp's
// StreamRequestBody), so that an upload route can read one larger than
// BodyLimit without holding it in memory; every other route keeps the
// buffered behaviour it always had:
//
//   - onHeaders (fasthttp's HeaderReceived, before any body byte is read)
//     marks a request a BodyStreamer claims, and marks one whose
//     Content-Length is over its limit (BodyLimit, or the streamer's) as
//     too large: its body is then not read at all, as fasthttp's own limit
//     did, and the answer is 413 with the connection closed;
//   - limitBody (the first middleware that may read a body) reads the body
//     of every other request into memory, at most BodyLimit bytes (a
//     chunked body over it is 413 too), so c.Body(), forms and multipart
//     forms work as before;
//   - a streamed body that the handler did not read to its end (an early
//     refusal: a wrong key, a hostile bundle) is read to its end and
//     discarded before the answer goes, within bounds (the streamer's
//     limit, DrainTimeout): a client still sending would otherwise see the
//     connection reset instead of the answer. Past the bounds, and for any
//     body no middleware read (an unknown method), the connection closes
//     after the answer, as the unread rest cannot be taken for the next
//     request.

// BodyStreamer is implemented by a route group whose routes read their
// request body as a stream (BodyStream): StreamedBody says whether the
// request (its method and raw path, without the query) is one, and the
// largest body it takes in bytes.
type BodyStreamer interface {
	StreamedBody(method, path string) (max int64, ok bool)
}

// StreamReadTimeout bounds reading a streamed request (a slow upload), in
// place of the server's ReadTimeout; DrainTimeout bounds reading the rest of
// one that was refused early.
const (
	StreamReadTimeout = 10 * time.Minute
	DrainTimeout      = 15 * time.Second
)

// headerBody is the marker onHeaders leaves for the middleware; a client's
// own header of that name is removed first.
const (
	headerBody   = "X-Lumdesk-Body"
	bodyStream   = "stream:"    // followed by the streamer's limit in bytes
	bodyTooLarge = "too-large:" // followed by the limit in bytes
	localBodyEOF = "web.body_eof"
)

// onHeaders is the server's HeaderReceived hook.
func (a *App) onHeaders(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	h.Del(headerBody)
	limit := int64(BodyLimit)
	var conf fasthttp.RequestConfig
	path := requestPath(string(h.RequestURI()))
	for _, s := range a.streamers {
		if max, ok := s.StreamedBody(string(h.Method()), path); ok {
			limit = max
			h.Set(headerBody, fmt.Sprintf("%s%d", bodyStream, max))
			// A limit at least the announced length makes fasthttp read
			// only a fixed-size first part of the body before the handler.
			conf = fasthttp.RequestConfig{ReadTimeout: StreamReadTimeout, MaxRequestBodySize: int(min(max, math.MaxInt32))}
			break
		}
	}
	if cl := h.ContentLength(); cl > 0 && int64(cl) > limit {
		h.Set(headerBody, fmt.Sprintf("%s%d", bodyTooLarge, limit))
		h.SetContentLength(0) // nothing of it is read
		h.Del(fasthttp.HeaderExpect)
	}
	return conf
}

// requestPath is the path of a request-target (origin or absolute form).
func requestPath(uri string) string {
	if i := strings.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	if rest, ok := strings.CutPrefix(uri, "http://"); ok {
		uri = rest[strings.IndexByte(rest+"/", '/'):]
	} else if rest, ok := strings.CutPrefix(uri, "https://"); ok {
		uri = rest[strings.IndexByte(rest+"/", '/'):]
	}
	return uri
}

// limitBody reads a buffered route's body (at most BodyLimit bytes) and
// refuses the bodies onHeaders found too large.
func (a *App) limitBody(c *fiber.Ctx) error {
	mark := string(c.Request().Header.Peek(headerBody))
	if limit, ok := strings.CutPrefix(mark, bodyTooLarge); ok {
		c.Context().SetConnectionClose()
		if limit != fmt.Sprint(BodyLimit) {
			return fiber.NewError(fiber.StatusRequestEntityTooLarge, "The request body is larger than the "+limit+" bytes this endpoint takes.")
		}
		return fiber.ErrRequestEntityTooLarge
	}
	if strings.HasPrefix(mark, bodyStream) {
		return c.Next()
	}
	stream := c.Context().RequestBodyStream()
	if stream == nil {
		return c.Next()
	}
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer putBodyBuffer(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(stream, BodyLimit+1)); err != nil {
		c.Context().SetConnectionClose()
		return fiber.NewError(fiber.StatusBadRequest, "The request body could not be read: it ended early or arrived too slowly.")
	}
	if buf.Len() > BodyLimit {
		c.Context().SetConnectionClose()
		return fiber.ErrRequestEntityTooLarge
	}
	c.Request().SetBody(buf.Bytes()) // a copy, into the request's own pooled buffer
	c.Request().Header.SetContentLength(buf.Len())
	c.Request().Header.Del(headerBody) // a chunked body's trailer may not pose as the marker
	return c.Next()
}

// bodyBuffers are what limitBody reads a body into before SetBody copies
// it: reading each into a new slice was an eighth of what a loader check
// allocated (docs/scaling.md).
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putBodyBuffer keeps a buffer for the next body unless a large upload grew
// it: the pool would hold megabytes for bodies of a few hundred bytes.
func putBodyBuffer(b *bytes.Buffer) {
	if b.Cap() <= 64<<10 {
		bodyBuffers.Put(b)
	}
}

// closeUnreadBodies is the outermost handler's last word on a request body
// still unread: a streamed one is drained (within bounds), anything else
// closes the connection.
func closeUnreadBodies(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(fctx *fasthttp.RequestCtx) {
		next(fctx)
		s := fctx.RequestBodyStream()
		if s == nil || fctx.UserValue(localBodyEOF) != nil {
			return
		}
		mark, _ := strings.CutPrefix(string(fctx.Request.Header.Peek(headerBody)), bodyStream)
		if max, err := strconv.ParseInt(mark, 10, 64); err == nil && max > 0 && drain(fctx, s, max) {
			return
		}
		fctx.SetConnectionClose()
	}
}

// drain reads and discards the rest of a streamed body, at most max bytes
// for at most DrainTimeout; it says whether the body ended.
func drain(fctx *fasthttp.RequestCtx, s io.Reader, max int64) bool {
	if err := fctx.Conn().SetReadDeadline(time.Now().Add(DrainTimeout)); err != nil {
		return false
	}
	n, err := io.CopyN(io.Discard, s, max+1)
	return errors.Is(err, io.EOF) && n <= max
}

// BodyStreamed says whether this request's body streams (a BodyStreamer
// claimed it): read it with BodyStream, never c.Body().
func BodyStreamed(c *fiber.Ctx) bool {
	return bytes.HasPrefix(c.Request().Header.Peek(headerBody), []byte(bodyStream))
}

// BodyStream is the request body as it arrives for a streamed request (see
// BodyStreamer), else the (already read) body.
func BodyStream(c *fiber.Ctx) io.Reader {
	if !BodyStreamed(c) {
		return bytes.NewReader(c.Body())
	}
	s := c.Context().RequestBodyStream()
	if s == nil {
		c.Locals(localBodyEOF, true)
		return bytes.NewReader(nil)
	}
	return &eofReader{c: c, r: s}
}

// eofReader notes when the body was read to its end.
type eofReader struct {
	c *fiber.Ctx
	r io.Reader
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if errors.Is(err, io.EOF) {
		e.c.Locals(localBodyEOF, true)
	}
	return n, err
}
