package config

import (
	"fmt"
	"net/url"

	"lumdesk/internal/marketplace/bundle"
)

// loadLumio reads where Lumio keeps bundles and how large one may be.
// BLOB_URL is only parsed here: the store is opened when the services are
// built, so loading the configuration touches neither disk nor network.
func loadLumio(c *Config, get func(name, def string) string) error {
	lim, err := bundle.LimitsFromEnv(func(name string) string { return get(name, "") })
	if err != nil {
		return err
	}
	c.LumioLimits = lim
	c.BlobURL = get("BLOB_URL", "")
	if c.BlobURL != "" {
		u, err := url.Parse(c.BlobURL)
		switch {
		case err != nil:
			return fmt.Errorf("BLOB_URL: %w", err)
		case u.Scheme == "s3" && u.Host == "":
			return fmt.Errorf("BLOB_URL: %q names no bucket (s3://bucket?endpoint=…&region=…)", c.BlobURL)
		case u.Scheme == "file" && u.Path == "":
			return fmt.Errorf("BLOB_URL: %q names no directory (file:///path)", c.BlobURL)
		case u.Scheme != "s3" && u.Scheme != "file":
			return fmt.Errorf("BLOB_URL: %q is not s3://bucket?endpoint=…&region=… or file:///path", c.BlobURL)
		}
	}
	c.BlobAccessKey, c.BlobSecretKey = get("AWS_ACCESS_KEY_ID", ""), get("AWS_SECRET_ACCESS_KEY", "")
	return nil
}
