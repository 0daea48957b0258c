package licensing

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/licensing"
)

// Limits of an import file. The body limit of the whole app (BodyLimit)
// is above the file limit, so an oversized file gets the form's message.
const (
	importMaxBytes = 3 << 20
	importMaxSize  = "3 MB"
)

// importIgnored are columns of a key export that an import skips.
var importIgnored = map[string]bool{"id": true, "project_id": true, "project": true, "status": true, "banned": true,
	"ban_reason": true, "ban_expire": true, "expired": true, "total_resets": true, "last_reset_at": true,
	"total_executions": true, "last_execution_at": true, "activated_at": true, "created_at": true}

// errImport is a problem with the whole file.
type errImport string

func (e errImport) Error() string { return string(e) }

// parseImportCSV reads an import file: a header line naming known
// columns, then data rows. A row it cannot read gets its Err; a file it
// cannot read at all is an errImport.
func parseImportCSV(r io.Reader) ([]jobs.ImportRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, importMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if len(data) > importMaxBytes {
		return nil, errImport("The file is larger than " + importMaxSize + ". Split it into smaller files.")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errImport("The file is empty.")
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return nil, errImport("This is not a CSV text file (it is binary or not UTF-8).")
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, errImport("This is not a readable CSV file: " + csvProblem(err))
	}
	cols := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		switch {
		case slices.Contains(view.ImportColumns, name):
			if _, dup := cols[name]; dup {
				return nil, errImport("The header names the column " + name + " twice.")
			}
			cols[name] = i
		case importIgnored[name]:
		case name == "":
			return nil, errImport("The header has an empty column name. The first line must name the columns: " + strings.Join(view.ImportColumns, ", ") + ".")
		default:
			return nil, errImport("The header has an unknown column " + strconv.Quote(web.Truncate(name, 40)) + ". The columns are: " + strings.Join(view.ImportColumns, ", ") + ".")
		}
	}
	if len(cols) == 0 {
		return nil, errImport("The first line must name the columns (" + strings.Join(view.ImportColumns, ", ") + ").")
	}
	get := func(rec []string, name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var rows []jobs.ImportRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errImport("The file is not valid CSV: " + csvProblem(err))
		}
		line, _ := cr.FieldPos(0)
		if len(rows) == jobs.MaxImportRows {
			return nil, errImport(fmt.Sprintf("The file has more than %s rows; one import takes at most %s.",
				components.Thousands(jobs.MaxImportRows), components.Thousands(jobs.MaxImportRows)))
		}
		row := jobs.ImportRow{Line: line}
		if len(rec) != len(header) {
			row.Err = fmt.Sprintf("Has %d fields; the header has %d.", len(rec), len(header))
			rows = append(rows, row)
			continue
		}
		row.UserKey, row.Identifier, row.DiscordID, row.Note = get(rec, "user_key"), get(rec, "identifier"), get(rec, "discord_id"), get(rec, "note")
		var bad []string
		if s := get(rec, "key_days"); s != "" {
			if n, err := strconv.Atoi(s); err == nil {
				row.KeyDays = &n
			} else {
				bad = append(bad, "key_days must be a whole number of days")
			}
		}
		if s := get(rec, "auth_expire"); s != "" {
			if s == "-1" {
				row.AuthExpire = &licensing.Expiry{Never: true}
			} else if t, ok := parseWhen(s); ok && t != nil {
				row.AuthExpire = &licensing.Expiry{At: *t}
			} else {
				bad = append(bad, "auth_expire must be unix seconds, a date like 2026-12-31, RFC 3339, or -1")
			}
		}
		if len(bad) > 0 {
			row.Err = strings.Join(bad, "; ") + "."
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, errImport("The file has a header but no data rows.")
	}
	return rows, nil
}

func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d: %v.", pe.Line, pe.Err)
	}
	return err.Error() + "."
}

func (h *Bulk) importPage(c *fiber.Ctx, status int, v view.BulkImport) error {
	opts, err := h.projectOptions(c.UserContext(), v.Project)
	if err != nil {
		return err
	}
	v.Projects, v.MaxRows, v.MaxSize = opts, jobs.MaxImportRows, importMaxSize
	p := h.app.Page(c, "Import keys", "luarmor", luarmorCrumb, bulkKeysCrumb, layouts.Crumb{Label: "Import"})
	return web.Render(c, status, view.BulkImportPage(p, v))
}

func (h *Bulk) importForm(c *fiber.Ctx) error {
	return h.importPage(c, fiber.StatusOK, view.BulkImport{Project: web.Field(c, "project")})
}

func (h *Bulk) importFile(c *fiber.Ctx) error {
	v := view.BulkImport{Project: web.Field(c, "project"), Reason: web.Field(c, "reason")}
	errs := map[string]string{}
	if v.Project == "" {
		errs["project"] = "Choose the project the keys go into."
	}
	var in jobs.Import
	fh, err := c.FormFile("file")
	switch {
	case err != nil:
		errs["file"] = "Choose a CSV file to import."
	case fh.Size > importMaxBytes:
		errs["file"] = "The file is larger than " + importMaxSize + ". Split it into smaller files."
	default:
		f, err := fh.Open()
		if err != nil {
			return fmt.Errorf("open upload: %w", err)
		}
		in.Rows, err = parseImportCSV(f)
		f.Close()
		var ie errImport
		if errors.As(err, &ie) {
			errs["file"] = string(ie)
		} else if err != nil {
			return err
		}
		in.FileName = web.Truncate(strings.ToValidUTF8(fh.Filename, ""), 100)
	}
	if len(errs) == 0 {
		in.ProjectID, in.Reason = v.Project, v.Reason
		job, err := h.jobs.EnqueueImport(c.UserContext(), web.Actor(c), in)
		if e := bulkErrors(err); e != nil {
			errs = e
		} else if err != nil {
			return err
		} else {
			return web.Redirect(c, view.JobHref(job.ID))
		}
	}
	v.Errors = errs
	return h.importPage(c, fiber.StatusUnprocessableEntity, v)
}
