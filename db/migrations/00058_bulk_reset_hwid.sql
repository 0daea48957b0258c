-- +goose Up
-- Bulk HWID reset: support can reset the devices of the key list's
-- selection as a job (after a loader update that changed every HWID, say),
-- as they can blacklist or unban it.
ALTER TABLE bulk_jobs DROP CONSTRAINT bulk_jobs_kind_check;
ALTER TABLE bulk_jobs ADD CONSTRAINT bulk_jobs_kind_check
    CHECK (kind IN ('keys.blacklist', 'keys.unban', 'keys.reset_hwid', 'keys.extend', 'keys.delete', 'keys.generate', 'keys.import'));

-- +goose Down
DELETE FROM bulk_jobs WHERE kind = 'keys.reset_hwid';
ALTER TABLE bulk_jobs DROP CONSTRAINT bulk_jobs_kind_check;
ALTER TABLE bulk_jobs ADD CONSTRAINT bulk_jobs_kind_check
    CHECK (kind IN ('keys.blacklist', 'keys.unban', 'keys.extend', 'keys.delete', 'keys.generate', 'keys.import'));
