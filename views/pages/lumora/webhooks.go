package lumora

import (
	"net/url"
	"strconv"
	"time"

	"lumdesk/views/components"
)

// WebhooksPath is the root of the webhook endpoint pages.
const WebhooksPath = "/lumora/webhooks"

// WebhookHref is a webhook endpoint's page (id: its public id, ep_...).
func WebhookHref(id string) string { return WebhooksPath + "/" + url.PathEscape(id) }

// WebhookDeleteHref deletes (disables) an endpoint (POST).
func WebhookDeleteHref(id string) string { return WebhookHref(id) + "/delete" }

// DeliveryHref is one webhook delivery's page, with its attempts.
func DeliveryHref(id int64) string { return WebhooksPath + "/deliveries/" + idStr(id) }

// ReplayHref sends a delivery again (POST).
func ReplayHref(id int64) string { return DeliveryHref(id) + "/replay" }

// DeliveryStatusOptions are the delivery log's status filter.
var DeliveryStatusOptions = []components.Option{{Value: "", Label: "Any status"}, {Value: "pending", Label: "Pending"},
	{Value: "delivered", Label: "Delivered"}, {Value: "failed", Label: "Failed"}}

// WebhookEndpoint is an endpoint as its pages show it.
type WebhookEndpoint struct {
	ID, URL, Events  string
	AppID, AccountID int64
	AppName          string
	AccountName      string // "": "#id"
	Created          time.Time
	Deleted          *time.Time // set once deleted: the log stays readable
}

// Status is "active" or "deleted".
func (e WebhookEndpoint) Status() string {
	if e.Deleted != nil {
		return "deleted"
	}
	return "active"
}

// WebhookPage is /lumora/webhooks/:id: the endpoint and its delivery log.
type WebhookPage struct {
	E                  WebhookEndpoint
	CanManage          bool
	CSRF               string
	Status             string // the log's status filter
	Cursor, NextCursor string
	Rows               []DeliveryRow
	Error              string
	Bar                components.ListBar
}

// DeliveryRow is one delivery in an endpoint's log.
type DeliveryRow struct {
	ID                      int64
	EventID, Type, Status   string
	ResponseCode, LatencyMs *int
	Attempts                int
	LastError               string
	Created                 time.Time
	Delivered, NextAttempt  *time.Time
}

// Replayable: River is not retrying it, and the endpoint is live.
func (r DeliveryRow) Replayable(e WebhookEndpoint) bool {
	return r.Status != "pending" && e.Deleted == nil
}

// Href is the log URL with the status filter and key set to value.
func (v WebhookPage) Href(key, value string) string {
	return listHref(WebhookHref(v.E.ID), key, value, "status", v.Status, "cursor", v.Cursor)
}

// Query is the log's URL query without the page position.
func (v WebhookPage) Query() string { return v.Href("cursor", "")[len(WebhookHref(v.E.ID)):] }

// ActiveFilters are the filters in force.
func (v WebhookPage) ActiveFilters() []components.ActiveFilter {
	return components.OptionFilter("status", "Status", v.Status, DeliveryStatusOptions)
}

// DeliveryPage is /lumora/webhooks/deliveries/:id: one delivery, its body
// and every attempt.
type DeliveryPage struct {
	E         WebhookEndpoint
	D         DeliveryRow
	Payload   string // the body sent, indented
	Attempts  []AttemptRow
	CanManage bool
	CSRF      string
}

// AttemptRow is one attempt of a delivery.
type AttemptRow struct {
	N            int
	ResponseCode *int
	LatencyMs    int
	Error        string
	At           time.Time
}

// codeText is a response code, or a dash when nothing answered.
func codeText(p *int) string {
	if p == nil {
		return "—"
	}
	return strconv.Itoa(*p)
}

// codeTone colours a response code: 2xx green, none or other red.
func codeTone(p *int) string {
	if p != nil && *p >= 200 && *p < 300 {
		return "green"
	}
	return "red"
}

// latencyText is a latency in milliseconds, or a dash.
func latencyText(p *int) string {
	if p == nil {
		return "—"
	}
	return ms(*p)
}

func ms(n int) string { return strconv.Itoa(n) + " ms" }
