package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/internal/platform/db"
)

// lsnCookieMaxAge bounds how long a browser carries its last write's
// position: far longer than a healthy replica's lag.
const lsnCookieMaxAge = time.Hour

// lsnCookie names the cookie with the browser's last write (a WAL position).
func (a *App) lsnCookie() string {
	if a.cfg.CookieSecure {
		return "__Host-lumdesk_lsn"
	}
	return "lumdesk_lsn"
}

// replicaReads lets console and portal GET requests read lists from the
// replica (DATABASE_REPLICA_URL) while each browser still reads its own
// writes; the rules are in internal/platform/db/replica.go. After a request
// that wrote (any other method, or a GET whose Tx committed, as exports
// that record themselves) the primary's
// WAL position goes into a cookie; a GET carries it back, and its reads use
// the replica only once the replica has replayed that far (the cookie is
// dropped then). The cookie only steers the browser's own reads: a forged
// one sends them to the primary, or to a replica that may be a moment behind.
func (a *App) replicaReads(c *fiber.Ctx) error {
	if !a.db.HasReplica() || isAPI(c.Path()) {
		return c.Next()
	}
	read := IsGet(c)
	ctx := c.UserContext()
	if read {
		after, _ := db.ParseLSN(c.Cookies(a.lsnCookie())) // 0 when absent or not an LSN
		ctx = db.WithReplicaReads(ctx, after)
		c.SetUserContext(ctx)
	}
	err := c.Next()
	switch {
	case !read || db.WroteIn(ctx):
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		lsn, lerr := a.db.WriteLSN(lctx)
		if lerr != nil {
			a.log.Warn("read the primary's WAL position", "err", lerr, "request_id", requestID(c))
			break
		}
		a.setLSNCookie(c, lsn.String(), lsnCookieMaxAge)
	case db.CaughtUp(ctx):
		a.setLSNCookie(c, "", -time.Second)
	}
	return err
}

func (a *App) setLSNCookie(c *fiber.Ctx, value string, maxAge time.Duration) {
	ck := &fiber.Cookie{Name: a.lsnCookie(), Value: value, Path: "/", HTTPOnly: true, Secure: a.cfg.CookieSecure,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(maxAge / time.Second)}
	if maxAge < 0 {
		ck.MaxAge, ck.Expires = -1, time.Unix(0, 0)
	}
	c.Cookie(ck)
}
