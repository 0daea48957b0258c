package billing

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/platform/money"
)

// Provider is a payment provider that takes a customer's money for a
// deposit and tells us with a signed webhook: the sandbox (Sandbox) and
// Crypto Pay (CryptoPay, itself a sandbox without a token).
type Provider interface {
	// ID is the deposits.provider value ("sandbox_crypto", "cryptobot").
	ID() string
	// Label names it in the dashboard; sandboxes say so.
	Label() string
	Sandbox() bool
	// NewInvoice opens an invoice for a deposit: the provider's reference,
	// where the customer pays, and until when.
	NewInvoice(ctx context.Context, depositID string, amount money.Cents) (Invoice, error)
	// ParseWebhook verifies the signature header over the exact body bytes
	// and decodes the event. A bad signature is ErrBadSignature.
	ParseWebhook(ctx context.Context, signature string, body []byte) (WebhookEvent, error)
}

// Invoice is what a provider returns for a new deposit.
type Invoice struct {
	Ref       string
	PayURL    string
	ExpiresAt time.Time
}

// WebhookEvent is a verified provider notification.
type WebhookEvent struct {
	Type   string      // EventPaid; others are acknowledged and ignored
	Ref    string      // the provider's invoice reference
	Amount money.Cents // what was paid
}

// EventPaid is the webhook event that credits a deposit.
const EventPaid = "deposit.paid"

// Webhook errors.
var (
	// ErrBadSignature: the webhook is not signed with our secret.
	ErrBadSignature = errors.New("the webhook signature is missing or does not match")
	// ErrBadWebhook: a signed webhook whose body we cannot use.
	ErrBadWebhook = errors.New("the webhook body is not a valid event")
	// ErrAmountMismatch: the paid amount is not the deposit's.
	ErrAmountMismatch = errors.New("the paid amount does not match the deposit")
)

// Sandbox webhook wire format.
const (
	// SandboxWebhookPath is where the sandbox provider delivers its webhooks.
	SandboxWebhookPath = "/api/lumi/webhooks/sandbox"
	// SandboxSignatureHeader carries "sha256=<hex HMAC-SHA256(secret, raw body)>".
	SandboxSignatureHeader = "X-Sandbox-Signature"
	// SandboxInvoiceTTL is how long a sandbox invoice can be paid.
	SandboxInvoiceTTL = time.Hour
	// MaxWebhookBody bounds what we read of a webhook.
	MaxWebhookBody = 64 << 10
	// maxSignatures bounds how many signatures one header may carry (rotation).
	maxSignatures = 4
)

// ParseSignatureHeader reads "sha256=<64 hex digits>", possibly several
// separated by commas (a provider rotating its secret signs with both).
func ParseSignatureHeader(v string) ([][]byte, error) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > maxSignatures*(7+64+2) {
		return nil, ErrBadSignature
	}
	parts := strings.Split(v, ",")
	if len(parts) > maxSignatures {
		return nil, ErrBadSignature
	}
	out := make([][]byte, 0, len(parts))
	for _, p := range parts {
		scheme, hexSig, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || scheme != "sha256" || len(hexSig) != 2*sha256.Size {
			return nil, ErrBadSignature
		}
		sig, err := hex.DecodeString(hexSig)
		if err != nil {
			return nil, ErrBadSignature
		}
		out = append(out, sig)
	}
	return out, nil
}

// SignBody returns the signature header value for body under secret.
func SignBody(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// verifySignature checks a header against body in constant time per signature.
func verifySignature(secret []byte, header string, body []byte) error {
	sigs, err := ParseSignatureHeader(header)
	if err != nil {
		return err
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	want := m.Sum(nil)
	ok := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	if !ok {
		return ErrBadSignature
	}
	return nil
}

// sandboxEvent is the sandbox webhook body.
type sandboxEvent struct {
	Type      string `json:"type"`
	Ref       string `json:"ref"`
	DepositID string `json:"deposit_id"`
	Amount    string `json:"amount"`
	SentAt    string `json:"sent_at"`
}

// Sandbox is the sandbox crypto provider: no real money; "paying" is the
// dashboard's button, which sends the signed webhook a real provider would.
type Sandbox struct {
	svc    *Service
	client *http.Client

	mu     sync.Mutex
	secret []byte
}

func newSandbox(s *Service) *Sandbox {
	return &Sandbox{svc: s, client: &http.Client{Timeout: 15 * time.Second}}
}

// Sandbox returns the sandbox provider.
func (s *Service) Sandbox() *Sandbox { return s.sandbox }

// ID implements Provider.
func (p *Sandbox) ID() string { return ProviderSandboxCrypto }

// Label implements Provider.
func (p *Sandbox) Label() string { return "Sandbox crypto" }

// Sandbox implements Provider.
func (p *Sandbox) Sandbox() bool { return true }

// NewInvoice implements Provider.
func (p *Sandbox) NewInvoice(_ context.Context, _ string, _ money.Cents) (Invoice, error) {
	return Invoice{Ref: "sbx_" + ids.Token(24), ExpiresAt: p.svc.now().UTC().Add(SandboxInvoiceTTL)}, nil
}

// ParseWebhook implements Provider.
func (p *Sandbox) ParseWebhook(ctx context.Context, signature string, body []byte) (WebhookEvent, error) {
	secret, err := p.Secret(ctx)
	if err != nil {
		return WebhookEvent{}, err
	}
	if err := verifySignature(secret, signature, body); err != nil {
		return WebhookEvent{}, err
	}
	var ev sandboxEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil || dec.More() {
		return WebhookEvent{}, ErrBadWebhook
	}
	out := WebhookEvent{Type: ev.Type, Ref: ev.Ref}
	if ev.Type != EventPaid {
		return out, nil
	}
	if ev.Ref == "" || len(ev.Ref) > 64 {
		return WebhookEvent{}, ErrBadWebhook
	}
	if out.Amount, err = money.Parse(ev.Amount); err != nil || out.Amount <= 0 {
		return WebhookEvent{}, ErrBadWebhook
	}
	return out, nil
}

// Secret is the sandbox's webhook signing secret: generated once, kept
// sealed under the master key in billing_provider_secrets, shared by every
// process on the database.
func (p *Sandbox) Secret(ctx context.Context) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.secret != nil {
		return p.secret, nil
	}
	if p.svc.box == nil {
		return nil, errors.New("no master key to seal the webhook secret")
	}
	const sealContext = "billing.webhook:" + ProviderSandboxCrypto
	q := p.svc.db.Queries
	sealed, err := q.GetProviderSecret(ctx, ProviderSandboxCrypto)
	if db.IsNotFound(err) {
		fresh := p.svc.box.Seal([]byte(ids.Token(48)), sealContext)
		if err := q.InsertProviderSecret(ctx, store.InsertProviderSecretParams{Provider: ProviderSandboxCrypto, SecretSealed: fresh}); err != nil {
			return nil, fmt.Errorf("store webhook secret: %w", err)
		}
		sealed, err = q.GetProviderSecret(ctx, ProviderSandboxCrypto) // another process may have won
	}
	if err != nil {
		return nil, fmt.Errorf("load webhook secret: %w", err)
	}
	secret, err := p.svc.box.Open(sealed, sealContext)
	if err != nil {
		return nil, fmt.Errorf("open webhook secret: %w", err)
	}
	p.secret = secret
	return secret, nil
}

// PaymentBody is the signed webhook the sandbox sends when a deposit is paid.
func (p *Sandbox) PaymentBody(ctx context.Context, d Deposit) (body []byte, signature string, err error) {
	if d.Provider != ProviderSandboxCrypto || d.ProviderRef == "" {
		return nil, "", fmt.Errorf("deposit %s is not a sandbox deposit", d.PublicID)
	}
	secret, err := p.Secret(ctx)
	if err != nil {
		return nil, "", err
	}
	body, _ = json.Marshal(sandboxEvent{Type: EventPaid, Ref: d.ProviderRef, DepositID: d.PublicID, Amount: d.Amount.String(),
		SentAt: p.svc.now().UTC().Format(time.RFC3339)})
	return body, SignBody(secret, body), nil
}

// SimulatePayment plays the provider: it POSTs the signed "paid" webhook of
// deposit d to baseURL + SandboxWebhookPath (our own endpoint) and returns
// the endpoint's status and body.
func (p *Sandbox) SimulatePayment(ctx context.Context, d Deposit, baseURL string) (int, []byte, error) {
	body, sig, err := p.PaymentBody(ctx, d)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(baseURL, "/")+SandboxWebhookPath, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SandboxSignatureHeader, sig)
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("deliver sandbox webhook: %w", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, out, nil
}

// WebhookResult is what a delivered webhook did.
type WebhookResult struct {
	Event   WebhookEvent
	Deposit Deposit
	// Credited: this delivery credited the deposit. A repeat of a delivery
	// that already did (or an event we do not act on) has Credited false.
	Credited bool
	Ignored  bool // an event type we acknowledge without acting
}

// HandleWebhook verifies and applies a provider webhook. It is safe to call
// any number of times, concurrently, with the same body: the deposit is
// credited exactly once.
func (s *Service) HandleWebhook(ctx context.Context, actor audit.Actor, p Provider, signature string, body []byte) (WebhookResult, error) {
	if len(body) > MaxWebhookBody {
		return WebhookResult{}, ErrBadWebhook
	}
	ev, err := p.ParseWebhook(ctx, signature, body)
	if err != nil {
		return WebhookResult{}, err
	}
	if ev.Type != EventPaid {
		return WebhookResult{Event: ev, Ignored: true}, nil
	}
	if actor.Kind == "" {
		actor.Kind = audit.KindSystem
	}
	if actor.Label == "" {
		actor.Label = p.Label() + " webhook"
	}
	res, err := s.creditByRef(ctx, actor, p, ev)
	if errors.Is(err, ErrNotFound) && p.ID() == ProviderCryptoBot {
		// One Crypto Pay app may sell more than our deposits: an invoice we
		// did not open is acknowledged, so Crypto Pay stops retrying.
		return WebhookResult{Event: ev, Ignored: true}, nil
	}
	return res, err
}

// creditByRef credits the deposit whose invoice ev.Ref is, once (a webhook
// or a reconciliation): res.Credited is false when it had been already.
func (s *Service) creditByRef(ctx context.Context, actor audit.Actor, p Provider, ev WebhookEvent) (WebhookResult, error) {
	res := WebhookResult{Event: ev}
	err := s.tx(ctx, func(q *store.Queries) error {
		d, err := q.GetDepositByProviderRef(ctx, store.GetDepositByProviderRefParams{Provider: p.ID(), ProviderRef: &ev.Ref})
		if db.IsNotFound(err) {
			return NotFoundError{What: "deposit", Ref: "for this invoice"}
		}
		if err != nil {
			return fmt.Errorf("find deposit: %w", err)
		}
		res.Deposit = depositOf(d)
		if money.Cents(d.AmountCents) != ev.Amount {
			return ErrAmountMismatch
		}
		pr, err := s.creditDeposit(ctx, q, actor, d.ID, "Paid through "+p.Label(), "balance.deposit")
		if err != nil {
			return err
		}
		res.Deposit, res.Credited = pr.Deposit, !pr.AlreadyPaid
		return nil
	})
	return res, err
}

// ErrNotSandbox: only sandbox deposits can be paid from the dashboard.
var ErrNotSandbox = errors.New("only sandbox deposits can be paid from the dashboard")

// SimulateSandboxPayment is the dashboard's "mark paid" of a sandbox
// deposit: it records who pressed it, then sends the provider's signed
// webhook to baseURL (this server), which credits the deposit. It returns
// the deposit as it is afterwards.
func (s *Service) SimulateSandboxPayment(ctx context.Context, actor audit.Actor, depositID int64, baseURL, note string) (Deposit, error) {
	note, err := CheckReason(note, false)
	if err != nil {
		return Deposit{}, err
	}
	d, err := s.GetDeposit(ctx, depositID)
	if err != nil {
		return Deposit{}, err
	}
	switch {
	case !d.Sandbox():
		return d, ErrNotSandbox
	case d.Status != DepositPending:
		return d, ErrDepositNotPending
	case d.ExpiresAt != nil && !s.now().Before(*d.ExpiresAt):
		return d, ErrDepositExpired
	}
	err = s.tx(ctx, func(q *store.Queries) error {
		return audit.Record(ctx, q, actor, audit.Event{Action: "deposit.sandbox_payment", EntityType: "account", EntityID: idStr(d.AccountID),
			Reason: note, After: map[string]any{"deposit": d.PublicID, "amount": d.Amount.String(), "provider": d.Provider}})
	})
	if err != nil {
		return d, err
	}
	simulate := s.sandbox.SimulatePayment
	if d.Provider == ProviderCryptoBot {
		simulate = s.cryptopay.SimulatePayment
	}
	status, body, err := simulate(ctx, d, baseURL)
	if err != nil {
		return d, err
	}
	if status != http.StatusOK {
		return d, fmt.Errorf("the webhook endpoint answered %d: %s", status, strings.TrimSpace(string(body)))
	}
	return s.GetDeposit(ctx, depositID)
}
