-- +goose Up
-- Marking a deposit paid by hand credits its amount as surely as a manual
-- top-up does, so above the approval limit it waits for a second finance
-- user too: a request of kind 'deposit' names the deposit it would credit.
-- Without it, one person could open a manual deposit of any amount and mark
-- it paid, past the four-eyes rule the top-up and the adjustment keep.
ALTER TABLE adjustment_requests ADD COLUMN deposit_id bigint REFERENCES deposits (id);
ALTER TABLE adjustment_requests DROP CONSTRAINT adjustment_requests_kind_check;
ALTER TABLE adjustment_requests ADD CONSTRAINT adjustment_requests_kind_check
    CHECK (kind IN ('topup', 'adjustment', 'deposit'));
ALTER TABLE adjustment_requests ADD CONSTRAINT adjustment_requests_deposit_check
    CHECK ((kind = 'deposit') = (deposit_id IS NOT NULL) AND (kind <> 'deposit' OR amount_cents > 0));
-- One open request a deposit: a second would be the same money twice.
CREATE UNIQUE INDEX adjustment_requests_deposit_pending ON adjustment_requests (deposit_id) WHERE status = 'pending';

-- +goose Down
DROP INDEX adjustment_requests_deposit_pending;
DELETE FROM adjustment_requests WHERE kind = 'deposit';
ALTER TABLE adjustment_requests DROP CONSTRAINT adjustment_requests_deposit_check;
ALTER TABLE adjustment_requests DROP CONSTRAINT adjustment_requests_kind_check;
ALTER TABLE adjustment_requests ADD CONSTRAINT adjustment_requests_kind_check
    CHECK (kind IN ('topup', 'adjustment'));
ALTER TABLE adjustment_requests DROP COLUMN deposit_id;
