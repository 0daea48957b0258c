// Package auth holds the sign-in pages.
package auth

// LoginForm is the state of the sign-in form.
type LoginForm struct {
	Email string
	Next  string
	Error string
}

// TOTPForm is the state of the second-factor form.
type TOTPForm struct {
	Next  string
	Error string
}
