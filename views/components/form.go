package components

import "strconv"

func textareaRows(rows int) string {
	if rows <= 0 {
		rows = 3
	}
	return strconv.Itoa(rows)
}

func alertKind(kind string) string {
	switch kind {
	case "error", "warning", "success":
		return kind
	default:
		return "info"
	}
}

func alertClass(kind string) string {
	switch alertKind(kind) {
	case "error":
		return "alert alert-error"
	case "warning":
		return "alert alert-warning"
	case "success":
		return "alert alert-success"
	default:
		return "alert alert-info"
	}
}

func alertRole(kind string) string {
	if kind == "error" || kind == "warning" {
		return "alert"
	}
	return "status"
}

func alertIcon(kind string) string {
	switch alertKind(kind) {
	case "error":
		return "exclamation-circle"
	case "warning":
		return "exclamation-triangle"
	case "success":
		return "check-circle"
	default:
		return "information-circle"
	}
}
