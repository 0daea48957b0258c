package billing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/views/components"
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
	CryptoPay() *billing.CryptoPay
	DepositProviders() []string
}

func depositRow(d billing.Deposit, now time.Time) view.DepositRow {
	row := view.DepositRow{ID: d.ID, PublicID: d.PublicID, Amount: components.Money(d.Amount), Provider: billing.ProviderLabel(d.Provider),
		Sandbox: d.Sandbox(), Status: d.Status, Created: d.CreatedAt}
	expired := d.ExpiresAt != nil && !now.Before(*d.ExpiresAt)
	switch {
	case d.Status == billing.DepositPaid && d.PaidAt != nil:
		row.Closes, row.ClosesAt = "paid", *d.PaidAt
	case d.Status == billing.DepositPending && expired:
		row.Closes, row.ClosesAt = "expired", *d.ExpiresAt
	case d.Status == billing.DepositPending && d.ExpiresAt != nil:
		row.Closes, row.ClosesAt = "expires", *d.ExpiresAt
	case d.ClosedAt != nil:
		row.Closes, row.ClosesAt = "closed", *d.ClosedAt
	}
	row.CanPay = d.Status == billing.DepositPending && !expired
	row.CanCancel = d.Status == billing.DepositPending
	return row
}

// webhookError writes the Lumi API's error envelope.
func webhookError(c *fiber.Ctx, status int, code, msg string) error {
	return c.Status(status).JSON(fiber.Map{"error": fiber.Map{"code": code, "message": msg}})
}

// sandboxWebhook receives the sandbox provider's signed notifications.
func (h *Billing) sandboxWebhook(c *fiber.Ctx) error {
	return h.webhook(c, h.svc.Sandbox(), billing.SandboxSignatureHeader)
}

// cryptoPayWebhook receives Crypto Pay's signed invoice_paid updates.
func (h *Billing) cryptoPayWebhook(c *fiber.Ctx) error {
	return h.webhook(c, h.svc.CryptoPay(), billing.CryptoPaySignatureHeader)
}

// webhook handles a provider's signed notification (its signature in
// header). It answers 200 for a delivery it has acted on before, so the
// provider stops retrying.
func (h *Billing) webhook(c *fiber.Ctx, p billing.Provider, header string) error {
	body := bytes.Clone(c.Body())
	if len(body) > billing.MaxWebhookBody {
		return webhookError(c, fiber.StatusRequestEntityTooLarge, "payload_too_large", "The webhook body is too large.")
	}
	sig := utils.CopyString(c.Get(header))
	actor := audit.Actor{Kind: audit.KindSystem, Label: p.Label() + " webhook", IP: c.IP(), RequestID: web.RequestID(c),
		UserAgent: utils.CopyString(web.Truncate(c.Get(fiber.HeaderUserAgent), 300))}
	res, err := h.svc.HandleWebhook(c.UserContext(), actor, p, sig, body)
	switch {
	case errors.Is(err, billing.ErrBadSignature):
		return webhookError(c, fiber.StatusUnauthorized, "invalid_signature", "The "+header+" header is missing or does not match the body.")
	case errors.Is(err, billing.ErrBadWebhook), errors.Is(err, billing.ErrAmountMismatch):
		return webhookError(c, fiber.StatusUnprocessableEntity, "validation_error", web.Capitalize(err.Error())+".")
	case errors.Is(err, billing.ErrNotFound):
		return webhookError(c, fiber.StatusNotFound, "not_found", "No deposit has this invoice reference.")
	case errors.Is(err, billing.ErrDepositNotPending), errors.Is(err, billing.ErrDepositExpired):
		return webhookError(c, fiber.StatusConflict, "deposit_not_pending", web.Capitalize(err.Error())+".")
	case err != nil:
		h.app.Log().Error("payment webhook failed", "provider", p.ID(), "err", err, "request_id", web.RequestID(c))
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

// depositAction is the action of kind on the deposit :did of the account.
func (h *Billing) depositAction(c *fiber.Ctx, kind string) (view.Action, error) {
	act, err := h.baseAction(c, kind)
	if err != nil {
		return act, err
	}
	id, ok := web.ParseID(c.Params("did"))
	if !ok {
		return act, billing.ErrNotFound
	}
	d, err := h.svc.GetDeposit(c.UserContext(), id)
	if err != nil {
		return act, err
	}
	if d.AccountID != act.AccountID {
		return act, billing.NotFoundError{What: "deposit", Ref: "#" + strconv.FormatInt(id, 10) + " on this account"}
	}
	act.DepositID, act.Deposit, act.Sandbox = d.ID, d.PublicID+" · "+components.Money(d.Amount), d.Sandbox()
	act.AwaitsApproval = h.svc.NeedsApproval(d.Amount)
	return act, nil
}

func (h *Billing) depositForm(c *fiber.Ctx) error {
	act, err := h.baseAction(c, "deposit")
	act.Providers = h.svc.DepositProviders()
	act.Provider = act.Providers[0] // the sandbox where it is offered
	return h.showAction(c, act, err)
}

// payForm is the manual confirmation of a deposit; sandbox deposits are
// paid through their webhook, so theirs is the sandbox payment's form.
func (h *Billing) payForm(c *fiber.Ctx) error {
	act, err := h.depositAction(c, "pay")
	if act.Sandbox {
		act.Kind = "sandbox-pay"
	}
	return h.showAction(c, act, err)
}

func (h *Billing) sandboxPayForm(c *fiber.Ctx) error {
	act, err := h.depositAction(c, "sandbox-pay")
	return h.showAction(c, act, err)
}

func (h *Billing) cancelForm(c *fiber.Ctx) error {
	act, err := h.depositAction(c, "cancel")
	return h.showAction(c, act, err)
}

func (h *Billing) createDeposit(c *fiber.Ctx) error {
	act, err := h.baseAction(c, "deposit")
	if err != nil {
		return err
	}
	readAction(c, &act)
	act.Providers = h.svc.DepositProviders()
	d, err := h.svc.CreateDeposit(c.UserContext(), web.Actor(c), billing.DepositInput{AccountID: act.AccountID, Amount: act.Amount, Provider: act.Provider, Note: act.Reason})
	if err != nil {
		return h.actionError(c, act, err)
	}
	return h.actionDone(c, act.AccountID, "success",
		fmt.Sprintf("Deposit %s of %s created (%s). No money moves until it is paid.", d.PublicID, components.Money(d.Amount), billing.ProviderLabel(d.Provider)))
}

// payDeposit confirms a deposit by hand (allowed for sandbox deposits too).
func (h *Billing) payDeposit(c *fiber.Ctx) error {
	act, err := h.depositAction(c, "pay")
	if err != nil {
		return err
	}
	readAction(c, &act)
	res, err := h.svc.MarkDepositPaid(c.UserContext(), web.Actor(c), act.DepositID, act.Reason)
	if err != nil {
		return h.actionError(c, act, err)
	}
	if r := res.Request; r != nil {
		return h.actionDone(c, act.AccountID, "success", fmt.Sprintf("Deposit %s of %s is above the approval limit of %s: request #%d waits for a second finance user.",
			res.Deposit.PublicID, components.Money(r.Amount), act.Limit, r.ID))
	}
	return h.actionDone(c, act.AccountID, "success",
		fmt.Sprintf("Deposit %s paid: %s credited. Balance %s.", res.Deposit.PublicID, components.Money(res.Deposit.Amount), components.Money(res.Entry.BalanceAfter)))
}

func (h *Billing) sandboxPay(c *fiber.Ctx) error {
	act, err := h.depositAction(c, "sandbox-pay")
	if err != nil {
		return err
	}
	readAction(c, &act)
	d, err := h.svc.SimulateSandboxPayment(c.UserContext(), web.Actor(c), act.DepositID, "http://"+c.Context().LocalAddr().String(), act.Reason)
	if err != nil {
		return h.actionError(c, act, err)
	}
	return h.actionDone(c, act.AccountID, "success", fmt.Sprintf("Sandbox payment sent: deposit %s is %s.", d.PublicID, d.Status))
}

func (h *Billing) cancelDeposit(c *fiber.Ctx) error {
	act, err := h.depositAction(c, "cancel")
	if err != nil {
		return err
	}
	readAction(c, &act)
	d, err := h.svc.CancelDeposit(c.UserContext(), web.Actor(c), act.DepositID, act.Reason)
	if err != nil {
		return h.actionError(c, act, err)
	}
	return h.actionDone(c, act.AccountID, "success", fmt.Sprintf("Deposit %s cancelled.", d.PublicID))
}
