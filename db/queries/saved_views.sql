-- Saved views of the console lists, always looked up with their owner: a
-- view belongs to one staff user.

-- name: InsertSavedView :one
INSERT INTO saved_views (staff_user_id, page, name, query)
VALUES (sqlc.arg(staff_user_id), sqlc.arg(page), sqlc.arg(name), sqlc.arg(query))
ON CONFLICT (staff_user_id, page, lower(name)) DO NOTHING
RETURNING *;

-- name: ListSavedViews :many
SELECT * FROM saved_views
WHERE staff_user_id = sqlc.arg(staff_user_id) AND page = sqlc.arg(page)
ORDER BY lower(name), id
LIMIT 100;

-- name: GetSavedView :one
SELECT * FROM saved_views WHERE id = sqlc.arg(id) AND staff_user_id = sqlc.arg(staff_user_id);

-- name: DeleteSavedView :execrows
DELETE FROM saved_views WHERE id = sqlc.arg(id) AND staff_user_id = sqlc.arg(staff_user_id);

-- name: CountSavedViews :one
SELECT count(*) FROM saved_views WHERE staff_user_id = sqlc.arg(staff_user_id) AND page = sqlc.arg(page);
