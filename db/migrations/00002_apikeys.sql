-- +goose Up
-- A rotated key's page links to its replacement: find it by rotated_from_id.
CREATE INDEX api_keys_rotated_from ON api_keys (rotated_from_id) WHERE rotated_from_id IS NOT NULL;

-- +goose Down
DROP INDEX api_keys_rotated_from;
