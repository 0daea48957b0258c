package templates

import (
	"encoding/json"
	"errors"
	"strings"
)

// MaxPreviewVariables bounds the preview variables typed into a template
// page (they travel in the preview iframe's URL too).
const MaxPreviewVariables = 4000

// ParseID takes a template id from a page's path: only tpl_ ids name a
// template there, since a slug is unique only within one account.
func ParseID(raw string) (string, error) {
	if len(raw) > 100 || !strings.HasPrefix(raw, "tpl_") {
		return "", ErrTemplateNotFound
	}
	return strings.Clone(raw), nil
}

// PreviewVariables parses the variables typed for a preview or a test
// send: "" is none; anything but a JSON object is a message for the page.
func PreviewVariables(raw string) (map[string]any, string) {
	vars := map[string]any{}
	if strings.TrimSpace(raw) == "" {
		return vars, ""
	}
	if len(raw) > MaxPreviewVariables {
		return nil, "The preview variables are too long to preview."
	}
	if err := json.Unmarshal([]byte(raw), &vars); err != nil || vars == nil {
		return nil, "The preview variables must be a JSON object, such as {\"name\": \"Ada\"}."
	}
	return vars, ""
}

// Explain says why a render failed, for a page; "" when the error is not
// the template's or the variables' (then it is the caller's to return).
func Explain(err error) string {
	var missing *MissingVariableError
	var rerr *RenderError
	switch {
	case errors.As(err, &missing):
		return "The variable \"" + missing.Name + "\" is missing (used in the " + string(missing.Part) + "): add it to the preview variables."
	case errors.As(err, &rerr):
		return "The " + string(rerr.Part) + " cannot be rendered: " + rerr.Reason + "."
	}
	return ""
}
