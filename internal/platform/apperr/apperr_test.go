package apperr

import (
	"errors"
	"testing"
)

func TestFieldErrorsAreSortedAndNotFoundIsMarked(t *testing.T) {
	err := error(FieldErrors{"z": "last", "a": "first"})
	if err.Error() != "invalid input: a: first; z: last" {
		t.Fatalf("Error() = %q", err.Error())
	}
	var nf interface{ NotFound() bool }
	if e := error(NotFound("account not found")); !errors.As(e, &nf) || !nf.NotFound() || e.Error() != "account not found" {
		t.Fatal("NotFound not marked")
	}
}
