-- +goose Up
-- The ids of the interactions the bot took in its signature window: a
-- signed request captured on the way and sent again within the window's
-- five minutes would otherwise run again (a second API key, a second HWID
-- reset). The daily prune forgets ids older than the window.
CREATE TABLE bot_interactions_seen (
    interaction_id text        PRIMARY KEY,
    seen_at        timestamptz NOT NULL
);
CREATE INDEX bot_interactions_seen_at ON bot_interactions_seen (seen_at);

-- +goose Down
DROP TABLE bot_interactions_seen;
