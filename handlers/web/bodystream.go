package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
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
//   - a streamed body that the handler did not read to its end closes the
//     connection after the answer (the unread rest cannot be taken for the
//     next request); so does any body no middleware read (an unknown method).

// BodyStreamer is implemented by a route group whose routes read their
// request body as a stream (BodyStream): StreamedBody says whether the
// request (its method and raw path, without the query) is one, and the
// largest body it takes in bytes.
type BodyStreamer interface {
	StreamedBody(method, path string) (max int64, ok bool)
}

// StreamReadTimeout bounds reading a streamed request (a slow upload), in
// place of the server's ReadTimeout.
const StreamReadTimeout = 10 * time.Minute

// headerBody is the marker onHeaders leaves for the middleware; a client's
// own header of that name is removed first.
const (
	headerBody   = "X-Lumdesk-Body"
	bodyStream   = "stream"
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
			h.Set(headerBody, bodyStream)
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
	if mark == bodyStream {
		return c.Next()
	}
	stream := c.Context().RequestBodyStream()
	if stream == nil {
		return c.Next()
	}
	body, err := io.ReadAll(io.LimitReader(stream, BodyLimit+1))
	if err != nil {
		c.Context().SetConnectionClose()
		return fiber.NewError(fiber.StatusBadRequest, "The request body could not be read: it ended early or arrived too slowly.")
	}
	if len(body) > BodyLimit {
		c.Context().SetConnectionClose()
		return fiber.ErrRequestEntityTooLarge
	}
	c.Request().SetBody(body)
	c.Request().Header.SetContentLength(len(body))
	return c.Next()
}

// closeUnreadBodies is the outermost handler's last word: a request body
// still unread (streamed and not read to its end, or refused before any
// middleware read it) closes the connection.
func closeUnreadBodies(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(fctx *fasthttp.RequestCtx) {
		next(fctx)
		if fctx.RequestBodyStream() != nil && fctx.UserValue(localBodyEOF) == nil {
			fctx.SetConnectionClose()
		}
	}
}

// BodyStreamed says whether this request's body streams (a BodyStreamer
// claimed it): read it with BodyStream, never c.Body().
func BodyStreamed(c *fiber.Ctx) bool {
	return string(c.Request().Header.Peek(headerBody)) == bodyStream
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
