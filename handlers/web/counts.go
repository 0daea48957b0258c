package web

// Live counts: the badges and counters (pending approvals in the sidebar and
// on the Lumi tabs, ...) that refresh themselves after an action, without a
// reload. One mechanism for every area:
//
//   - an area declares its counts (CountSource on its route group);
//   - every successful htmx action (a POST answered 2xx) tells the page
//     "counts-changed" in HX-Trigger (liveCounts, a middleware, so no action
//     can forget it);
//   - each count on the page is a components.LiveCount element that re-fetches
//     itself from GET /counts/:key on that event.

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/internal/staff"
	"lumdesk/views/components"
)

// CountsChangedEvent is the htmx event that makes every live count refresh.
const CountsChangedEvent = components.CountsChangedEvent

// Counter is one live count an area provides.
type Counter struct {
	// Key names it in its URL (/counts/<key>) and on the page.
	Key string
	// Nav is the sidebar entry that shows it as a badge ("lumi"); "" for none.
	Nav string
	// Permission is needed to see it.
	Permission staff.Permission
	// Label says what the number is (the badge's title).
	Label string
	Value func(ctx context.Context) (int64, error)
}

// CountSource is a route group that provides live counts.
type CountSource interface {
	Counts() []Counter
}

// CountsChanged adds the counts-changed event to the response's HX-Trigger,
// keeping whatever events (a toast) it already carries.
func CountsChanged(c *fiber.Ctx) {
	cur := strings.TrimSpace(c.GetRespHeader("HX-Trigger"))
	switch {
	case cur == "":
		c.Set("HX-Trigger", CountsChangedEvent)
	case strings.Contains(cur, CountsChangedEvent):
	case strings.HasPrefix(cur, "{") && strings.HasSuffix(cur, "}"):
		// A JSON object of events: add ours as one more key.
		sep := ","
		if strings.TrimSpace(cur[1:len(cur)-1]) == "" {
			sep = ""
		}
		c.Set("HX-Trigger", cur[:len(cur)-1]+sep+`"`+CountsChangedEvent+`":true}`)
	default: // a comma-separated list of event names
		c.Set("HX-Trigger", cur+", "+CountsChangedEvent)
	}
}

// liveCounts marks every successful htmx action: whatever it changed, the
// counts on the page fetch themselves again.
func (a *App) liveCounts(c *fiber.Ctx) error {
	if err := c.Next(); err != nil {
		return err
	}
	if c.Method() == fiber.MethodPost && IsHTMX(c) && c.Response().StatusCode() < 300 && !isAPI(c.Path()) {
		CountsChanged(c)
	}
	return nil
}

// count finds a count the user may see.
func (a *App) count(c *fiber.Ctx, key string) (Counter, bool) {
	n, ok := a.counts[key]
	if !ok || !Can(c, n.Permission) {
		return Counter{}, false
	}
	return n, true
}

// liveCount answers GET /counts/:key with the count's element (its hx
// attributes included, so it keeps listening). A count the user may not see
// is not found.
func (a *App) liveCount(c *fiber.Ctx) error {
	n, ok := a.count(c, c.Params("key"))
	if !ok {
		return fiber.ErrNotFound
	}
	v, err := n.Value(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return Render(c, fiber.StatusOK, components.LiveCount(components.Count{Key: n.Key, Value: v, Label: n.Label}))
}

// navCounts are the sidebar badges the user may see, by nav key; a count
// that fails is left off the page rather than failing it.
func (a *App) navCounts(c *fiber.Ctx) map[string]components.Count {
	var out map[string]components.Count
	for _, n := range a.countOrder {
		if n.Nav == "" || !Can(c, n.Permission) {
			continue
		}
		v, err := n.Value(c.UserContext())
		if err != nil {
			a.log.Warn("live count failed", "count", n.Key, "err", err, "request_id", requestID(c))
			continue
		}
		if out == nil {
			out = map[string]components.Count{}
		}
		out[n.Nav] = components.Count{Key: n.Key, Value: v, Label: n.Label}
	}
	return out
}

// LiveCount is the current value of a count for a page's first render (a tab
// pill); ok is false when the user may not see it.
func (a *App) LiveCount(c *fiber.Ctx, key string) (components.Count, bool) {
	n, ok := a.count(c, key)
	if !ok {
		return components.Count{}, false
	}
	v, err := n.Value(c.UserContext())
	if err != nil {
		return components.Count{}, false
	}
	return components.Count{Key: n.Key, Value: v, Label: n.Label}, true
}
