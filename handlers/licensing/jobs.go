package licensing

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/jobs"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/licensing"
)

// jobPageSize is how many results the job page shows at once.
const jobPageSize = 100

func (h *Bulk) loadJob(c *fiber.Ctx) (jobs.Job, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return jobs.Job{}, jobs.ErrJobNotFound
	}
	return h.jobs.Get(c.UserContext(), id)
}

func jobView(j jobs.Job) view.BulkJob {
	v := view.BulkJob{ID: j.ID, Title: j.Title, Kind: j.Kind, Status: j.Status, CreatedBy: j.CreatedByLabel,
		Created: components.ExactTime(j.CreatedAt), Total: j.Total, Done: j.Done, OK: j.OK, Failed: j.Failed,
		Percent: j.Percent(), Error: j.Error, Live: !j.Finished(), ProjectID: j.ProjectID,
		CSVHref: view.JobHref(j.ID) + "/results.csv"}
	if j.FinishedAt != nil {
		v.Finished = components.ExactTime(*j.FinishedAt)
	}
	return v
}

func itemView(it jobs.Item) view.BulkItem {
	v := view.BulkItem{N: it.Seq + 1, Ref: it.Ref, KeyID: it.KeyID, UserKey: it.UserKey, OK: it.OK, Message: it.Message,
		Note: it.Detail.Note}
	if it.Detail.KeyDays != nil {
		v.KeyDays = strconv.Itoa(*it.Detail.KeyDays)
	}
	if it.Detail.AuthExpire != nil {
		v.Expires = components.ExactTime(*it.Detail.AuthExpire)
	}
	return v
}

// job is the job's page; htmx's polling (HX-Target bulk-job-live) gets the
// live fragment. The results (when finished) page by item with ?after=.
func (h *Bulk) job(c *fiber.Ctx) error {
	j, err := h.loadJob(c)
	if err != nil {
		return err
	}
	v := jobView(j)
	self := view.JobHref(j.ID)
	if !v.Live {
		after := -1
		if s := c.Query("after"); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n >= 0 {
				after = n
			}
		}
		v.FailedOnly = c.Query("failed") == "1"
		items, err := h.jobs.Items(c.UserContext(), j.ID, after, v.FailedOnly, jobPageSize+1)
		if err != nil {
			return err
		}
		q := url.Values{}
		if v.FailedOnly {
			q.Set("failed", "1")
		}
		if len(items) > jobPageSize {
			items = items[:jobPageSize]
			q.Set("after", strconv.Itoa(items[len(items)-1].Seq))
			v.NextHref = self + "?" + q.Encode()
			q.Del("after")
		}
		if after >= 0 {
			v.FirstHref = self
			if len(q) > 0 {
				v.FirstHref += "?" + q.Encode()
			}
		}
		for _, it := range items {
			v.Items = append(v.Items, itemView(it))
		}
		v.AllHref, v.FailedHref = self, self+"?failed=1"
	}
	c.Vary("HX-Request")
	if web.IsHTMX(c) && c.Get("HX-Target") == "bulk-job-live" && c.Get("HX-History-Restore-Request") != "true" {
		return web.Render(c, fiber.StatusOK, view.BulkJobLive(v))
	}
	p := h.app.Page(c, j.Title, "luarmor", luarmorCrumb, bulkJobsCrumb, layouts.Crumb{Label: "#" + strconv.FormatInt(j.ID, 10)})
	return web.Render(c, fiber.StatusOK, view.BulkJobPage(p, v))
}

// jobCSV streams a job's results: the generated keys of a generate job,
// else one line per item with its result.
func (h *Bulk) jobCSV(c *fiber.Ctx) error {
	j, err := h.loadJob(c)
	if err != nil {
		return err
	}
	header := []string{"key_id", "user_key", "ok", "message"}
	row := func(it jobs.Item) []string {
		return []string{idOrEmpty(it.KeyID), web.CsvCell(it.UserKey), strconv.FormatBool(it.OK), web.CsvCell(it.Message)}
	}
	switch j.Kind {
	case jobs.KindGenerate:
		header = []string{"user_key", "note", "key_days", "auth_expire"}
		row = func(it jobs.Item) []string {
			return []string{web.CsvCell(it.UserKey), web.CsvCell(it.Detail.Note), intPtrCell(it.Detail.KeyDays), timeCell(it.Detail.AuthExpire)}
		}
	case jobs.KindImport:
		header = []string{"line", "user_key", "ok", "message", "key_id"}
		row = func(it jobs.Item) []string {
			return []string{it.Ref, web.CsvCell(it.UserKey), strconv.FormatBool(it.OK), web.CsvCell(it.Message), idOrEmpty(it.KeyID)}
		}
	}
	name := fmt.Sprintf("job-%d-results.csv", j.ID)
	if j.Kind == jobs.KindGenerate {
		name = fmt.Sprintf("keys-job-%d.csv", j.ID)
	}
	svc, log, reqID := h.jobs, h.app.Log(), web.RequestID(c)
	web.StreamCSV(c, name, func(ctx context.Context, w *csv.Writer) error {
		if err := w.Write(header); err != nil {
			return err
		}
		return svc.EachItem(ctx, j.ID, func(it jobs.Item) error { return w.Write(row(it)) })
	}, func(err error) {
		log.Warn("job results export stopped", "err", err, "job_id", j.ID, "request_id", reqID)
	})
	return nil
}

func (h *Bulk) jobList(c *fiber.Ctx) error {
	var before int64
	if s := c.Query("before"); s != "" {
		before, _ = web.ParseID(s)
	}
	const size = 50
	list, err := h.jobs.List(c.UserContext(), before, size+1)
	if err != nil {
		return err
	}
	var v view.BulkJobs
	if len(list) > size {
		list = list[:size]
		v.NextHref = view.JobsPath + "?before=" + strconv.FormatInt(list[size-1].ID, 10)
	}
	if before > 0 {
		v.FirstHref = view.JobsPath
	}
	for _, j := range list {
		v.Rows = append(v.Rows, view.BulkJobRow{ID: j.ID, Title: j.Title, Status: j.Status, Total: j.Total, Done: j.Done,
			OK: j.OK, Failed: j.Failed, CreatedBy: j.CreatedByLabel, Created: j.CreatedAt})
	}
	p := h.app.Page(c, "Jobs", "luarmor", luarmorCrumb, layouts.Crumb{Label: "Jobs"})
	return web.Render(c, fiber.StatusOK, view.BulkJobsPage(p, v))
}
