package billing

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	view "lumdesk/views/pages/billing"
)

// DepositsService is what deposits and the sandbox webhook need of internal/billing.
type DepositsService interface {
	GetDeposit(ctx context.Context, id int64) (billing.Deposit, error)
	CreateDeposit(ctx context.Context, actor audit.Actor, in billing.DepositInput) (billing.Deposit, error)
	MarkDepositPaid(ctx context.Context, actor audit.Actor, id int64, reason string) (billing.PayResult, error)
	CancelDeposit(ctx context.Context, actor audit.Actor, id int64, reason string) (billing.Deposit, error)
	SimulateSandboxPayment(ctx context.Context, actor audit.Actor, depositID int64, baseURL, note string) (billing.Deposit, error)
	HandleWebhook(ctx context.Context, actor audit.Actor, p billing.Provider, signature string, body []byte) (billing.WebhookResult, error)
	Sandbox() *billing.Sandbox
}

func depositRow(d billing.Deposit, now time.Time) view.DepositRow {
	row := view.DepositRow{ID: d.ID, PublicID: d.PublicID, Amount: d.Amount.String(), Provider: billing.ProviderLabel(d.Provider),
		Sandbox: d.Sandbox(), Status: d.Status, Created: billingTime(d.CreatedAt)}
	expired := d.ExpiresAt != nil && !now.Before(*d.ExpiresAt)
	switch {
	case d.Status == billing.DepositPaid && d.PaidAt != nil:
		row.Closes = "paid " + billingTime(*d.PaidAt)
	case d.Status == billing.DepositPending && expired:
		row.Closes = "expired " + billingTime(*d.ExpiresAt)
	case d.Status == billing.DepositPending && d.ExpiresAt != nil:
		row.Closes = "until " + billingTime(*d.ExpiresAt)
	case d.ClosedAt != nil:
		row.Closes = billingTime(*d.ClosedAt)
	}
	row.CanPay = d.Status == billing.DepositPending && !expired
	row.CanCancel = d.Status == billing.DepositPending
	return row
}

// webhookError writes the Lumi API's error envelope.
func webhookError(c *fiber.Ctx, status int, code, msg string) error {
	return c.Status(status).JSON(fiber.Map{"error": fiber.Map{"code": code, "message": msg}})
}

// webhook receives the sandbox provider's signed notifications. It answers
// 200 for a delivery it has acted on before, so the provider stops retrying.
func (h *Billing) webhook(c *fiber.Ctx) error {
	body := bytes.Clone(c.Body())
	if len(body) > billing.MaxWebhookBody {
		return webhookError(c, fiber.StatusRequestEntityTooLarge, "payload_too_large", "The webhook body is too large.")
	}
	sig := utils.CopyString(c.Get(billing.SandboxSignatureHeader))
	actor := audit.Actor{Kind: audit.KindSystem, Label: h.svc.Sandbox().Label() + " webhook", IP: c.IP(), RequestID: web.RequestID(c),
		UserAgent: utils.CopyString(web.Truncate(c.Get(fiber.HeaderUserAgent), 300))}
	res, err := h.svc.HandleWebhook(c.UserContext(), actor, h.svc.Sandbox(), sig, body)
	switch {
	case errors.Is(err, billing.ErrBadSignature):
		return webhookError(c, fiber.StatusUnauthorized, "invalid_signature", "The "+billing.SandboxSignatureHeader+" header is missing or does not match the body.")
	case errors.Is(err, billing.ErrBadWebhook), errors.Is(err, billing.ErrAmountMismatch):
		return webhookError(c, fiber.StatusUnprocessableEntity, "validation_error", web.Capitalize(err.Error())+".")
	case errors.Is(err, billing.ErrNotFound):
		return webhookError(c, fiber.StatusNotFound, "not_found", "No deposit has this invoice reference.")
	case errors.Is(err, billing.ErrDepositNotPending), errors.Is(err, billing.ErrDepositExpired):
		return webhookError(c, fiber.StatusConflict, "deposit_not_pending", web.Capitalize(err.Error())+".")
	case err != nil:
		h.app.Log().Error("sandbox webhook failed", "err", err, "request_id", web.RequestID(c))
		return webhookError(c, fiber.StatusInternalServerError, "internal_error", "The webhook could not be processed; retry later.")
	}
	status := "credited"
	switch {
	case res.Ignored:
		status = "ignored"
	case !res.Credited:
		status = "already_paid"
	}
	out := fiber.Map{"status": status}
	if res.Deposit.PublicID != "" {
		out["deposit"] = fiber.Map{"id": res.Deposit.PublicID, "status": res.Deposit.Status, "amount": res.Deposit.Amount.String()}
	}
	return c.JSON(out)
}
