package config

// loadWebhooks reads Lumora's webhook settings. WEBHOOK_ALLOW_PRIVATE is
// off unless set: a webhook URL is customer input, and without the check it
// would let a customer make lumdesk POST to its own private network.
func loadWebhooks(c *Config, get func(name, def string) string) error {
	v, err := parseBool("WEBHOOK_ALLOW_PRIVATE", get("WEBHOOK_ALLOW_PRIVATE", "false"))
	if err != nil {
		return err
	}
	c.WebhookAllowPrivate = v
	return nil
}
