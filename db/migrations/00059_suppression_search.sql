-- +goose Up
-- The suppression lists (console and portal) search an address by any part
-- of it; an ESP account's list runs to hundreds of thousands of addresses.
CREATE INDEX mail_suppressions_email_trgm ON mail_suppressions USING gin (lower(email) gin_trgm_ops);

-- +goose Down
DROP INDEX mail_suppressions_email_trgm;
