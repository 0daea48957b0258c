package lumora

// The suppression lists' filters and CSV export, for the console (an
// account chosen by id) and the portal (the session's account) alike.

import (
	"context"
	"encoding/csv"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/mail"
	"lumdesk/internal/platform/listcount"
)

// SuppressionLister is what the suppression lists and exports read.
type SuppressionLister interface {
	ListSuppressions(ctx context.Context, scope accounts.Scope, f mail.SuppressionFilter) ([]mail.Suppression, error)
	SuppressionPage(ctx context.Context, scope accounts.Scope, f mail.SuppressionFilter) (mail.Page[mail.Suppression], error)
	CountSuppressions(ctx context.Context, scope accounts.Scope, f mail.SuppressionFilter, limitTo int) (listcount.Count, error)
}

// SuppressionQuery reads a suppression list's search (any part of the
// address) and reason into f; problems say what was left out. The search
// is cut to its longest and keeps only valid text (no address holds
// anything else), so the service is never asked with one it refuses.
func SuppressionQuery(c *fiber.Ctx, f *mail.SuppressionFilter, problems *[]string) {
	f.Search = strings.ToValidUTF8(web.Truncate(web.Field(c, "q"), mail.MaxSuppressionSearch), "")
	if r := web.Field(c, "reason"); r != "" {
		if slices.Contains(mail.SuppressionReasons, r) {
			f.Reason = r
		} else {
			*problems = append(*problems, "Reason must be hard bounce, complaint, manual or unsubscribe; showing every reason.")
		}
	}
}

// ExportSuppressions streams the account's suppressions as f picks them,
// newest first, page by page, as CSV.
func ExportSuppressions(c *fiber.Ctx, svc SuppressionLister, log *slog.Logger, scope accounts.Scope, f mail.SuppressionFilter) {
	reqID := web.RequestID(c)
	f.Limit = exportPage
	web.StreamCSV(c, "lumora-suppressions-"+strconv.FormatInt(f.AccountID, 10)+"-"+time.Now().UTC().Format("20060102-1504")+".csv",
		func(ctx context.Context, w *csv.Writer) error {
			if err := w.Write([]string{"email", "reason", "origin", "created_at"}); err != nil {
				return err
			}
			return writePages(w, func(before int64) ([]mail.Suppression, error) {
				f.BeforeID = before
				return svc.ListSuppressions(ctx, scope, f)
			}, func(s mail.Suppression) int64 { return s.ID }, func(s mail.Suppression) []string {
				return []string{web.CsvCell(s.Email), s.Reason, web.CsvCell(s.Origin), s.CreatedAt.UTC().Format(time.RFC3339)}
			})
		}, func(err error) { log.Warn("suppression export stopped", "err", err, "request_id", reqID) })
}

// CursorOf is a mail.Page's next cursor as a list's link takes it ("" on
// the last page).
func CursorOf(next int64) string {
	if next == 0 {
		return ""
	}
	return strconv.FormatInt(next, 10)
}
