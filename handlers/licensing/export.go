package licensing

import (
	"context"
	"encoding/csv"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/licensing"
)

// exportPage is how many keys one query of the export reads.
const exportPage = 1000

// export streams the filtered key list as CSV, reading keyset pages as it
// writes. The first page is read before answering, so a bad filter or an
// unknown project is an error page, not a broken download.
func (h *Bulk) export(c *fiber.Ctx) error {
	fv, f, errs := parseKeyFilter(c)
	if len(errs) > 0 {
		msgs := make([]string, 0, len(errs))
		for _, k := range slices.Sorted(mapKeys(errs)) {
			msgs = append(msgs, errs[k])
		}
		return web.ExportRefused(msgs)
	}
	f.Limit = exportPage
	ctx := c.UserContext()
	first, err := h.lic.ListKeys(ctx, f)
	if e := bulkErrors(err); e != nil {
		return web.ExportRefused(slices.Collect(mapValues(e)))
	}
	if err != nil {
		return err
	}
	filters := map[string]string{}
	for k, v := range fv.Values() {
		filters[k] = v[0]
	}
	if err := h.lic.RecordKeyExport(ctx, web.Actor(c), filters); err != nil {
		return err
	}
	StreamKeyCSV(c, h.app.Log(), h.now(), first, f, h.lic.ListKeys, true)
	return nil
}

// StreamKeyCSV answers with the keys of f as a CSV download, from first
// (the filter's first page, read before answering so that a bad filter is
// an error page, not a broken download) through the rest, one keyset page
// of f.Limit keys at a time. withIDs adds the internal id, the project's
// id and its name before the key's own columns (the console's export; the
// portal's is one project's, by user key). The console's and the portal's
// exports are this one function.
func StreamKeyCSV(c *fiber.Ctx, log *slog.Logger, now time.Time, first licensing.KeyPage, f licensing.KeyFilter,
	list func(ctx context.Context, f licensing.KeyFilter) (licensing.KeyPage, error), withIDs bool) {
	cols := 3 // the id, project_id and project columns that withIDs keeps
	if withIDs {
		cols = 0
	}
	name := "luarmor-keys-" + now.UTC().Format("20060102-1504") + ".csv"
	reqID := web.RequestID(c)
	web.StreamCSV(c, name, func(ctx context.Context, w *csv.Writer) error {
		if err := w.Write(keyExportHeader[cols:]); err != nil {
			return err
		}
		page := first
		for {
			for _, k := range page.Keys {
				if err := w.Write(keyExportRow(k)[cols:]); err != nil {
					return err
				}
			}
			if page.Next == nil {
				return nil
			}
			f.After = page.Next
			var err error
			if page, err = list(ctx, f); err != nil {
				return err
			}
		}
	}, func(err error) { log.Warn("key export stopped", "err", err, "request_id", reqID) })
}

var keyExportHeader = []string{"id", "project_id", "project", "user_key", "identifier", "discord_id", "note", "status",
	"banned", "ban_reason", "ban_expire", "key_days", "auth_expire", "expired", "total_resets", "last_reset_at",
	"total_executions", "last_execution_at", "created_at"}

func keyExportRow(k licensing.Key) []string {
	return []string{strconv.FormatInt(k.ID, 10), k.ProjectID, web.CsvCell(k.ProjectName), web.CsvCell(k.UserKey), web.CsvCell(k.Identifier),
		web.CsvCell(k.DiscordID), web.CsvCell(k.Note), k.Status, strconv.FormatBool(k.Banned), web.CsvCell(k.BanReason), timeCell(k.BanExpire),
		intPtrCell(k.KeyDays), timeCell(k.AuthExpire), strconv.FormatBool(k.Expired), strconv.Itoa(k.TotalResets),
		timeCell(k.LastResetAt), strconv.FormatInt(k.TotalExecutions, 10), timeCell(k.LastExecutionAt), k.CreatedAt.Format(time.RFC3339)}
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func intPtrCell(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func idOrEmpty(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}
