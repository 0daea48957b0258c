package billing

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/staff"
	view "lumdesk/views/pages/billing"
)

// Counts are the desk's live counts: the requests waiting for approval, on
// the sidebar's Lumi entry and the Approvals tab.
func (h *Billing) Counts() []web.Counter {
	return []web.Counter{{Key: view.PendingCountKey, Nav: "lumi", Permission: staff.PermBillingView,
		Label: view.PendingCountLabel, Value: h.svc.PendingCount}}
}
