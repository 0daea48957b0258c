package components

func sortState(key, current string) string {
	switch current {
	case key:
		return "asc"
	case "-" + key:
		return "desc"
	default:
		return "none"
	}
}

func sortAria(key, current string) string {
	switch sortState(key, current) {
	case "asc":
		return "ascending"
	case "desc":
		return "descending"
	default:
		return "none"
	}
}

// sortNext is the sort value the header link switches to: asc → desc,
// anything else → asc.
func sortNext(key, current string) string {
	if current == key {
		return "-" + key
	}
	return key
}
