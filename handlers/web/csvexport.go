package web

// One way to stream a CSV export: headers, a writer that runs after the
// handler returns (it must not touch c), flushing as it goes so a long export
// streams and stops once the client has gone, and one formula-injection guard.

import (
	"bufio"
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// exportTimeout bounds one CSV export (it outlives the handler).
const exportTimeout = 10 * time.Minute

// streamCSV answers with a CSV attachment written by fill after the
// handler has returned (it must not touch c), flushing as it goes.
func StreamCSV(c *fiber.Ctx, filename string, fill func(ctx context.Context, w *csv.Writer) error, failed func(error)) {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	if c.Method() == fiber.MethodHead {
		return // the headers alone: a streamed body would still be sent
	}
	// The request's values without its end: where its reads may go (the
	// replica, see replicaReads) holds for the whole export.
	base := context.WithoutCancel(c.UserContext())
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		ctx, cancel := context.WithTimeout(base, exportTimeout)
		defer cancel()
		w := csv.NewWriter(flushingWriter{bw})
		err := fill(ctx, w)
		w.Flush()
		if err == nil {
			err = w.Error()
		}
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			failed(err)
		}
	})
}

// flushingWriter pushes the buffer to the client whenever it fills, so a
// long export streams (and stops when the client has gone).
type flushingWriter struct{ w *bufio.Writer }

func (f flushingWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil && f.w.Buffered() > 32<<10 {
		err = f.w.Flush()
	}
	return n, err
}

// csvCell defuses spreadsheet formula injection: a cell that starts with
// = + - @ (or a tab or carriage return, which some spreadsheets skip before
// reading a formula) gets a leading single quote. Numbers we format ourselves
// (amounts, ids) are written as they are.
func CsvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// FieldErrorsText joins field messages in a stable order: a 4xx answer to
// an export whose filters are invalid, or a form's banner.
func FieldErrorsText(errs map[string]string) string {
	msgs := make([]string, 0, len(errs))
	for _, m := range errs {
		msgs = append(msgs, m)
	}
	slices.Sort(msgs)
	return strings.Join(msgs, " ")
}
