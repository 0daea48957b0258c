package licensing

import (
	"fmt"
	"testing"
)

func TestStateRefusal(t *testing.T) {
	for _, err := range []error{ErrNoHWID, ErrKeyBanned, ErrNotBanned, ErrDiscordLinked, ErrKeyActivated,
		fmt.Errorf("reset key: %w", ErrNoHWID)} {
		if !StateRefusal(err) {
			t.Errorf("%v: not a state refusal", err)
		}
	}
	for _, err := range []error{nil, ErrKeyNotFound, ErrResetCooldown, ErrUserLimit, ValidationError{"note": "too long"}} {
		if StateRefusal(err) {
			t.Errorf("%v: a state refusal", err)
		}
	}
}
