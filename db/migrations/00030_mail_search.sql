-- +goose Up
-- The palette finds Lumora apps and sending domains by part of their name
-- (three or more characters) or by the whole name, from trigram indexes
-- (pg_trgm answers = as well as ILIKE), so neither reads the whole table.

CREATE INDEX IF NOT EXISTS mail_apps_name_trgm ON mail_apps USING gin (name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS mail_domains_name_trgm ON mail_domains USING gin (name gin_trgm_ops);

-- +goose Down
DROP INDEX IF EXISTS mail_domains_name_trgm;
DROP INDEX IF EXISTS mail_apps_name_trgm;
