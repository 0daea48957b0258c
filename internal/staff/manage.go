package staff

import (
	"context"
	"errors"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
)

// ErrTOTPOff is returned when an admin resets two-factor for a user who has none.
var ErrTOTPOff = errors.New("two-factor sign-in is not set up for this user")

// ResetTOTP turns a user's two-factor sign-in off (lost phone): the secret
// and recovery codes are deleted, so the user enrols again. Roles that
// require TOTP are sent to enrolment on their next request. Admins cannot
// reset their own second factor here: that would let a stolen session
// weaken the account it belongs to.
func (s *Service) ResetTOTP(ctx context.Context, actor audit.Actor, id int64, reason string) (User, error) {
	if actor.StaffID() == id {
		return User{}, ErrSelf
	}
	return s.change(ctx, actor, id, "staff.reset_totp", reason, func(q *store.Queries, before store.StaffUser) (store.StaffUser, error) {
		if !before.TotpEnabled && before.TotpSecretSealed == nil {
			return before, ErrTOTPOff
		}
		if err := q.SetStaffTOTP(ctx, store.SetStaffTOTPParams{ID: id, TotpSecretSealed: nil, TotpEnabled: false}); err != nil {
			return before, err
		}
		if err := q.DeleteRecoveryCodes(ctx, id); err != nil {
			return before, err
		}
		return q.GetStaffUser(ctx, id)
	})
}
