-- Lumora templates and the versions every save keeps.

-- name: InsertMailTemplate :one
INSERT INTO mail_templates (account_id, public_id, slug, name, subject, html, text, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, @now::timestamptz, @now::timestamptz)
RETURNING *;

-- name: GetMailTemplateByPublicID :one
SELECT * FROM mail_templates WHERE public_id = $1 AND status = 'active';

-- name: GetMailTemplateBySlug :one
SELECT * FROM mail_templates WHERE account_id = $1 AND slug = $2 AND status = 'active';

-- name: LockMailTemplate :one
SELECT * FROM mail_templates WHERE id = $1 AND status = 'active' FOR UPDATE;

-- name: ListMailTemplates :many
-- The live templates of one account (account_id given) or of every account, newest first.
SELECT * FROM mail_templates
WHERE status = 'active'
  AND (sqlc.narg(account_id)::bigint IS NULL OR account_id = sqlc.narg(account_id))
  AND (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
ORDER BY id DESC
LIMIT $1;

-- name: UpdateMailTemplate :one
UPDATE mail_templates
SET slug = $2, name = $3, subject = $4, html = $5, text = $6, version = version + 1, updated_at = @now::timestamptz
WHERE id = $1
RETURNING *;

-- name: DeleteMailTemplate :one
UPDATE mail_templates
SET status = 'deleted', deleted_at = @now::timestamptz, updated_at = @now::timestamptz
WHERE id = $1 AND status = 'active'
RETURNING *;

-- name: InsertMailTemplateVersion :one
INSERT INTO mail_template_versions (template_id, version, name, subject, html, text,
                                    created_by_kind, created_by_id, created_by_label, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, @now::timestamptz)
RETURNING *;

-- name: ListMailTemplateVersions :many
-- A template's versions, newest first; before_version continues a page.
SELECT * FROM mail_template_versions
WHERE template_id = $1
  AND (sqlc.narg(before_version)::integer IS NULL OR version < sqlc.narg(before_version))
ORDER BY version DESC
LIMIT $2;

-- name: GetMailTemplateVersion :one
SELECT * FROM mail_template_versions WHERE template_id = $1 AND version = $2;
