package products

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"lumdesk/internal/billing"
)

func wrapped(err error) (out error) {
	out = err
	wrap(&out, "renew domain %d", 7)
	return out
}

// An error from underneath says where it came from and stays matchable;
// the package's own outcomes keep their text, which callers show to people.
func TestWrapAddsContextButKeepsOutcomes(t *testing.T) {
	t.Parallel()
	got := wrapped(io.ErrUnexpectedEOF)
	if got.Error() != "renew domain 7: unexpected EOF" || !errors.Is(got, io.ErrUnexpectedEOF) {
		t.Errorf("wrapped = %q", got)
	}
	if wrapped(nil) != nil {
		t.Error("nil wrapped into an error")
	}
	perr := &ProvisionError{Op: "renew", Err: io.EOF}
	for _, err := range []error{ErrDomainTaken, ErrNotActive, ErrDomainNotFound, ErrInsufficientFunds,
		billing.ErrIdempotencyMismatch, ValidationError{"years": "too many"}, perr,
		fmt.Errorf("in tx: %w", ErrNotActive)} {
		got := wrapped(err)
		if got.Error() != err.Error() {
			t.Errorf("outcome %q changed to %q", err, got)
		}
	}
	var pe *ProvisionError
	if !errors.As(wrapped(perr), &pe) || pe != perr {
		t.Error("ProvisionError not found after wrap")
	}
}
