-- +goose Up
-- The console's extension search (list filter and palette) finds Lumio
-- extensions by part of their name or slug (three or more characters) from
-- trigram indexes, so neither reads the whole table. The list's sort by
-- installs is a keyset on (install_count, id).

CREATE INDEX IF NOT EXISTS marketplace_extensions_name_trgm ON marketplace_extensions USING gin (name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS marketplace_extensions_slug_trgm ON marketplace_extensions USING gin (slug gin_trgm_ops);
CREATE INDEX IF NOT EXISTS marketplace_extensions_installs ON marketplace_extensions (install_count DESC, id DESC);

-- +goose Down
DROP INDEX IF EXISTS marketplace_extensions_installs;
DROP INDEX IF EXISTS marketplace_extensions_slug_trgm;
DROP INDEX IF EXISTS marketplace_extensions_name_trgm;
