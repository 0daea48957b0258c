-- +goose Up
-- Lumio installs: the events the store backend reports, each installation's
-- state, and aggregates kept incrementally as events arrive, so no read
-- counts over the events.
--
-- An event is recorded once per (extension, install id, event, version):
-- a retried batch changes nothing. Applying an event changes the
-- installation's row (locked, so concurrent batches for one installation
-- queue), then adds deltas to the aggregates (upserts that add, so
-- concurrent batches for one extension both count):
--   marketplace_extensions.install_count  installations ever (the API's total)
--   marketplace_extensions.active_installs installed now (the API's active)
--   marketplace_install_versions.active   installed now, per version (byVersion)
--   marketplace_install_daily.delta       the change of a version's active
--                                         installs on a day (UTC); the chart's
--                                         value for a day is the running sum.

ALTER TABLE marketplace_extensions ADD COLUMN active_installs bigint NOT NULL DEFAULT 0 CHECK (active_installs >= 0);

CREATE TABLE marketplace_install_events (
    extension_id bigint      NOT NULL REFERENCES marketplace_extensions (id) ON DELETE CASCADE,
    install_id   text        NOT NULL CHECK (length(install_id) BETWEEN 1 AND 128),
    event        text        NOT NULL CHECK (event IN ('install', 'update', 'uninstall')),
    version_id   bigint      NOT NULL REFERENCES marketplace_versions (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (extension_id, install_id, event, version_id)
);

CREATE TABLE marketplace_installs (
    extension_id bigint      NOT NULL REFERENCES marketplace_extensions (id) ON DELETE CASCADE,
    install_id   text        NOT NULL CHECK (length(install_id) BETWEEN 1 AND 128),
    version_id   bigint      REFERENCES marketplace_versions (id) ON DELETE SET NULL, -- the version installed
    counted      boolean     NOT NULL DEFAULT false, -- counted in install_count
    active       boolean     NOT NULL DEFAULT false,
    uninstalled  boolean     NOT NULL DEFAULT false, -- an uninstall was seen: later events never reactivate it
    last_at      timestamptz,                        -- the latest event applied
    PRIMARY KEY (extension_id, install_id),
    CONSTRAINT marketplace_installs_active CHECK (NOT active OR (version_id IS NOT NULL AND counted AND NOT uninstalled))
);

CREATE TABLE marketplace_install_versions (
    version_id   bigint NOT NULL PRIMARY KEY REFERENCES marketplace_versions (id) ON DELETE CASCADE,
    extension_id bigint NOT NULL REFERENCES marketplace_extensions (id) ON DELETE CASCADE,
    -- No CHECK (active >= 0): an upsert checks the row it would insert,
    -- which is the delta (negative for an uninstall), before it finds the
    -- conflict. The installs' state machine keeps the sum non-negative.
    active       bigint NOT NULL DEFAULT 0
);
CREATE INDEX marketplace_install_versions_extension ON marketplace_install_versions (extension_id);

CREATE TABLE marketplace_install_daily (
    extension_id bigint NOT NULL REFERENCES marketplace_extensions (id) ON DELETE CASCADE,
    version_id   bigint NOT NULL REFERENCES marketplace_versions (id) ON DELETE CASCADE,
    day          date   NOT NULL,
    delta        bigint NOT NULL,
    PRIMARY KEY (extension_id, day, version_id)
);

-- +goose Down
DROP TABLE marketplace_install_daily;
DROP TABLE marketplace_install_versions;
DROP TABLE marketplace_installs;
DROP TABLE marketplace_install_events;
ALTER TABLE marketplace_extensions DROP COLUMN active_installs;
