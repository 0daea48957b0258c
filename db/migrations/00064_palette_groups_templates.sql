-- +goose Up
-- The palette finds Lumira groups and Lumora templates by part of their
-- names (and a template by part of its slug), as it finds apps and sending
-- domains: trigram indexes, so a partial match need not read the table.
CREATE INDEX lumira_groups_name_trgm ON lumira_groups USING gin (name gin_trgm_ops);
-- By Roblox group id across accounts (lumira_groups_account_group leads with the account).
CREATE INDEX lumira_groups_roblox ON lumira_groups (roblox_group_id);
CREATE INDEX mail_templates_name_trgm ON mail_templates USING gin (name gin_trgm_ops);
CREATE INDEX mail_templates_slug_trgm ON mail_templates USING gin (slug gin_trgm_ops);

-- +goose Down
DROP INDEX mail_templates_slug_trgm;
DROP INDEX mail_templates_name_trgm;
DROP INDEX lumira_groups_roblox;
DROP INDEX lumira_groups_name_trgm;
