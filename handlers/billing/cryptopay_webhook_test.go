package billing_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"lumdesk/internal/billing"
)

// The Crypto Pay webhook over HTTP: POST /api/lumi/webhooks/cryptobot with
// crypto-pay-api-signature = hex HMAC-SHA256(SHA-256(token), raw body).
func TestCryptoPayWebhookOverHTTP(t *testing.T) {
	t.Parallel()
	const token = "777:AAwebhookTestToken"
	cp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(billing.CryptoPayTokenHeader) != token || r.URL.Path != "/api/createInvoice" {
			w.WriteHeader(401)
			_, _ = w.Write([]byte(`{"ok":false,"error":{"code":401,"name":"UNAUTHORIZED"}}`))
			return
		}
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		_, _ = fmt.Fprintf(w, `{"ok":true,"result":{"invoice_id":555,"status":"active","currency_type":"fiat","fiat":"USD","amount":%q,"payload":%q,"bot_invoice_url":"https://t.me/CryptoBot?start=IV555"}}`,
			in["amount"], in["payload"])
	}))
	t.Cleanup(cp.Close)
	envs := twoServers(t)
	env := envs[0]
	env.Billing.WithCryptoPay(cp.URL+"/api", token)
	ctx := context.Background()
	acc := billAccount(t, env, "Crypto Payer", "cryptopayer@example.com")
	// With real payments on, the console offers no sandbox deposit and
	// refuses one sent anyway.
	fin := env.As("finance")
	if f := fin.Get(billPath(acc.ID, "/deposits/new")); f.Has(`select[name=provider] option[value=sandbox_crypto]`) ||
		!f.Has(`select[name=provider] option[value=cryptobot][selected]`) {
		t.Errorf("deposit form beside live Crypto Pay: %q", f.Text(`select[name=provider]`))
	}
	if r := fin.PostForm(billPath(acc.ID, "/deposits"), url.Values{"amount": {"900000"}, "provider": {"sandbox_crypto"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Text(".field-error"), "sandbox provider is off") {
		t.Errorf("a sandbox deposit beside live Crypto Pay: %d %q", r.Status, r.Text(".field-error"))
	}
	dep, err := env.Billing.CreateDeposit(ctx, billCLI, billing.DepositInput{AccountID: acc.ID, Amount: "42.00", Provider: billing.ProviderCryptoBot})
	if err != nil || dep.ProviderRef != "555" {
		t.Fatalf("deposit: %+v %v", dep, err)
	}
	update := func(invoiceID int, amount string) []byte {
		return []byte(fmt.Sprintf(`{"update_id":1,"update_type":"invoice_paid","request_date":"2031-01-01T00:00:00.000Z","payload":{"invoice_id":%d,"status":"paid","currency_type":"fiat","fiat":"USD","amount":%q,"paid_asset":"USDT","paid_amount":%q}}`,
			invoiceID, amount, amount))
	}
	sign := func(body []byte) string {
		k := sha256.Sum256([]byte(token))
		m := hmac.New(sha256.New, k[:])
		m.Write(body)
		return hex.EncodeToString(m.Sum(nil))
	}
	post := func(body []byte, sig string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", env.URL+billing.CryptoPayWebhookPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if sig != "" {
			req.Header.Set("crypto-pay-api-signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		_ = json.Unmarshal(b, &out)
		return resp.StatusCode, out
	}
	paid := update(555, "42.00")
	for name, sig := range map[string]string{"missing": "", "wrong": sign(update(555, "4200.00")), "garbage": "zz"} {
		if status, out := post(paid, sig); status != 401 || out["error"].(map[string]any)["code"] != "invalid_signature" {
			t.Errorf("%s signature: %d %v", name, status, out)
		}
	}
	if got := billBalance(t, env, acc.ID); got != 0 {
		t.Fatalf("refused webhooks moved money: %s", got)
	}
	if status, out := post(paid, sign(paid)); status != 200 || out["status"] != "credited" {
		t.Fatalf("paid: %d %v", status, out)
	}
	// A repeated delivery (Crypto Pay retries) credits nothing.
	if status, out := post(paid, sign(paid)); status != 200 || out["status"] != "already_paid" {
		t.Fatalf("replay: %d %v", status, out)
	}
	// An invoice this app did not open for a deposit is acknowledged and ignored.
	other := update(556, "42.00")
	if status, out := post(other, sign(other)); status != 200 || out["status"] != "ignored" {
		t.Fatalf("unknown invoice: %d %v", status, out)
	}
	if got := billBalance(t, env, acc.ID); got != 4200 {
		t.Fatalf("balance %s, want 42.00 once", got)
	}

	// Without a token (the other server) cryptobot is the labelled sandbox:
	// the dashboard's "mark paid" sends a Crypto Pay–shaped signed webhook
	// to this endpoint, which credits it.
	sb := envs[1]
	sd, err := sb.Billing.CreateDeposit(ctx, billCLI, billing.DepositInput{AccountID: acc.ID, Amount: "8.00", Provider: billing.ProviderCryptoBot})
	if err != nil || !sd.Sandbox() {
		t.Fatalf("sandbox deposit: %+v %v", sd, err)
	}
	if got, err := sb.Billing.SimulateSandboxPayment(ctx, billCLI, sd.ID, sb.URL, "test payment"); err != nil || got.Status != billing.DepositPaid {
		t.Fatalf("sandbox payment: %+v %v", got, err)
	}
	if got := billBalance(t, env, acc.ID); got != 5000 {
		t.Fatalf("balance %s, want 50.00", got)
	}
}
