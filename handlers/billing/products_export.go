package billing

// The CSV exports of the domain, server and proxy lists, in the console
// (every account, or the account filter) and the portal (the session's
// account, without the account's columns): the list's filters, every page of them (keyset pages of exportPage), with
// the account's name on each row, for the reconciliation and renewal
// reviews people do in a spreadsheet.

import (
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	lumiproducts "lumdesk/internal/billing/products"
)

// exportPage is how many items each read of an export takes: the lists'
// largest page.
const exportPage = lumiproducts.MaxLimit

// exportColumns are each list's CSV header.
var exportColumns = map[string][]string{
	"domains": {"id", "account_id", "account_name", "name", "status", "expires_at", "auto_renew", "locked", "privacy",
		"nameservers", "renewal_failed_at", "renewal_failed_reason", "created_at"},
	"vps": {"id", "account_id", "account_name", "hostname", "plan", "status", "power", "ip", "expires_at", "auto_renew",
		"renewal_failed_at", "renewal_failed_reason", "created_at"},
	"proxies": {"id", "account_id", "account_name", "username", "plan", "type", "country", "status", "host", "port",
		"expires_at", "auto_renew", "renewal_failed_at", "renewal_failed_reason", "created_at"},
}

func (h *Products) exportDomains(c *fiber.Ctx) error { return h.export(c, "domains") }
func (h *Products) exportVPS(c *fiber.Ctx) error     { return h.export(c, "vps") }
func (h *Products) exportProxies(c *fiber.Ctx) error { return h.export(c, "proxies") }

// export streams the filtered list as CSV. A filter the list would ignore
// is refused here: a file must hold what its link says.
func (h *Products) export(c *fiber.Ctx, kind string) error {
	_, f, problems := ParseItemsQuery(c, !h.face.Portal)
	if len(problems) > 0 {
		return web.ExportRefused(problems)
	}
	if h.face.Portal {
		f.Scope = h.scope(c) // the session's account, whatever the URL says
	}
	f.Limit = exportPage
	portal := h.face.Portal
	log, reqID := h.app.Log(), web.RequestID(c)
	name := "lumi-" + kind + "-" + time.Now().UTC().Format("20060102-1504") + ".csv"
	web.StreamCSV(c, name, func(ctx context.Context, w *csv.Writer) error {
		if err := w.Write(withoutAccount(exportColumns[kind], portal)); err != nil {
			return err
		}
		for {
			rows, next, err := h.exportRows(ctx, kind, f)
			if err != nil {
				return err
			}
			for _, rec := range rows {
				if err := w.Write(withoutAccount(rec, portal)); err != nil {
					return err
				}
			}
			if next == "" {
				return nil
			}
			f.Cursor = next
		}
	}, func(err error) { log.Warn("lumi "+kind+" export stopped", "err", err, "request_id", reqID) })
	return nil
}

// exportRows reads one page of the list as CSV records, and the cursor of
// the next ("" at the end).
func (h *Products) exportRows(ctx context.Context, kind string, f lumiproducts.ListFilter) ([][]string, string, error) {
	var rows [][]string
	var accounts []int64
	var next string
	switch kind {
	case "vps":
		p, err := h.svc.ListVPS(ctx, f)
		if err != nil {
			return nil, "", err
		}
		for _, v := range p.Items {
			accounts = append(accounts, v.AccountID)
			rows = append(rows, []string{idText(v.ID), idText(v.AccountID), "", web.CsvCell(v.Hostname), v.Plan, v.Status, v.Power, v.IP,
				csvTime(v.ExpiresAt), strconv.FormatBool(v.AutoRenew), csvTime(v.RenewalFailedAt), web.CsvCell(v.RenewalFailedReason),
				csvTime(&v.CreatedAt)})
		}
		next = p.NextCursor
	case "proxies":
		p, err := h.svc.ListProxies(ctx, f)
		if err != nil {
			return nil, "", err
		}
		for _, x := range p.Items {
			accounts = append(accounts, x.AccountID)
			rows = append(rows, []string{idText(x.ID), idText(x.AccountID), "", web.CsvCell(x.Username), x.Plan, x.Type, x.Country, x.Status,
				x.Host, strconv.Itoa(x.Port), csvTime(x.ExpiresAt), strconv.FormatBool(x.AutoRenew), csvTime(x.RenewalFailedAt),
				web.CsvCell(x.RenewalFailedReason), csvTime(&x.CreatedAt)})
		}
		next = p.NextCursor
	default:
		p, err := h.svc.ListDomains(ctx, f)
		if err != nil {
			return nil, "", err
		}
		for _, d := range p.Items {
			accounts = append(accounts, d.AccountID)
			rows = append(rows, []string{idText(d.ID), idText(d.AccountID), "", d.Name, d.Status, csvTime(d.ExpiresAt),
				strconv.FormatBool(d.AutoRenew), strconv.FormatBool(d.Locked), strconv.FormatBool(d.Privacy),
				web.CsvCell(strings.Join(d.Nameservers, " ")), csvTime(d.RenewalFailedAt), web.CsvCell(d.RenewalFailedReason),
				csvTime(&d.CreatedAt)})
		}
		next = p.NextCursor
	}
	if h.face.Portal { // its file has no account columns
		return rows, next, nil
	}
	names := h.names.Of(ctx, accounts...)
	for i := range rows {
		rows[i][2] = web.CsvCell(names[accounts[i]])
	}
	return rows, next, nil
}

// withoutAccount drops the account's columns (1 and 2) from a record when
// drop is set: the portal's export is of its own account.
func withoutAccount(rec []string, drop bool) []string {
	if !drop {
		return rec
	}
	return append(rec[:1:1], rec[3:]...)
}

func idText(n int64) string { return strconv.FormatInt(n, 10) }

// csvTime is a time in RFC 3339 (UTC), or "" for none.
func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
