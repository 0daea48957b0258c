-- +goose Up
-- marketplace_install_events by month of arrival, like the other history
-- tables (issue 14, docs/scaling.md "Growth by volume: history").
--
-- Its primary key (extension_id, install_id, event, version_id) was the
-- dedupe key of reported installs, and the unique keys of a partitioned
-- table must hold the partition key: with the month in it, a report
-- repeated a month later would no longer be a conflict. So the dedupe
-- moves to the installation's own row. marketplace_installs.seen lists
-- the events it has had, as '<event>:<version id>'. RecordInstallEvents
-- reads it under the row lock it already takes to apply the events, so
-- concurrent batches still apply an event once. The events table is then
-- history only: written, read by no page, and dropped month by month by
-- its retention (RETENTION_MARKETPLACE_INSTALL_EVENTS_MONTHS). What the
-- pages read lives in marketplace_installs and the install counts.
--
-- By received_at, not at: `at` is the store's clock and may lie years
-- back, where received_at is when the row was written.
ALTER TABLE marketplace_installs ADD COLUMN seen text[] NOT NULL DEFAULT '{}';
UPDATE marketplace_installs i SET seen = e.seen
FROM (SELECT extension_id, install_id, array_agg(event || ':' || version_id ORDER BY event, version_id) AS seen
      FROM marketplace_install_events GROUP BY extension_id, install_id) e
WHERE i.extension_id = e.extension_id AND i.install_id = e.install_id;

ALTER TABLE marketplace_install_events RENAME TO marketplace_install_events_old;
-- No key: nothing reads a row by one. version_id keeps no foreign key:
-- versions go only with their extension, whose key removes the rows, and
-- a key on it would scan every month for each version deleted.
CREATE TABLE marketplace_install_events (
    extension_id bigint      NOT NULL REFERENCES marketplace_extensions (id) ON DELETE CASCADE,
    install_id   text        NOT NULL CHECK (length(install_id) BETWEEN 1 AND 128),
    event        text        NOT NULL CHECK (event IN ('install', 'update', 'uninstall')),
    version_id   bigint      NOT NULL,
    at           timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (received_at);
-- The default partition through EXECUTE, as 00038 made its tables' (sqlc
-- would otherwise make a model of it).
-- +goose StatementBegin
DO $$ BEGIN EXECUTE 'CREATE TABLE marketplace_install_events_default PARTITION OF marketplace_install_events DEFAULT'; END $$;
-- +goose StatementEnd
SELECT partition_create_month('marketplace_install_events', m)
FROM (SELECT date_trunc('month', received_at AT TIME ZONE 'UTC')::date AS m FROM marketplace_install_events_old
      UNION SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') + i * interval '1 month')::date FROM generate_series(0, 3) i) months
ORDER BY m;
INSERT INTO marketplace_install_events (extension_id, install_id, event, version_id, at, received_at)
SELECT extension_id, install_id, event, version_id, at, received_at FROM marketplace_install_events_old;
DROP TABLE marketplace_install_events_old;
-- An extension's deletion removes its rows through this index.
CREATE INDEX marketplace_install_events_install ON marketplace_install_events (extension_id, install_id);

-- +goose Down
-- Back to one table keyed by the dedupe key (the first report of each kept;
-- a month detached by a retention stays a table of its own).
ALTER TABLE marketplace_install_events RENAME TO marketplace_install_events_part;
CREATE TABLE marketplace_install_events (
    extension_id bigint      NOT NULL REFERENCES marketplace_extensions (id) ON DELETE CASCADE,
    install_id   text        NOT NULL CHECK (length(install_id) BETWEEN 1 AND 128),
    event        text        NOT NULL CHECK (event IN ('install', 'update', 'uninstall')),
    version_id   bigint      NOT NULL REFERENCES marketplace_versions (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (extension_id, install_id, event, version_id)
);
INSERT INTO marketplace_install_events (extension_id, install_id, event, version_id, at, received_at)
SELECT DISTINCT ON (p.extension_id, p.install_id, p.event, p.version_id)
       p.extension_id, p.install_id, p.event, p.version_id, p.at, p.received_at
FROM marketplace_install_events_part p JOIN marketplace_versions v ON v.id = p.version_id
ORDER BY p.extension_id, p.install_id, p.event, p.version_id, p.received_at;
DROP TABLE marketplace_install_events_part;
ALTER TABLE marketplace_installs DROP COLUMN seen;
