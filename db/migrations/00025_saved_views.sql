-- +goose Up
-- Saved views: a staff user's named filters of one console list. A view is
-- private to its owner (another staff user's view is "not found"), so the
-- owner is part of every lookup. page is the list's path ("/accounts"),
-- query its URL query without the page position ("status=active&q=x").
-- Names are unique per owner and page, ignoring case, so the Views menu
-- never shows two entries that read the same.

CREATE TABLE saved_views (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_user_id bigint      NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    page          text        NOT NULL CHECK (page LIKE '/%' AND length(page) <= 200),
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    query         text        NOT NULL DEFAULT '' CHECK (length(query) <= 2000),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX saved_views_owner_page_name ON saved_views (staff_user_id, page, lower(name));

-- +goose Down
DROP TABLE IF EXISTS saved_views;
