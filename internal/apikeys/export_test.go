package apikeys

// BackendPID is the Postgres backend holding the claim's lock (tests end
// that session to play a killed process).
func (c *Claim) BackendPID() uint32 { return c.conn.Conn().PgConn().PID() }
