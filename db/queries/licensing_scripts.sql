-- Scripts of licensing projects and their versions.

-- name: InsertLicensingScript :one
INSERT INTO licensing_scripts (public_id, project_id, name, silent, ffa, heartbeat, lightning, created_at, updated_at)
VALUES (sqlc.arg(public_id), sqlc.arg(project_id), sqlc.arg(name), sqlc.arg(silent), sqlc.arg(ffa),
        sqlc.arg(heartbeat), sqlc.arg(lightning), sqlc.arg(now), sqlc.arg(now))
RETURNING *;

-- name: GetLicensingScript :one
SELECT * FROM licensing_scripts WHERE project_id = $1 AND public_id = $2;

-- name: LockLicensingScript :one
SELECT * FROM licensing_scripts WHERE project_id = $1 AND public_id = $2 FOR UPDATE;

-- name: UpdateLicensingScript :one
UPDATE licensing_scripts
SET name = sqlc.arg(name), silent = sqlc.arg(silent), ffa = sqlc.arg(ffa), heartbeat = sqlc.arg(heartbeat),
    lightning = sqlc.arg(lightning), version = sqlc.arg(version), updated_at = sqlc.arg(now)
WHERE id = sqlc.arg(id)
RETURNING *;

-- name: InsertLicensingScriptVersion :one
INSERT INTO licensing_script_versions (script_id, version, source, sha256, silent, ffa, heartbeat, lightning, created_by, created_at)
VALUES (sqlc.arg(script_id), sqlc.arg(version), sqlc.arg(source), sqlc.arg(sha256), sqlc.arg(silent), sqlc.arg(ffa),
        sqlc.arg(heartbeat), sqlc.arg(lightning), sqlc.arg(created_by), sqlc.arg(now))
RETURNING *;

-- name: ListLicensingScripts :many
SELECT * FROM licensing_scripts WHERE project_id = $1 ORDER BY id;

-- name: ListLicensingScriptsOfProjects :many
SELECT * FROM licensing_scripts WHERE project_id = ANY (sqlc.arg(project_ids)::bigint[]) ORDER BY project_id, id;

-- Newest first, without the sources.
-- name: ListLicensingScriptVersions :many
SELECT id, script_id, version, sha256, length(source)::int AS size, silent, ffa, heartbeat, lightning, created_by, created_at
FROM licensing_script_versions WHERE script_id = $1 ORDER BY version DESC;

-- name: GetLicensingScriptVersion :one
SELECT * FROM licensing_script_versions WHERE script_id = $1 AND version = $2;
