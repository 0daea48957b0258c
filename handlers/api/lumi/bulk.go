package lumi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/platform/jsonin"
)

// Batches are what bulk purchases need of the products service, which
// stores asynchronous batches (api_batches, api_batch_items). A batch runs in
// a goroutine of the process that accepted it, which holds the batch's lease
// (BatchLease) and renews it after every item. Each item debits with its own
// idempotency key (<Idempotency-Key>#<index>), so a batch taken over after a
// crash never pays an item twice: when a poll of GET /v1/batches/{id} finds a
// running batch whose lease ran out, that process takes the lease and runs
// the items still pending.
type Batches interface {
	CreateBatch(ctx context.Context, keyID, accountID int64, kind string, items []products.BatchItemInput, idemKey string, lease time.Duration) (string, error)
	GetBatch(ctx context.Context, scope accounts.Scope, id string) (products.Batch, []products.BatchItem, error)
	SetBatchItemResult(ctx context.Context, id string, idx int, status string, result json.RawMessage, lease time.Duration) error
	FinishBatch(ctx context.Context, id string) error
	LeaseBatch(ctx context.Context, id string, lease time.Duration) (bool, error)
	StaleBatches(ctx context.Context, limit int) ([]string, error)
}

// BatchLease is how long a batch's runner may go silent before another
// process takes it over.
var BatchLease = 2 * time.Minute

// itemResult is one line of the per-item result shape.
type itemResult struct {
	Ref    string          `json:"ref"`
	Status string          `json:"status"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *errorBody      `json:"error,omitempty"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// readBulk reads a bulk request's items. The spec's body is the bare array
// of items ("Bulk endpoints take an array"); an object whose "items" is that
// array is taken too, beside user_id, which a bare array's request gives in
// the query. Items that are not an array come back as none.
func readBulk(c *fiber.Ctx) (map[string]json.RawMessage, []json.RawMessage, error) {
	var items []json.RawMessage
	if raw := bytes.TrimSpace(c.Body()); len(raw) > 0 && raw[0] == '[' {
		if err := jsonin.Decode(raw, &items); err != nil {
			return nil, nil, invalid("%s", err.Error())
		}
		return map[string]json.RawMessage{}, items, nil
	}
	body, err := readObject(c)
	if err != nil {
		return nil, nil, err
	}
	if v, ok := body["items"]; !ok || jsonin.Decode(v, &items) != nil {
		items = nil
	}
	return body, items, nil
}

// bulkItem is one item of a bulk request.
type bulkItem = products.BatchItemInput

func (api *API) bulkBuy(p product) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, idemKey, ok, err := api.moneyGate(c)
		if !ok {
			return err
		}
		body, raw, err := readBulk(c)
		if err != nil {
			return api.serviceErr(c, err)
		}
		acc, err := scope(c, k, body, true)
		if err != nil {
			return api.serviceErr(c, err)
		}
		if len(raw) == 0 {
			return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation,
				"Send the purchases as a non-empty JSON array, or as the array items of an object.")
		}
		if len(raw) > MaxBulk {
			return writeErr(c, fiber.StatusRequestEntityTooLarge, CodeBatchTooLarge,
				fmt.Sprintf("A bulk request takes at most %d items; this one has %d.", MaxBulk, len(raw)))
		}
		items := make([]bulkItem, len(raw))
		for i, r := range raw {
			var obj map[string]json.RawMessage
			if jsonin.Decode(r, &obj) != nil {
				return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, fmt.Sprintf("items[%d] must be an object.", i))
			}
			ref := strconv.Itoa(i)
			var name string
			if jsonin.Decode(obj["domain"], &name) == nil && name != "" {
				ref = name
			}
			delete(obj, "user_id")
			in, _ := json.Marshal(obj)
			items[i] = bulkItem{Ref: ref, Input: in}
		}
		actor := actorOf(c)
		return api.moneyRun(c, k, idemKey, len(items), func(ctx context.Context) outcome {
			if len(items) <= SyncBulk {
				res := make([]itemResult, len(items))
				for i, it := range items {
					res[i] = api.buyItem(ctx, k, actor, p.kind, *acc, it, idemKey, i)
				}
				return jsonOutcome(fiber.StatusOK, summary(res))
			}
			id, err := api.batches.CreateBatch(ctx, k.ID, *acc, p.kind, items, idemKey, BatchLease)
			if err != nil {
				return errOutcome(api.classifyLog(err))
			}
			idx := make([]int, len(items))
			for i := range idx {
				idx[i] = i
			}
			go api.runBatch(context.WithoutCancel(ctx), id, k, actor, p.kind, *acc, items, idx, idemKey)
			return jsonOutcome(fiber.StatusAccepted, fiber.Map{"batch_id": id, "status": "running", "total": len(items),
				"status_url": p.base + "/batches/" + id})
		})
	}
}

// buyItem buys one bulk item with its own idempotency key.
func (api *API) buyItem(ctx context.Context, k apikeys.Key, actor audit.Actor, kind string, acc int64, it bulkItem, idemKey string, i int) itemResult {
	out := api.charge(ctx, k, actor, kind, acc, 0, it.Input, idemKey+"#"+strconv.Itoa(i))
	if out.status < 300 {
		return itemResult{Ref: it.Ref, Status: "ok", Result: out.body}
	}
	var e struct {
		Error errorBody `json:"error"`
	}
	_ = json.Unmarshal(out.body, &e)
	return itemResult{Ref: it.Ref, Status: "failed", Error: &e.Error}
}

func summary(res []itemResult) fiber.Map {
	ok := 0
	for _, r := range res {
		if r.Status == "ok" {
			ok++
		}
	}
	return fiber.Map{"total": len(res), "ok": ok, "failed": len(res) - ok, "items": res}
}

// runBatch buys items (idx are their indexes in the batch), storing each
// result and renewing the lease as it goes.
func (api *API) runBatch(ctx context.Context, id string, k apikeys.Key, actor audit.Actor, kind string, acc int64, items []bulkItem, idx []int, idemKey string) {
	for n, it := range items {
		i := idx[n]
		r := api.buyItem(ctx, k, actor, kind, acc, it, idemKey, i)
		res, _ := json.Marshal(r)
		if err := api.batches.SetBatchItemResult(ctx, id, i, r.Status, res, BatchLease); err != nil {
			slog.Error("lumi api: store batch item", "batch", id, "err", err)
			return // the lease runs out and the next poll takes the batch over
		}
	}
	if err := api.batches.FinishBatch(ctx, id); err != nil {
		slog.Error("lumi api: finish batch", "batch", id, "err", err)
	}
}

// batch reports a batch's progress and the results so far (another
// account's batch is not found: the service decides within the key's scope).
func (api *API) batch(c *fiber.Ctx) error {
	k := keyOf(c)
	id := utils.CopyString(c.Params("batch_id"))
	ctx := c.UserContext()
	b, rows, err := api.batches.GetBatch(ctx, k.Scope(), id)
	if err != nil {
		return api.serviceErr(c, err)
	}
	if b.Status == "running" && b.LeaseUntil.Before(time.Now()) {
		api.takeOver(ctx, b, rows, actorOf(c))
	}
	done, ok := 0, 0
	items := make([]json.RawMessage, 0, len(rows))
	for _, r := range rows {
		if r.Status == "pending" {
			continue
		}
		done++
		if r.Status == "ok" {
			ok++
		}
		items = append(items, r.Result)
	}
	out := fiber.Map{"batch_id": b.ID, "status": b.Status, "total": b.Total, "done": done, "ok": ok, "failed": done - ok,
		"items": items, "created_at": b.CreatedAt.UTC().Format(time.RFC3339)}
	if b.FinishedAt != nil {
		out["finished_at"] = b.FinishedAt.UTC().Format(time.RFC3339)
	}
	return c.JSON(out)
}

// takeOver resumes a batch whose runner stopped (its lease ran out), if this
// process wins the lease; true when it did.
func (api *API) takeOver(ctx context.Context, b products.Batch, rows []products.BatchItem, actor audit.Actor) bool {
	won, err := api.batches.LeaseBatch(ctx, b.ID, BatchLease)
	if err != nil || !won {
		return false
	}
	k, err := api.keys.Get(ctx, b.KeyID)
	if err != nil {
		slog.Error("lumi api: take over batch", "batch", b.ID, "err", err)
		return false
	}
	var items []bulkItem
	var idx []int
	for _, r := range rows {
		if r.Status == "pending" {
			items = append(items, bulkItem{Ref: r.Ref, Input: r.Input})
			idx = append(idx, r.Idx)
		}
	}
	actor.Label = k.Prefix + " (batch resumed)"
	actor.Kind, actor.ID = audit.KindAPIKey, strconv.FormatInt(k.ID, 10)
	go api.runBatch(context.WithoutCancel(ctx), b.ID, k, actor, b.Kind, b.AccountID, items, idx, b.IdempotencyKey)
	return true
}
