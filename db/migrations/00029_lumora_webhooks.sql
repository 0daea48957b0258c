-- +goose Up
-- Lumora webhooks: the endpoints an app sends its mail events to, one
-- delivery per event and endpoint, and every attempt of each delivery.
--
-- An endpoint's signing secret (whsec_...) is shown once at creation; it is
-- stored sealed with secretbox under the context
-- "mail_webhook_secret:<public_id>", so a sealed value cannot be moved to
-- another row. Deleting an endpoint sets disabled_at: its delivery log stays.
--
-- A delivery is 'pending' while River retries it, then 'delivered' (a 2xx
-- answer) or 'failed' (attempts used up). Its row carries the last attempt's
-- outcome for the log; mail_webhook_attempts keeps every attempt.

CREATE TABLE mail_webhook_endpoints (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id          bigint      NOT NULL REFERENCES mail_apps (id),
    public_id       text        NOT NULL UNIQUE CHECK (public_id ~ '^ep_[A-Za-z0-9]{24}$'),
    url             text        NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
    events          text[]      NOT NULL CHECK (cardinality(events) >= 1 AND events <@ ARRAY[
                        'email.delivered', 'email.bounced', 'email.deferred', 'email.complained', 'email.suppressed']::text[]),
    secret_sealed   bytea       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    disabled_at     timestamptz
);
-- Enqueue finds an app's live endpoints on every status change of a recipient.
CREATE INDEX mail_webhook_endpoints_app ON mail_webhook_endpoints (app_id, id) WHERE disabled_at IS NULL;

CREATE TABLE mail_webhook_deliveries (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id      bigint      NOT NULL REFERENCES mail_webhook_endpoints (id),
    -- The webhook-id header: one per event, the same for every endpoint and
    -- every retry or replay, so receivers can drop duplicates.
    event_id         text        NOT NULL CHECK (event_id ~ '^(msg|evt)_[A-Za-z0-9]{1,64}$'),
    event_type       text        NOT NULL,
    -- The whole body sent: {"type","created_at","data":{...}}. jsonb renders
    -- it the same way every time, so each attempt signs the same bytes.
    payload          jsonb       NOT NULL,
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    response_code    integer,    -- of the last attempt; NULL when no answer came
    latency_ms       integer,    -- of the last attempt
    last_error       text        NOT NULL DEFAULT '',
    next_attempt_at  timestamptz, -- while pending
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    CONSTRAINT mail_webhook_deliveries_event UNIQUE (endpoint_id, event_id),
    CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
-- The delivery log of an endpoint, newest first.
CREATE INDEX mail_webhook_deliveries_endpoint ON mail_webhook_deliveries (endpoint_id, id DESC);

CREATE TABLE mail_webhook_attempts (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id    bigint      NOT NULL REFERENCES mail_webhook_deliveries (id),
    attempt        integer     NOT NULL CHECK (attempt >= 1), -- 1, 2, ... over the delivery's life (replays continue the count)
    response_code  integer,
    latency_ms     integer     NOT NULL CHECK (latency_ms >= 0),
    error          text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT mail_webhook_attempts_seq UNIQUE (delivery_id, attempt)
);

-- +goose Down
DROP TABLE mail_webhook_attempts;
DROP TABLE mail_webhook_deliveries;
DROP TABLE mail_webhook_endpoints;
