package lumi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/api/apikit"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
)

// Headers of money requests.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderReplayed       = "Idempotent-Replayed"
	HeaderSignature      = "X-Signature"
)

// moneyGate runs the checks every money POST makes before its body is read:
// money switch, Idempotency-Key, signature. ok false: the error is written.
func (api *API) moneyGate(c *fiber.Ctx) (k apikeys.Key, idemKey string, ok bool, err error) {
	k = keyOf(c)
	if !api.flags.MoneyEnabled() {
		return k, "", false, writeErr(c, fiber.StatusForbidden, CodeMoneyDisabled, "Money operations are disabled on this deployment.")
	}
	idemKey = utils.CopyString(c.Get(HeaderIdempotencyKey))
	if !apikeys.ValidIdempotencyKey(idemKey) {
		return k, "", false, writeErr(c, fiber.StatusBadRequest, CodeIdemRequired,
			"Money requests need an Idempotency-Key header of 8-200 printable characters.")
	}
	if k.HasSigningSecret {
		if err := api.keys.CheckSignature(k, c.Body(), c.Get(HeaderSignature)); err != nil {
			if err == apikeys.ErrBadSignature {
				return k, "", false, writeErr(c, fiber.StatusUnauthorized, CodeInvalidSignature,
					"X-Signature is missing or is not the HMAC-SHA256 of the request body with this key's signing secret.")
			}
			return k, "", false, api.internal(c, err)
		}
	}
	return k, idemKey, true, nil
}

// outcome is a money operation's response. keep: store it for replays
// (false: the claim is dropped so the client may retry with the same key).
type outcome struct {
	status int
	body   []byte
	keep   bool
}

func jsonOutcome(status int, v any) outcome {
	b, err := json.Marshal(v)
	if err != nil {
		return outcome{fiber.StatusInternalServerError, errBody(CodeInternal, "Internal error; try again."), false}
	}
	return outcome{status, b, true}
}

func errOutcome(e apiError) outcome {
	return outcome{e.status, errBody(e.code, e.msg), e.status < 500}
}

// moneyRun claims the idempotency key, spends tokens of the money bucket and
// runs op once across every process; repeats get the stored response.
//
// The claim comes first: a repeat runs nothing, so it spends no tokens. A
// client retrying a completed request (after a lost answer, or after a big
// bulk put the key into debt) gets its answer, and the loser of two
// identical requests gets 409 in_progress, whatever the bucket holds.
func (api *API) moneyRun(c *fiber.Ctx, k apikeys.Key, idemKey string, tokens int, op func(ctx context.Context) outcome) error {
	ctx := c.UserContext()
	hash := apikeys.RequestHash(c.Method(), c.OriginalURL(), c.Body()) // path and query (user_id)
	claim, err := api.keys.ClaimIdempotency(ctx, k.ID, idemKey, hash)
	if err != nil {
		return api.internal(c, err)
	}
	switch claim.Outcome {
	case apikeys.IdemReplay:
		c.Set(HeaderReplayed, "true")
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Status(claim.Status).Send(claim.Body)
	case apikeys.IdemInProgress:
		return writeErr(c, fiber.StatusConflict, CodeInProgress, "A request with this Idempotency-Key is still running; retry shortly.")
	case apikeys.IdemMismatch:
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "This Idempotency-Key was already used with another request body.")
	}
	own := claim.Claim
	defer own.Release() // a panicking operation must not keep the key claimed; a refusal lets the client retry with the same key
	allowed, retry, err := api.keys.Allow(ctx, k.ID, "money", moneyLimit(k), Window, tokens)
	if err != nil {
		return api.internal(c, err)
	}
	if !allowed {
		return apikit.RateLimited(c, retry, writeErr)
	}
	// The operation outlives a disconnected client: it must finish and be
	// stored. The claim's record commits with the money (the commit hook).
	opCtx := billing.WithCommitHook(context.WithoutCancel(ctx), own.Applied)
	if hook := testHook.Load(); hook != nil {
		(*hook)(idemKey)
	}
	out := op(opCtx)
	if out.keep {
		if err := own.Complete(opCtx, out.status, out.body); err != nil {
			api.log.Error("lumi api: store idempotent response", "err", err, "key_id", k.ID)
		}
	} else {
		own.Release()
	}
	if out.status == fiber.StatusServiceUnavailable {
		c.Set(fiber.HeaderRetryAfter, "5") // the database went away: nothing was kept, retry with the same key
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(out.status).Send(out.body)
}

// testHook, when set (tests only), runs after a claim, before the operation.
// Atomic: a test sets it while other tests' requests run (parallel tests
// share the package), which the race detector reported.
var testHook atomic.Pointer[func(idemKey string)]

// SetTestHook sets the hook run between a won idempotency claim and the
// operation (tests hold requests there; nil removes it). Not for production use.
func SetTestHook(f func(idemKey string)) {
	if f == nil {
		testHook.Store(nil)
		return
	}
	testHook.Store(&f)
}

// ledgerKey is the idempotency key the debit carries: the client's key
// namespaced by API key (billing scopes keys per account and kind, and two
// keys of one account must not collide), hashed when it would pass 200
// characters.
func ledgerKey(keyID int64, idemKey string) string {
	s := "api" + strconv.FormatInt(keyID, 10) + ":" + idemKey
	if len(s) > 200 {
		sum := sha256.Sum256([]byte(idemKey))
		s = "api" + strconv.FormatInt(keyID, 10) + ":sha256:" + hex.EncodeToString(sum[:])
	}
	return s
}

// charge quotes, reserves the daily cap, and runs buy (id 0) or renew;
// idemKey is the client's key (with "#i" for bulk item i).
func (api *API) charge(ctx context.Context, k apikeys.Key, actor audit.Actor, kind string, accountID, id int64, in json.RawMessage, idemKey string) outcome {
	cost, err := api.shop.Quote(ctx, kind, accountID, id, in)
	if err != nil {
		return errOutcome(api.classifyLog(err))
	}
	res, ok, err := api.keys.ReserveSpend(ctx, k, cost)
	if err != nil {
		return errOutcome(api.classifyLog(err))
	}
	if !ok {
		return outcome{fiber.StatusPaymentRequired, errBody(CodeDailyCapExceeded,
			"This key's daily spend cap is reached; it resets at 00:00 UTC."), false}
	}
	var result any
	var charged bool
	if id == 0 {
		result, charged, err = api.shop.Buy(ctx, actor, kind, accountID, in, ledgerKey(k.ID, idemKey))
	} else {
		result, charged, err = api.shop.Renew(ctx, actor, kind, accountID, id, in, ledgerKey(k.ID, idemKey))
	}
	if err != nil || !charged {
		// Nothing was paid now (refused, or an earlier operation replayed).
		if rerr := api.keys.ReleaseSpend(ctx, res); rerr != nil {
			api.log.Error("lumi api: release spend", "err", rerr, "key_id", k.ID)
		}
	}
	if err != nil {
		return errOutcome(api.classifyLog(err))
	}
	if id == 0 {
		return jsonOutcome(fiber.StatusCreated, result)
	}
	return jsonOutcome(fiber.StatusOK, result)
}

func (api *API) classifyLog(err error) apiError {
	e := classify(err)
	if e.unexpected != nil {
		api.log.Error("lumi api money operation failed", "err", e.unexpected)
	}
	return e
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
