-- +goose Up
-- The loader check answers from an in-process cache on every node
-- (internal/licensing/cache.go). Every change to what the check reads
-- (projects, scripts, keys) notifies channel licensing_cache with the
-- project's id, from whichever code or hand-written SQL made it; each
-- node's listener drops that project's entries. Identical payloads of one
-- transaction are delivered once, so a bulk load of a project's keys is
-- one notification. The execution counter's flush changes none of the
-- columns compared, and notifies nothing.

-- +goose StatementBegin
CREATE FUNCTION licensing_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'licensing_projects' THEN
        PERFORM pg_notify('licensing_cache', coalesce(NEW.id, OLD.id)::text);
    ELSE
        PERFORM pg_notify('licensing_cache', coalesce(NEW.project_id, OLD.project_id)::text);
        IF TG_OP = 'UPDATE' AND NEW.project_id <> OLD.project_id THEN
            PERFORM pg_notify('licensing_cache', OLD.project_id::text);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER licensing_projects_cache AFTER UPDATE OR DELETE ON licensing_projects
    FOR EACH ROW EXECUTE FUNCTION licensing_cache_notify();

CREATE TRIGGER licensing_scripts_cache_change AFTER UPDATE ON licensing_scripts
    FOR EACH ROW WHEN ((OLD.public_id, OLD.project_id, OLD.name, OLD.ffa) IS DISTINCT FROM (NEW.public_id, NEW.project_id, NEW.name, NEW.ffa))
    EXECUTE FUNCTION licensing_cache_notify();
CREATE TRIGGER licensing_scripts_cache_add_remove AFTER INSERT OR DELETE ON licensing_scripts
    FOR EACH ROW EXECUTE FUNCTION licensing_cache_notify();

CREATE TRIGGER license_keys_cache_change AFTER UPDATE ON license_keys
    FOR EACH ROW WHEN ((OLD.project_id, OLD.user_key, OLD.identifier, OLD.discord_id, OLD.note, OLD.key_days, OLD.auth_expire,
                        OLD.activated_at, OLD.banned, OLD.ban_reason, OLD.ban_expire, OLD.version)
        IS DISTINCT FROM (NEW.project_id, NEW.user_key, NEW.identifier, NEW.discord_id, NEW.note, NEW.key_days, NEW.auth_expire,
                        NEW.activated_at, NEW.banned, NEW.ban_reason, NEW.ban_expire, NEW.version))
    EXECUTE FUNCTION licensing_cache_notify();
CREATE TRIGGER license_keys_cache_add_remove AFTER INSERT OR DELETE ON license_keys
    FOR EACH ROW EXECUTE FUNCTION licensing_cache_notify();

-- +goose Down
DROP TRIGGER license_keys_cache_add_remove ON license_keys;
DROP TRIGGER license_keys_cache_change ON license_keys;
DROP TRIGGER licensing_scripts_cache_add_remove ON licensing_scripts;
DROP TRIGGER licensing_scripts_cache_change ON licensing_scripts;
DROP TRIGGER licensing_projects_cache ON licensing_projects;
DROP FUNCTION licensing_cache_notify();
