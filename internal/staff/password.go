package staff

import (
	"fmt"

	"lumdesk/internal/platform/signin"
)

// MinPasswordLength is the shortest password accepted for staff.
const MinPasswordLength = 12

// ErrWeakPassword is returned for passwords that are too short or too long.
var ErrWeakPassword = fmt.Errorf("password must be %d to %d characters", MinPasswordLength, signin.MaxPasswordLength)

func checkPasswordPolicy(pw string) error {
	if len(pw) < MinPasswordLength || len(pw) > signin.MaxPasswordLength {
		return ErrWeakPassword
	}
	return nil
}

// HashPassword and CheckPassword: see signin.
var (
	HashPassword  = signin.HashPassword
	CheckPassword = signin.CheckPassword
)
