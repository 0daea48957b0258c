package lumio

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/internal/apikeys"
	"lumdesk/internal/marketplace"
)

// setSecret: PUT /extensions/:id/secrets/:key {"value": "..."} → 204. The
// value is sealed by the service and never returned or audited.
func (api *API) setSecret(c *fiber.Ctx, k apikeys.Key) error {
	id, name := pathID(c, "id"), pathID(c, "key")
	// Another account's extension is not found before its input is judged.
	if _, err := api.svc.GetExtension(c.UserContext(), k.Scope(), id); err != nil {
		return api.serviceErr(c, err, id, "")
	}
	o, ok, err := readJSON(c)
	if !ok {
		return err
	}
	for n := range o {
		if n != "value" {
			return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, fmt.Sprintf("Unknown field %s; the only field is value.", strconv.Quote(n)))
		}
	}
	var value string
	if raw, found := o["value"]; !found || string(raw) == "null" {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "value: Required.")
	} else if json.Unmarshal(raw, &value) != nil {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "value: must be a string.")
	}
	if err := api.svc.SetSecret(c.UserContext(), actorOf(c), k.Scope(), id, name, value); err != nil {
		return api.serviceErr(c, err, id, "")
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (api *API) deleteSecret(c *fiber.Ctx, k apikeys.Key) error {
	id, name := pathID(c, "id"), pathID(c, "key")
	if err := api.svc.DeleteSecret(c.UserContext(), actorOf(c), k.Scope(), id, name); err != nil {
		return api.serviceErr(c, err, id, "")
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// listSecrets: GET /extensions/:id/secrets → {"keys": [...]}, names only.
func (api *API) listSecrets(c *fiber.Ctx, k apikeys.Key) error {
	id := pathID(c, "id")
	names, err := api.svc.ListSecretNames(c.UserContext(), k.Scope(), id)
	if err != nil {
		return api.serviceErr(c, err, id, "")
	}
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = n.Name
	}
	return c.JSON(fiber.Map{"keys": keys})
}

// installs: GET /extensions/:id/installs → aggregates only.
func (api *API) installs(c *fiber.Ctx, k apikeys.Key) error {
	id := pathID(c, "id")
	st, err := api.svc.InstallStats(c.UserContext(), k.Scope(), id)
	if err != nil {
		return api.serviceErr(c, err, id, "")
	}
	by := st.ByVersion
	if by == nil {
		by = map[string]int64{}
	}
	return c.JSON(fiber.Map{"total": st.Total, "active": st.Active, "byVersion": by})
}

// ingestInstalls: POST /api/lumio/v1/installs/events (operator keys,
// installs:write): {"events": [{installId, extensionId, versionId, event,
// at}]}, 1–1000 of them → {"accepted", "duplicates"}.
func (api *API) ingestInstalls(c *fiber.Ctx, k apikeys.Key) error {
	o, ok, err := readJSON(c)
	if !ok {
		return err
	}
	bad := func(format string, a ...any) error {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, fmt.Sprintf(format, a...))
	}
	for n := range o {
		if n != "events" {
			return bad("Unknown field %s; the only field is events.", strconv.Quote(n))
		}
	}
	var raws []json.RawMessage
	if raw, found := o["events"]; !found || string(raw) == "null" {
		return bad("events: Required: a list of 1 to %d events.", marketplace.MaxInstallEvents)
	} else if json.Unmarshal(raw, &raws) != nil {
		return bad("events: must be a list of event objects.")
	}
	if len(raws) == 0 || len(raws) > marketplace.MaxInstallEvents {
		return bad("events: must hold 1 to %d events (got %d).", marketplace.MaxInstallEvents, len(raws))
	}
	events := make([]marketplace.InstallEvent, len(raws))
	for i, raw := range raws {
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) != nil || fields == nil {
			return bad("events[%d]: must be an object.", i)
		}
		get := map[string]string{}
		for n, v := range fields {
			switch n {
			case "installId", "extensionId", "versionId", "event", "at":
			default:
				return bad("events[%d]: unknown field %s; the fields are installId, extensionId, versionId, event, at.", i, strconv.Quote(n))
			}
			var s string
			if json.Unmarshal(v, &s) != nil {
				return bad("events[%d].%s: must be a string.", i, n)
			}
			get[n] = s
		}
		for _, n := range []string{"installId", "extensionId", "versionId", "event", "at"} {
			if get[n] == "" {
				return bad("events[%d].%s: Required.", i, n)
			}
		}
		switch get["event"] {
		case marketplace.EventInstall, marketplace.EventUpdate, marketplace.EventUninstall:
		default:
			return bad("events[%d].event: must be install, update or uninstall.", i)
		}
		at, err := time.Parse(time.RFC3339Nano, get["at"])
		if err != nil {
			return bad("events[%d].at: must be an RFC 3339 time such as 2026-05-01T12:00:00Z.", i)
		}
		events[i] = marketplace.InstallEvent{InstallID: get["installId"], ExtensionID: get["extensionId"], VersionID: get["versionId"],
			Event: get["event"], At: at.UTC()}
	}
	res, err := api.svc.RecordInstallEvents(c.UserContext(), actorOf(c), k.Scope(), events)
	if err != nil {
		return api.serviceErr(c, err, "", "")
	}
	return c.JSON(fiber.Map{"accepted": res.Accepted, "duplicates": res.Duplicates})
}
