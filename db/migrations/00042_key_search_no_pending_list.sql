-- +goose Up
-- The keys' trigram index without GIN's pending list (issue 14).
--
-- With fastupdate on, a key whose update cannot stay on its page (and every
-- new key) goes into a pending list that every search then reads from end
-- to end, up to gin_pending_list_limit (4 MB); the writer that fills it
-- merges it all at once. On the 1M-key bench, 180 pending pages made a key
-- fragment's index scan take 12 ms where the merged index took 4 ms. Most
-- writes to a key (the execution counter, bans, resets) are HOT updates that
-- never touch the index, so paying for the few others at write time is the
-- better trade for a list people search all day.
ALTER INDEX license_keys_search SET (fastupdate = off);
-- What is pending now moves into the index proper.
SELECT gin_clean_pending_list('license_keys_search');

-- +goose Down
ALTER INDEX license_keys_search RESET (fastupdate);
