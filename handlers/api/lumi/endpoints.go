package lumi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/billing"
	"lumdesk/internal/platform/jsonin"
)

// readObject parses the body as a JSON object (an empty body is {}).
func readObject(c *fiber.Ctx) (map[string]json.RawMessage, error) {
	raw := bytes.TrimSpace(c.Body())
	obj := map[string]json.RawMessage{}
	if len(raw) == 0 {
		return obj, nil
	}
	if raw[0] != '{' {
		return nil, invalid("The request body must be a JSON object.")
	}
	if err := jsonin.Decode(raw, &obj); err != nil {
		return nil, invalid("%s", err.Error())
	}
	return obj, nil
}

// userID reads user_id from the body (number or numeric string) and the
// query. Both may be given; when they name different accounts the request is
// refused (422), since acting on either would be a guess about the other.
func userID(c *fiber.Ctx, body map[string]json.RawMessage) (*int64, error) {
	var s string
	if v, ok := body["user_id"]; ok && string(v) != "null" {
		var n json.Number
		if err := jsonin.Decode(v, &n); err != nil {
			if err := jsonin.Decode(v, &s); err != nil {
				return nil, invalid("user_id must be an integer.")
			}
		} else {
			s = n.String()
		}
	}
	fromBody, err := parseUserID(s)
	if err != nil {
		return nil, err
	}
	fromQuery, err := parseUserID(c.Query("user_id"))
	if err != nil {
		return nil, err
	}
	if fromBody != nil && fromQuery != nil && *fromBody != *fromQuery {
		return nil, invalid("user_id is %d in the query and %d in the body; send one, or the same in both.", *fromQuery, *fromBody)
	}
	if fromBody != nil {
		return fromBody, nil
	}
	return fromQuery, nil
}

// parseUserID reads one user_id ("" is none).
func parseUserID(s string) (*int64, error) {
	if s == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return nil, invalid("user_id must be a positive integer.")
	}
	return &id, nil
}

// scope is the account a request acts on: the key's scope decides (a
// reseller key acts on its own account, and naming another is not found;
// an operator key acts on the named user_id, nil for every account, or 422
// when one is required).
func scope(c *fiber.Ctx, k apikeys.Key, body map[string]json.RawMessage, required bool) (*int64, error) {
	id, err := userID(c, body)
	if err != nil {
		return nil, err
	}
	acc, err := k.Scope().Target(id)
	if err != nil {
		return nil, err
	}
	if acc == nil && required {
		return nil, invalid("user_id is required with an operator key.")
	}
	return acc, nil
}

// within is the scope of a read or change: the key's scope, narrowed to the
// named user_id when an operator key names one.
func within(c *fiber.Ctx, k apikeys.Key, body map[string]json.RawMessage) (accounts.Scope, error) {
	acc, err := scope(c, k, body, false)
	if err != nil {
		return accounts.Only(0), err
	}
	if acc == nil {
		return accounts.AllAccounts, nil
	}
	return accounts.Only(*acc), nil
}

// rest is the body without user_id, as the shop receives it.
func rest(body map[string]json.RawMessage) json.RawMessage {
	m := make(map[string]json.RawMessage, len(body))
	for k, v := range body {
		if k != "user_id" {
			m[k] = v
		}
	}
	b, _ := json.Marshal(m)
	return b
}

// limitOf reads ?limit= (1-200, default 50).
func limitOf(c *fiber.Ctx) (int, error) {
	s := c.Query("limit")
	if s == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 200 {
		return 0, invalid("limit must be between 1 and 200.")
	}
	return n, nil
}

// list answers the cursor list shape.
func listJSON(c *fiber.Ctx, items any, next string) error {
	out := fiber.Map{"items": items, "next_cursor": nil, "has_more": next != ""}
	if next != "" {
		out["next_cursor"] = next
	}
	return c.JSON(out)
}

func (api *API) balance(c *fiber.Ctx) error {
	acc, err := scope(c, keyOf(c), nil, true)
	if err != nil {
		return api.serviceErr(c, err)
	}
	b, err := api.billing.Balance(c.UserContext(), *acc)
	if err != nil {
		return api.serviceErr(c, err)
	}
	return c.JSON(fiber.Map{"user_id": *acc, "balance_usd": b.Amount.String(), "currency": "USD"})
}

// depositJSON is a deposit as the API shows it.
func depositJSON(d billing.Deposit) fiber.Map {
	m := fiber.Map{"id": d.PublicID, "user_id": d.AccountID, "amount_usd": d.Amount.String(), "provider": d.Provider,
		"status": d.Status, "created_at": d.CreatedAt.Format(time.RFC3339)}
	if d.PayURL != "" {
		m["pay_url"] = d.PayURL
	}
	if d.ExpiresAt != nil {
		m["expires_at"] = d.ExpiresAt.Format(time.RFC3339)
	}
	if d.PaidAt != nil {
		m["paid_at"] = d.PaidAt.Format(time.RFC3339)
	}
	if d.Sandbox() {
		m["sandbox"] = true
	}
	return m
}

func (api *API) createDeposit(c *fiber.Ctx) error {
	k, idemKey, ok, err := api.moneyGate(c)
	if !ok {
		return err
	}
	body, err := readObject(c)
	if err != nil {
		return api.serviceErr(c, err)
	}
	acc, err := scope(c, k, body, true)
	if err != nil {
		return api.serviceErr(c, err)
	}
	var in struct {
		Amount   any    `json:"amount_usd"`
		Provider string `json:"provider"`
	}
	if err := decode(rest(body), &in); err != nil {
		return api.serviceErr(c, err)
	}
	amount, isStr := in.Amount.(string)
	if !isStr {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, `amount_usd must be a string such as "5.00".`)
	}
	provider := in.Provider
	if provider == "" {
		provider = billing.ProviderSandboxCrypto
	}
	actor := actorOf(c)
	return api.moneyRun(c, k, idemKey, 1, func(ctx contextT) outcome {
		d, err := api.billing.CreateDeposit(ctx, actor, billing.DepositInput{AccountID: *acc, Amount: amount, Provider: provider,
			IdempotencyKey: ledgerKey(k.ID, idemKey)})
		if err != nil {
			return errOutcome(api.classifyLog(err))
		}
		return jsonOutcome(fiber.StatusCreated, depositJSON(d))
	})
}

func (api *API) listDeposits(c *fiber.Ctx) error {
	acc, err := scope(c, keyOf(c), nil, true)
	if err != nil {
		return api.serviceErr(c, err)
	}
	limit, err := limitOf(c)
	if err != nil {
		return api.serviceErr(c, err)
	}
	var before int64
	if cur := c.Query("cursor"); cur != "" {
		b, derr := base64.RawURLEncoding.DecodeString(cur)
		id, perr := strconv.ParseInt(strings.TrimPrefix(string(b), "dep:"), 10, 64)
		if derr != nil || perr != nil || id <= 0 || !strings.HasPrefix(string(b), "dep:") {
			return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "cursor is not valid; start from the first page.")
		}
		before = id
	}
	ds, err := api.billing.Deposits(c.UserContext(), *acc, before, limit+1)
	if err != nil {
		return api.serviceErr(c, err)
	}
	next := ""
	if len(ds) > limit {
		ds = ds[:limit]
		next = base64.RawURLEncoding.EncodeToString([]byte("dep:" + strconv.FormatInt(ds[limit-1].ID, 10)))
	}
	items := make([]fiber.Map, len(ds))
	for i, d := range ds {
		items[i] = depositJSON(d)
	}
	return listJSON(c, items, next)
}

func (api *API) prices(p product) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// Prices are the same for everyone, but a reseller naming another
		// account's user_id is still refused as not found (the spec).
		if _, err := scope(c, keyOf(c), nil, false); err != nil {
			return api.serviceErr(c, err)
		}
		v, err := api.shop.Prices(c.UserContext(), p.kind)
		if err != nil {
			return api.serviceErr(c, err)
		}
		return c.JSON(v)
	}
}

func (api *API) list(p product) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, err := within(c, keyOf(c), nil)
		if err != nil {
			return api.serviceErr(c, err)
		}
		limit, err := limitOf(c)
		if err != nil {
			return api.serviceErr(c, err)
		}
		items, next, err := api.shop.List(c.UserContext(), p.kind, sc, strings.Clone(c.Query("cursor")), limit)
		if err != nil {
			return api.serviceErr(c, err)
		}
		return listJSON(c, items, next)
	}
}

func (api *API) get(p product) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, err := within(c, keyOf(c), nil)
		if err != nil {
			return api.serviceErr(c, err)
		}
		id, ok := pathID(c)
		if !ok {
			return notFound(c)
		}
		v, err := api.shop.Get(c.UserContext(), p.kind, sc, id)
		if err != nil {
			return api.serviceErr(c, err)
		}
		return c.JSON(v)
	}
}

func (api *API) buy(p product) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, idemKey, ok, err := api.moneyGate(c)
		if !ok {
			return err
		}
		body, err := readObject(c)
		if err != nil {
			return api.serviceErr(c, err)
		}
		acc, err := scope(c, k, body, true)
		if err != nil {
			return api.serviceErr(c, err)
		}
		in, actor := rest(body), actorOf(c)
		return api.moneyRun(c, k, idemKey, 1, func(ctx contextT) outcome {
			return api.charge(ctx, k, actor, p.kind, *acc, 0, in, idemKey)
		})
	}
}

func (api *API) renew(p product) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, idemKey, ok, err := api.moneyGate(c)
		if !ok {
			return err
		}
		id, ok := pathID(c)
		if !ok {
			return notFound(c)
		}
		body, err := readObject(c)
		if err != nil {
			return api.serviceErr(c, err)
		}
		acc, err := scope(c, k, body, true)
		if err != nil {
			return api.serviceErr(c, err)
		}
		in, actor := rest(body), actorOf(c)
		return api.moneyRun(c, k, idemKey, 1, func(ctx contextT) outcome {
			return api.charge(ctx, k, actor, p.kind, *acc, id, in, idemKey)
		})
	}
}

func (api *API) update(p product, action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k := keyOf(c)
		id, ok := pathID(c)
		if !ok {
			return notFound(c)
		}
		body, err := readObject(c)
		if err != nil {
			return api.serviceErr(c, err)
		}
		sc, err := within(c, k, body)
		if err != nil {
			return api.serviceErr(c, err)
		}
		v, err := api.shop.Update(c.UserContext(), actorOf(c), p.kind, action, sc, id, rest(body))
		if err != nil {
			return api.serviceErr(c, err)
		}
		return c.JSON(v)
	}
}

type contextT = context.Context
