-- +goose Up
-- Bulk unban: the key list's selection can be unbanned as a job, as it can
-- be blacklisted.
ALTER TABLE bulk_jobs DROP CONSTRAINT bulk_jobs_kind_check;
ALTER TABLE bulk_jobs ADD CONSTRAINT bulk_jobs_kind_check
    CHECK (kind IN ('keys.blacklist', 'keys.unban', 'keys.extend', 'keys.delete', 'keys.generate', 'keys.import'));

-- +goose Down
DELETE FROM bulk_jobs WHERE kind = 'keys.unban';
ALTER TABLE bulk_jobs DROP CONSTRAINT bulk_jobs_kind_check;
ALTER TABLE bulk_jobs ADD CONSTRAINT bulk_jobs_kind_check
    CHECK (kind IN ('keys.blacklist', 'keys.extend', 'keys.delete', 'keys.generate', 'keys.import'));
