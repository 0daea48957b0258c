-- Key counts of a page of projects, each counted only up to cap (the list
-- shows "1,000+"): a capped index scan per project, never a full count(*)
-- over a project with a million keys. The ORDER BY keeps the planner on
-- license_keys_project_created even when its estimates say a seq scan
-- would find cap rows sooner.
-- name: LicensingProjectKeyCounts :many
SELECT p.id AS project_id,
       (SELECT count(*) FROM (SELECT 1 FROM license_keys k WHERE k.project_id = p.id
                              ORDER BY k.created_at LIMIT sqlc.arg(cap)::int) capped)::bigint AS keys
FROM licensing_projects p
WHERE p.id = ANY (sqlc.arg(project_ids)::bigint[]);
