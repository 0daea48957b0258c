// Package static embeds the dashboard's assets (built CSS, vendored htmx, app.js).
package static

import "embed"

//go:embed css/app.css js img
var FS embed.FS
