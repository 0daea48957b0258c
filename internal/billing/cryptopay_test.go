package billing_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"lumdesk/internal/billing"
	"lumdesk/internal/platform/money"
)

const cpToken = "12345:AAtestTokenOfTheCryptoPayApp"

// fakeCryptoPay speaks Crypto Pay's envelope: createInvoice and getInvoices,
// refusing calls without the app's token.
type fakeCryptoPay struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	fail bool                      // answer {"ok":false} to createInvoice
	next int64                     // next invoice_id
	reqs []map[string]any          // createInvoice bodies
	inv  map[string]map[string]any // invoice_id → invoice
	gets []string                  // getInvoices invoice_ids params
}

func newFakeCryptoPay(t *testing.T) *fakeCryptoPay {
	f := &fakeCryptoPay{t: t, next: 101, inv: map[string]map[string]any{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCryptoPay) answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeCryptoPay) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Crypto-Pay-API-Token") != cpToken {
		f.answer(w, 401, map[string]any{"ok": false, "error": map[string]any{"code": 401, "name": "UNAUTHORIZED"}})
		return
	}
	var in map[string]any
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&in) != nil {
		f.answer(w, 400, map[string]any{"ok": false, "error": map[string]any{"code": 400, "name": "BAD_REQUEST"}})
		return
	}
	switch r.URL.Path {
	case "/api/createInvoice":
		f.reqs = append(f.reqs, in)
		if f.fail {
			f.answer(w, 500, map[string]any{"ok": false, "error": map[string]any{"code": 500, "name": "INTERNAL_ERROR"}})
			return
		}
		id := f.next
		f.next++
		inv := map[string]any{"invoice_id": id, "hash": "IVabc", "currency_type": "fiat", "fiat": in["fiat"], "amount": in["amount"],
			"status": "active", "payload": in["payload"], "bot_invoice_url": fmt.Sprintf("https://t.me/CryptoBot?start=IV%d", id),
			"expiration_date": "2031-01-02T03:04:05.000Z", "created_at": "2031-01-02T02:04:05.000Z"}
		f.inv[fmt.Sprint(id)] = inv
		f.answer(w, 200, map[string]any{"ok": true, "result": inv})
	case "/api/getInvoices":
		ids, _ := in["invoice_ids"].(string)
		f.gets = append(f.gets, ids)
		items := []any{}
		for _, id := range strings.Split(ids, ",") {
			if inv, ok := f.inv[id]; ok {
				items = append(items, inv)
			}
		}
		f.answer(w, 200, map[string]any{"ok": true, "result": map[string]any{"items": items}})
	default:
		f.answer(w, 405, map[string]any{"ok": false, "error": map[string]any{"code": 405, "name": "METHOD_NOT_FOUND"}})
	}
}

func (f *fakeCryptoPay) creates() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// paidUpdate is Crypto Pay's invoice_paid webhook body for invoice id.
func paidUpdate(id int64, amount string) []byte {
	b, _ := json.Marshal(map[string]any{"update_id": 7, "update_type": "invoice_paid", "request_date": "2031-01-02T03:00:00.000Z",
		"payload": map[string]any{"invoice_id": id, "status": "paid", "currency_type": "fiat", "fiat": "USD", "amount": amount,
			"paid_asset": "USDT", "paid_amount": amount, "paid_at": "2031-01-02T03:00:00.000Z"}})
	return b
}

func cpSign(token string, body []byte) string {
	k := sha256.Sum256([]byte(token))
	m := hmac.New(sha256.New, k[:])
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func TestCryptoPayDeposit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cp := newFakeCryptoPay(t)
	svc := f.svc.WithCryptoPay(cp.srv.URL+"/api", cpToken)
	acc := f.account("Crypto Buyer")
	in := billing.DepositInput{AccountID: acc, Amount: "12.5", Provider: billing.ProviderCryptoBot, IdempotencyKey: "api1:dep-0001"}

	// With real payments on, the sandbox provider is off: its deposits are
	// paid by the server's own webhook, past the approval limit.
	if _, err := svc.CreateDeposit(ctx, api, billing.DepositInput{AccountID: acc, Amount: "900000", Provider: billing.ProviderSandboxCrypto}); !cmp.Equal(fieldOf(err), []string{"provider"}) {
		t.Fatalf("a sandbox deposit beside live Crypto Pay: %v", err)
	}
	d, err := svc.CreateDeposit(ctx, api, in)
	if err != nil {
		t.Fatal(err)
	}
	if d.ProviderRef != "101" || d.PayURL != "https://t.me/CryptoBot?start=IV101" || d.Sandbox() || d.Status != billing.DepositPending ||
		d.ExpiresAt == nil || d.ExpiresAt.Format("2006-01-02T15:04:05Z") != "2031-01-02T03:04:05Z" {
		t.Fatalf("deposit: %+v", d)
	}
	req := cp.reqs[0]
	want := map[string]any{"currency_type": "fiat", "fiat": "USD", "amount": "12.50", "payload": d.PublicID, "expires_in": float64(3600)}
	for k, v := range want {
		if req[k] != v {
			t.Errorf("createInvoice %s = %#v, want %#v", k, req[k], v)
		}
	}
	if svc.CryptoPay().Label() != "Crypto Pay" || svc.CryptoPay().Sandbox() {
		t.Fatal("a configured token is not a sandbox")
	}

	// The same request again (a client retry) is the same deposit: no second invoice.
	again, err := svc.CreateDeposit(ctx, api, in)
	if err != nil || again.PublicID != d.PublicID || again.ProviderRef != "101" || cp.creates() != 1 {
		t.Fatalf("retry: %+v %v, %d invoices", again, err, cp.creates())
	}
	other := in
	other.Amount = "13.00"
	if _, err := svc.CreateDeposit(ctx, api, other); !errors.Is(err, billing.ErrIdempotencyMismatch) {
		t.Fatalf("other amount, same key: %v", err)
	}

	// invoice_paid: a good signature credits once; a replay credits nothing.
	body := paidUpdate(101, "12.50")
	res, err := svc.HandleWebhook(ctx, api, svc.CryptoPay(), cpSign(cpToken, body), body)
	if err != nil || !res.Credited || res.Deposit.Status != billing.DepositPaid {
		t.Fatalf("paid webhook: %+v %v", res, err)
	}
	res, err = svc.HandleWebhook(ctx, api, svc.CryptoPay(), cpSign(cpToken, body), body)
	if err != nil || res.Credited {
		t.Fatalf("replayed webhook: %+v %v", res, err)
	}
	if got := f.balance(acc); got != 1250 {
		t.Fatalf("balance %s, want 12.50", got)
	}
	f.mustVerify()
}

func TestCryptoPayWebhookRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cp := newFakeCryptoPay(t)
	svc := f.svc.WithCryptoPay(cp.srv.URL+"/api", cpToken)
	acc := f.account("Webhook Target")
	d, err := svc.CreateDeposit(ctx, api, billing.DepositInput{AccountID: acc, Amount: "5.00", Provider: billing.ProviderCryptoBot})
	if err != nil {
		t.Fatal(err)
	}
	body := paidUpdate(101, "5.00")
	for name, sig := range map[string]string{
		"missing": "",
		"not hex": strings.Repeat("zz", 32),
		"raw token key": func() string {
			m := hmac.New(sha256.New, []byte(cpToken))
			m.Write(body)
			return hex.EncodeToString(m.Sum(nil))
		}(),
		"other token":  cpSign("other", body),
		"other body":   cpSign(cpToken, paidUpdate(101, "500.00")),
		"sha256= form": "sha256=" + cpSign(cpToken, body),
	} {
		if _, err := svc.HandleWebhook(ctx, api, svc.CryptoPay(), sig, body); !errors.Is(err, billing.ErrBadSignature) {
			t.Errorf("%s signature: %v", name, err)
		}
	}
	// Signed but wrong: the paid amount is not the deposit's.
	wrong := paidUpdate(101, "4.00")
	if _, err := svc.HandleWebhook(ctx, api, svc.CryptoPay(), cpSign(cpToken, wrong), wrong); !errors.Is(err, billing.ErrAmountMismatch) {
		t.Fatalf("amount mismatch: %v", err)
	}
	// An invoice we never opened is acknowledged and ignored.
	unknown := paidUpdate(999, "5.00")
	res, err := svc.HandleWebhook(ctx, api, svc.CryptoPay(), cpSign(cpToken, unknown), unknown)
	if err != nil || !res.Ignored || res.Credited {
		t.Fatalf("unknown invoice: %+v %v", res, err)
	}
	// Another update type is acknowledged and ignored.
	other := []byte(`{"update_id":8,"update_type":"invoice_expired","request_date":"2031-01-02T03:00:00Z","payload":{"invoice_id":101}}`)
	if res, err := svc.HandleWebhook(ctx, api, svc.CryptoPay(), cpSign(cpToken, other), other); err != nil || !res.Ignored {
		t.Fatalf("other update: %+v %v", res, err)
	}
	if got := f.balance(acc); got != 0 {
		t.Fatalf("balance %s after refused webhooks", got)
	}
	if cur, _ := svc.GetDeposit(ctx, d.ID); cur.Status != billing.DepositPending {
		t.Fatalf("deposit %s", cur.Status)
	}
}

// A provider that fails leaves the deposit without an invoice; the retry
// with the same key opens exactly one, on the same deposit.
func TestCryptoPayRetryAfterProviderFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cp := newFakeCryptoPay(t)
	svc := f.svc.WithCryptoPay(cp.srv.URL+"/api", cpToken)
	acc := f.account("Retry Buyer")
	in := billing.DepositInput{AccountID: acc, Amount: "20.00", Provider: billing.ProviderCryptoBot, IdempotencyKey: "api1:dep-retry-1"}
	cp.fail = true
	_, err := svc.CreateDeposit(ctx, api, in)
	var cpe *billing.CryptoPayError
	if !errors.Is(err, billing.ErrProviderUnavailable) || !errors.As(err, &cpe) || cpe.Name != "INTERNAL_ERROR" {
		t.Fatalf("failing provider: %v", err)
	}
	cp.fail = false
	d, err := svc.CreateDeposit(ctx, api, in)
	if err != nil || d.ProviderRef == "" {
		t.Fatalf("retry: %+v %v", d, err)
	}
	d2, err := svc.CreateDeposit(ctx, api, in)
	if err != nil || d2.PublicID != d.PublicID || d2.ProviderRef != d.ProviderRef {
		t.Fatalf("second retry: %+v %v", d2, err)
	}
	list, err := svc.Deposits(ctx, acc, 0, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("deposits: %d %v", len(list), err)
	}
	// Two calls reached Crypto Pay (the failed one and one invoice), no more.
	if cp.creates() != 2 || cp.reqs[0]["payload"] != d.PublicID || cp.reqs[1]["payload"] != d.PublicID {
		t.Fatalf("createInvoice calls: %v", cp.reqs)
	}

	// A wrong token is Crypto Pay's UNAUTHORIZED, a provider error too.
	bad := billing.NewService(f.db, testBox(t), limit).WithCryptoPay(cp.srv.URL+"/api", "wrong")
	_, err = bad.CreateDeposit(ctx, api, billing.DepositInput{AccountID: acc, Amount: "1.00", Provider: billing.ProviderCryptoBot})
	if !errors.As(err, &cpe) || cpe.Name != "UNAUTHORIZED" || cpe.Code != 401 {
		t.Fatalf("wrong token: %v", err)
	}
}

// getInvoices catches a payment whose webhook never came.
func TestCryptoPayReconcile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cp := newFakeCryptoPay(t)
	svc := f.svc.WithCryptoPay(cp.srv.URL+"/api", cpToken)
	acc := f.account("Reconciled")
	var deps []billing.Deposit
	for _, amt := range []string{"3.00", "4.00"} {
		d, err := svc.CreateDeposit(ctx, api, billing.DepositInput{AccountID: acc, Amount: amt, Provider: billing.ProviderCryptoBot})
		if err != nil {
			t.Fatal(err)
		}
		deps = append(deps, d)
	}
	cp.mu.Lock()
	cp.inv[deps[1].ProviderRef]["status"] = "paid"
	cp.mu.Unlock()
	n, err := svc.ReconcileCryptoPay(ctx, api, 100)
	if err != nil || n != 1 {
		t.Fatalf("reconcile: %d %v", n, err)
	}
	if cp.gets[0] != deps[0].ProviderRef+","+deps[1].ProviderRef {
		t.Fatalf("getInvoices ids %q", cp.gets[0])
	}
	if n, err := svc.ReconcileCryptoPay(ctx, api, 100); err != nil || n != 0 {
		t.Fatalf("second reconcile: %d %v", n, err)
	}
	if got := f.balance(acc); got != money.Cents(400) {
		t.Fatalf("balance %s", got)
	}
}

// Without a token cryptobot is a labelled sandbox whose payments go through
// the same webhook verification.
func TestCryptoPaySandbox(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acc := f.account("Sandbox Crypto")
	p := f.svc.CryptoPay()
	if !p.Sandbox() || !strings.Contains(p.Label(), "sandbox") {
		t.Fatalf("no token: %q sandbox=%v", p.Label(), p.Sandbox())
	}
	d, err := f.svc.CreateDeposit(ctx, api, billing.DepositInput{AccountID: acc, Amount: "7.00", Provider: billing.ProviderCryptoBot})
	if err != nil || !d.Sandbox() || !strings.HasPrefix(d.ProviderRef, "sbx_") {
		t.Fatalf("sandbox deposit: %+v %v", d, err)
	}
	body, sig, err := p.PaymentBody(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.HandleWebhook(ctx, api, p, sig, body)
	if err != nil || !res.Credited {
		t.Fatalf("sandbox payment: %+v %v", res, err)
	}
	// Signed with an empty token's key: refused (the sandbox key is secret).
	if _, err := f.svc.HandleWebhook(ctx, api, p, cpSign("", body), body); !errors.Is(err, billing.ErrBadSignature) {
		t.Fatalf("empty-token signature: %v", err)
	}
}
