package billing

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/money"
)

// Crypto Pay (@CryptoBot) wire format (see the shared wire-formats reference,
// section 3): POST <base>/<method> with a JSON body and the
// Crypto-Pay-API-Token header; answers {"ok":true,"result":…} or
// {"ok":false,"error":{"code":…,"name":"…"}}.
const (
	// CryptoPayMainnet and CryptoPayTestnet are the API bases (CRYPTOPAY_API_URL).
	CryptoPayMainnet = "https://pay.crypt.bot/api"
	CryptoPayTestnet = "https://testnet-pay.crypt.bot/api"
	// CryptoPayWebhookPath is where Crypto Pay delivers its webhooks (set it
	// as the app's webhook URL in @CryptoBot).
	CryptoPayWebhookPath = "/api/lumi/webhooks/cryptobot"
	// CryptoPaySignatureHeader is hex(HMAC-SHA256(key = SHA-256(token), raw body)).
	CryptoPaySignatureHeader = "crypto-pay-api-signature"
	// CryptoPayTokenHeader authenticates our calls.
	CryptoPayTokenHeader = "Crypto-Pay-API-Token"
	// CryptoPayInvoiceTTL is the invoices' expires_in.
	CryptoPayInvoiceTTL = time.Hour
	// cryptoPayUpdatePaid is the webhook update that credits a deposit.
	cryptoPayUpdatePaid = "invoice_paid"
	// sandboxRefPrefix marks invoices no provider has seen (sandbox mode).
	sandboxRefPrefix   = "sbx_"
	maxCryptoPayAnswer = 1 << 20
)

// CryptoPay is the Crypto Pay provider ("cryptobot"). Without a token it is a
// labelled sandbox: invoices are local, and the dashboard's "mark paid" sends
// a Crypto Pay–shaped webhook signed with the sandbox secret to our own
// endpoint, through the same verification as a real one.
type CryptoPay struct {
	svc     *Service
	baseURL string
	token   string
	client  *http.Client
}

// WithCryptoPay configures Crypto Pay (CRYPTOPAY_API_URL, CRYPTOPAY_TOKEN);
// an empty token keeps it a sandbox, an empty URL means the mainnet.
func (s *Service) WithCryptoPay(baseURL, token string) *Service {
	s.cryptopay = newCryptoPay(s, baseURL, token)
	return s
}

func newCryptoPay(s *Service, baseURL, token string) *CryptoPay {
	if baseURL == "" {
		baseURL = CryptoPayMainnet
	}
	return &CryptoPay{svc: s, baseURL: strings.TrimSuffix(baseURL, "/"), token: token, client: &http.Client{Timeout: 15 * time.Second}}
}

// CryptoPay returns the Crypto Pay provider.
func (s *Service) CryptoPay() *CryptoPay { return s.cryptopay }

// ID implements Provider.
func (p *CryptoPay) ID() string { return ProviderCryptoBot }

// Label implements Provider.
func (p *CryptoPay) Label() string {
	if p.Sandbox() {
		return "Crypto Pay (sandbox)"
	}
	return "Crypto Pay"
}

// Sandbox implements Provider: no token, no real money.
func (p *CryptoPay) Sandbox() bool { return p.token == "" }

// CryptoPayError is an {"ok":false} answer (or a broken one) from Crypto Pay.
type CryptoPayError struct {
	Method string
	Status int    // HTTP status
	Code   int    // error.code
	Name   string // error.name, e.g. UNAUTHORIZED
}

func (e *CryptoPayError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("crypto pay %s: HTTP %d without an error", e.Method, e.Status)
	}
	return fmt.Sprintf("crypto pay %s: %s (%d)", e.Method, e.Name, e.Code)
}

// Is makes every Crypto Pay failure an ErrProviderUnavailable.
func (e *CryptoPayError) Is(target error) bool { return target == ErrProviderUnavailable }

// ErrProviderUnavailable: the payment provider refused or could not be
// reached; the deposit stays open without an invoice and a retry with the
// same idempotency key asks again.
var ErrProviderUnavailable = errors.New("the payment provider could not open the invoice; retry later")

// call runs one API method.
func (p *CryptoPay) call(ctx context.Context, method string, params, result any) error {
	body, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("encode crypto pay %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.baseURL+"/"+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("crypto pay %s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(CryptoPayTokenHeader, p.token)
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("crypto pay %s: %w: %w", method, ErrProviderUnavailable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxCryptoPayAnswer))
	if err != nil {
		return fmt.Errorf("crypto pay %s: read answer: %w: %w", method, ErrProviderUnavailable, err)
	}
	var env struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code int    `json:"code"`
			Name string `json:"name"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return &CryptoPayError{Method: method, Status: resp.StatusCode}
	}
	if !env.OK {
		e := &CryptoPayError{Method: method, Status: resp.StatusCode}
		if env.Error != nil {
			e.Code, e.Name = env.Error.Code, env.Error.Name
		}
		return e
	}
	if err := json.Unmarshal(env.Result, result); err != nil {
		return fmt.Errorf("crypto pay %s: decode result: %w: %w", method, ErrProviderUnavailable, err)
	}
	return nil
}

// CryptoInvoice is the part of Crypto Pay's Invoice object we use. Amounts
// are strings on the wire.
type CryptoInvoice struct {
	InvoiceID      int64  `json:"invoice_id"`
	Status         string `json:"status"` // active, paid, expired
	CurrencyType   string `json:"currency_type"`
	Fiat           string `json:"fiat,omitempty"`
	Amount         string `json:"amount"`
	Payload        string `json:"payload,omitempty"`
	BotInvoiceURL  string `json:"bot_invoice_url,omitempty"`
	WebAppURL      string `json:"web_app_invoice_url,omitempty"`
	PayURL         string `json:"pay_url,omitempty"` // deprecated since API 1.2
	ExpirationDate string `json:"expiration_date,omitempty"`
	PaidAt         string `json:"paid_at,omitempty"`
}

// paidCents is what a paid fiat USD invoice paid; ok false for anything else.
func (inv CryptoInvoice) paidCents() (money.Cents, bool) {
	if inv.CurrencyType != "fiat" || inv.Fiat != "USD" {
		return 0, false
	}
	c, err := money.Parse(inv.Amount)
	return c, err == nil && c > 0
}

// NewInvoice implements Provider: createInvoice in fiat USD with our deposit
// id as the payload.
func (p *CryptoPay) NewInvoice(ctx context.Context, depositID string, amount money.Cents) (Invoice, error) {
	if p.Sandbox() {
		// A number like Crypto Pay's invoice_id, marked as the sandbox's.
		n, _ := rand.Int(rand.Reader, big.NewInt(1<<53))
		return Invoice{Ref: sandboxRefPrefix + strconv.FormatInt(n.Int64()+1, 10), ExpiresAt: p.svc.now().UTC().Add(CryptoPayInvoiceTTL)}, nil
	}
	params := map[string]any{
		"currency_type": "fiat",
		"fiat":          "USD",
		"amount":        amount.String(),
		"payload":       depositID,
		"description":   "Lumi balance top-up " + depositID,
		"expires_in":    int(CryptoPayInvoiceTTL / time.Second),
	}
	var inv CryptoInvoice
	if err := p.call(ctx, "createInvoice", params, &inv); err != nil {
		return Invoice{}, err
	}
	if inv.InvoiceID <= 0 {
		return Invoice{}, &CryptoPayError{Method: "createInvoice", Status: http.StatusOK, Name: "NO_INVOICE_ID"}
	}
	out := Invoice{Ref: strconv.FormatInt(inv.InvoiceID, 10), PayURL: firstNonEmpty(inv.BotInvoiceURL, inv.PayURL, inv.WebAppURL),
		ExpiresAt: p.svc.now().UTC().Add(CryptoPayInvoiceTTL)}
	if t, err := time.Parse(time.RFC3339, inv.ExpirationDate); err == nil {
		out.ExpiresAt = t.UTC()
	}
	return out, nil
}

// Invoices is getInvoices for the given invoice ids (at most 1000).
func (p *CryptoPay) Invoices(ctx context.Context, invoiceIDs []string) ([]CryptoInvoice, error) {
	if len(invoiceIDs) == 0 {
		return nil, nil
	}
	if len(invoiceIDs) > 1000 {
		return nil, errors.New("crypto pay getInvoices: at most 1000 invoice ids")
	}
	var res struct {
		Items []CryptoInvoice `json:"items"`
	}
	err := p.call(ctx, "getInvoices", map[string]any{"invoice_ids": strings.Join(invoiceIDs, ","), "count": len(invoiceIDs)}, &res)
	return res.Items, err
}

// webhookKey is the HMAC key of webhooks: SHA-256 of the API token (in
// sandbox mode, of the sandbox's sealed secret).
func (p *CryptoPay) webhookKey(ctx context.Context) ([]byte, error) {
	token := []byte(p.token)
	if p.Sandbox() {
		var err error
		if token, err = p.svc.sandbox.Secret(ctx); err != nil {
			return nil, err
		}
	}
	k := sha256.Sum256(token)
	return k[:], nil
}

// cryptoPayUpdate is the webhook body.
type cryptoPayUpdate struct {
	UpdateID    int64         `json:"update_id"`
	UpdateType  string        `json:"update_type"`
	RequestDate string        `json:"request_date"`
	Payload     CryptoInvoice `json:"payload"`
}

// ParseWebhook implements Provider: the signature is checked over the raw
// body in constant time; the event's Ref is the invoice_id, on which
// deliveries are deduplicated (update_id is not unique).
func (p *CryptoPay) ParseWebhook(ctx context.Context, signature string, body []byte) (WebhookEvent, error) {
	key, err := p.webhookKey(ctx)
	if err != nil {
		return WebhookEvent{}, err
	}
	sig, err := hex.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(sig) != sha256.Size {
		return WebhookEvent{}, ErrBadSignature
	}
	m := hmac.New(sha256.New, key)
	m.Write(body)
	if !hmac.Equal(sig, m.Sum(nil)) {
		return WebhookEvent{}, ErrBadSignature
	}
	var up cryptoPayUpdate
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&up); err != nil || dec.More() {
		return WebhookEvent{}, ErrBadWebhook
	}
	if up.UpdateType != cryptoPayUpdatePaid {
		return WebhookEvent{Type: up.UpdateType}, nil
	}
	amount, ok := up.Payload.paidCents()
	if up.Payload.InvoiceID <= 0 || up.Payload.Status != "paid" || !ok {
		return WebhookEvent{}, ErrBadWebhook
	}
	ref := strconv.FormatInt(up.Payload.InvoiceID, 10)
	if p.Sandbox() {
		ref = sandboxRefPrefix + ref
	}
	return WebhookEvent{Type: EventPaid, Ref: ref, Amount: amount}, nil
}

// PaymentBody is the signed invoice_paid webhook of a sandbox deposit.
func (p *CryptoPay) PaymentBody(ctx context.Context, d Deposit) (body []byte, signature string, err error) {
	invoiceID, err := strconv.ParseInt(strings.TrimPrefix(d.ProviderRef, sandboxRefPrefix), 10, 64)
	if d.Provider != ProviderCryptoBot || !d.Sandbox() || err != nil {
		return nil, "", fmt.Errorf("deposit %s is not a sandbox Crypto Pay deposit", d.PublicID)
	}
	return p.sign(ctx, cryptoPayUpdate{UpdateID: time.Now().UnixNano(), UpdateType: cryptoPayUpdatePaid,
		RequestDate: p.svc.now().UTC().Format(time.RFC3339),
		Payload: CryptoInvoice{InvoiceID: invoiceID, Status: "paid", CurrencyType: "fiat", Fiat: "USD",
			Amount: d.Amount.String(), Payload: d.PublicID, PaidAt: p.svc.now().UTC().Format(time.RFC3339)}})
}

func (p *CryptoPay) sign(ctx context.Context, up cryptoPayUpdate) ([]byte, string, error) {
	key, err := p.webhookKey(ctx)
	if err != nil {
		return nil, "", err
	}
	body, err := json.Marshal(up)
	if err != nil {
		return nil, "", fmt.Errorf("encode webhook: %w", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return body, hex.EncodeToString(m.Sum(nil)), nil
}

// SimulatePayment plays Crypto Pay for a sandbox deposit: it POSTs the signed
// webhook to baseURL + CryptoPayWebhookPath and returns the answer.
func (p *CryptoPay) SimulatePayment(ctx context.Context, d Deposit, baseURL string) (int, []byte, error) {
	body, sig, err := p.PaymentBody(ctx, d)
	if err != nil {
		return 0, nil, err
	}
	return post(ctx, p.client, strings.TrimSuffix(baseURL, "/")+CryptoPayWebhookPath, CryptoPaySignatureHeader, sig, body)
}

// post delivers a signed webhook body.
func post(ctx context.Context, client *http.Client, url, header, sig string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(header, sig)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("deliver webhook: %w", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, out, nil
}

// ReconcileCryptoPay asks Crypto Pay (getInvoices) about pending deposits
// with a real invoice and credits the paid ones, for webhooks that never
// arrived; returns how many it credited. A background job runs it.
func (s *Service) ReconcileCryptoPay(ctx context.Context, actor audit.Actor, limit int) (int, error) {
	p := s.cryptopay
	if p.Sandbox() {
		return 0, nil
	}
	rows, err := s.db.ListPendingProviderDeposits(ctx, store.ListPendingProviderDepositsParams{Provider: ProviderCryptoBot,
		Lim: int32(min(clampLimit(limit), 1000))})
	if err != nil {
		return 0, fmt.Errorf("list pending crypto pay deposits: %w", err)
	}
	var refs []string
	for _, r := range rows {
		if r.ProviderRef != nil && !strings.HasPrefix(*r.ProviderRef, sandboxRefPrefix) {
			refs = append(refs, *r.ProviderRef)
		}
	}
	invs, err := p.Invoices(ctx, refs)
	if err != nil {
		return 0, fmt.Errorf("reconcile crypto pay: %w", err)
	}
	if actor.Kind == "" {
		actor = audit.Actor{Kind: audit.KindSystem, Label: p.Label() + " reconciliation"}
	}
	n := 0
	for _, inv := range invs {
		amount, ok := inv.paidCents()
		if inv.Status != "paid" || !ok {
			continue
		}
		ref := strconv.FormatInt(inv.InvoiceID, 10)
		res, err := s.creditByRef(ctx, actor, p, WebhookEvent{Type: EventPaid, Ref: ref, Amount: amount})
		if errors.Is(err, ErrDepositExpired) || errors.Is(err, ErrDepositNotPending) || errors.Is(err, ErrAmountMismatch) {
			continue // for finance to settle by hand; the others still count
		}
		if err != nil {
			return n, fmt.Errorf("credit crypto pay invoice %s: %w", ref, err)
		}
		if res.Credited {
			n++
		}
	}
	return n, nil
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
