package portal

import (
	"github.com/gofiber/fiber/v2"

	"lumdesk/internal/audit"
	view "lumdesk/views/pages/portal"
)

// AuditActivity is the home page's Activity read from the audit history:
// the account's recent events its customers may see, in words.
func AuditActivity(svc *audit.Service) Activity {
	return func(c *fiber.Ctx, accountID int64, limit int) ([]view.Activity, error) {
		rows, err := svc.AccountActivity(c.UserContext(), accountID, limit)
		if err != nil {
			return nil, err
		}
		out := make([]view.Activity, len(rows))
		for i, r := range rows {
			out[i] = view.Activity{At: r.At, Actor: r.Actor, Action: r.Action, Object: r.Object}
		}
		return out, nil
	}
}
