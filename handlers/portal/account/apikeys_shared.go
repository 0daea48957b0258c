// Package account is the portal's account settings pages: API keys
// (apikeys*.go), the team and the signed-in user's security. Every handler
// reads and writes through the services with web.PortalScope(c), so
// another account's objects are "not found".
package account
