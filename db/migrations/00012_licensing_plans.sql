-- +goose Up
-- Licensing (Luarmor) plans: what an account may hold and do, as the API's
-- key stats report it ("max users", "max obfuscations"). An account without
-- a row has no limits.

CREATE TABLE licensing_plans (
    account_id              bigint      PRIMARY KEY REFERENCES accounts (id),
    -- keys ("users") one project may hold; NULL: no limit
    max_users_per_project   integer     CHECK (max_users_per_project >= 0),
    -- script creates and source uploads (what Luarmor counts as
    -- obfuscations) per calendar month, UTC; NULL: no limit
    obfuscations_per_month  integer     CHECK (obfuscations_per_month >= 0),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

-- Obfuscations used per account and UTC month (the month's first day). A
-- create or upload increments its month's row in its own transaction with
-- one upsert, which serialises concurrent uploads of one account on the row
-- lock; a new month starts a new row, so the quota resets by itself.
CREATE TABLE licensing_obfuscations (
    account_id  bigint  NOT NULL REFERENCES accounts (id),
    month       date    NOT NULL CHECK (extract(day FROM month) = 1),
    used        integer NOT NULL CHECK (used >= 0),
    PRIMARY KEY (account_id, month)
);

-- +goose Down
DROP TABLE licensing_obfuscations;
DROP TABLE licensing_plans;
