package lumira

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPI documents this API (OpenAPI 3.1). The contract test checks that
// it names exactly the routes this package serves.
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(openAPI)
}
