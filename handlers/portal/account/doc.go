// Package account is the portal's account settings: the team (its users,
// their roles, invitations; owners change them), each user's own security
// (password, two-factor, sessions) and the account's API keys. Each page is
// a route group wired in handlers/server; every read and change goes
// through the customers (or apikeys) service within the signed-in user's
// account, so another account's users, invitations and keys are "not
// found" exactly like unknown ones.
package account
