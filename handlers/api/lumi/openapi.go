package lumi

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// The OpenAPI 3.1 documents of the three APIs (the contract test checks they
// name exactly the routes served).
var (
	//go:embed openapi_domains.json
	openAPIDomains []byte
	//go:embed openapi_hosting.json
	openAPIHosting []byte
	//go:embed openapi_proxy.json
	openAPIProxy []byte
)

func serveOpenAPI(doc []byte) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		return c.Send(doc)
	}
}
