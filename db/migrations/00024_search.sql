-- +goose Up
-- Global search (the palette): exact lookups of what support pastes (a full
-- key, a HWID, a Discord id, an IP, a hostname, a domain) each hit a btree;
-- partial values hit a trigram index, so every kind answers from an index at
-- a million rows.

CREATE INDEX IF NOT EXISTS license_keys_identifier ON license_keys (identifier) WHERE identifier <> '';
CREATE INDEX IF NOT EXISTS license_keys_discord ON license_keys (discord_id) WHERE discord_id <> '';
CREATE INDEX IF NOT EXISTS licensing_scripts_name_trgm ON licensing_scripts USING gin (name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS accounts_discord ON accounts (discord_id) WHERE discord_id <> '';
CREATE INDEX IF NOT EXISTS lumi_domains_name_exact ON lumi_domains (name);
CREATE INDEX IF NOT EXISTS lumi_domains_name_trgm ON lumi_domains USING gin (name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS lumi_vps_hostname ON lumi_vps (hostname) WHERE hostname <> '';
CREATE INDEX IF NOT EXISTS lumi_vps_ip ON lumi_vps (ip) WHERE ip <> '';
CREATE INDEX IF NOT EXISTS lumi_vps_search ON lumi_vps USING gin ((hostname || ' ' || ip) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS lumi_proxies_host ON lumi_proxies (host) WHERE host <> '';
CREATE INDEX IF NOT EXISTS lumi_proxies_host_trgm ON lumi_proxies USING gin (host gin_trgm_ops);
CREATE INDEX IF NOT EXISTS staff_users_name_trgm ON staff_users USING gin (name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS staff_users_email_trgm ON staff_users USING gin ((email::text) gin_trgm_ops);

-- +goose Down
DROP INDEX IF EXISTS staff_users_email_trgm;
DROP INDEX IF EXISTS staff_users_name_trgm;
DROP INDEX IF EXISTS lumi_proxies_host_trgm;
DROP INDEX IF EXISTS lumi_proxies_host;
DROP INDEX IF EXISTS lumi_vps_search;
DROP INDEX IF EXISTS lumi_vps_ip;
DROP INDEX IF EXISTS lumi_vps_hostname;
DROP INDEX IF EXISTS lumi_domains_name_trgm;
DROP INDEX IF EXISTS lumi_domains_name_exact;
DROP INDEX IF EXISTS accounts_discord;
DROP INDEX IF EXISTS licensing_scripts_name_trgm;
DROP INDEX IF EXISTS license_keys_discord;
DROP INDEX IF EXISTS license_keys_identifier;
