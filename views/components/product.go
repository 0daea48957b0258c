package components

// Product colours: the registry (internal/product) gives each product a hue;
// these turn it into classes. The class names are literals so Tailwind's
// content scan keeps them.

// ProductIconClass is the colour of a product's icon (sidebar, account page).
func ProductIconClass(hue string) string {
	switch hue {
	case "violet":
		return "text-violet-500 dark:text-violet-400"
	case "sky":
		return "text-sky-500 dark:text-sky-400"
	case "emerald":
		return "text-emerald-500 dark:text-emerald-400"
	case "amber":
		return "text-amber-500 dark:text-amber-400"
	case "rose":
		return "text-rose-500 dark:text-rose-400"
	}
	return "text-slate-500 dark:text-slate-400"
}

// ProductChipClass is the colour of a product's name chip (API keys).
func ProductChipClass(hue string) string {
	switch hue {
	case "violet":
		return "bg-violet-50 text-violet-700 ring-violet-600/20 dark:bg-violet-500/10 dark:text-violet-300 dark:ring-violet-500/25"
	case "sky":
		return "bg-sky-50 text-sky-700 ring-sky-600/20 dark:bg-sky-500/10 dark:text-sky-300 dark:ring-sky-500/25"
	case "emerald":
		return "bg-emerald-50 text-emerald-700 ring-emerald-600/20 dark:bg-emerald-500/10 dark:text-emerald-300 dark:ring-emerald-500/25"
	case "amber":
		return "bg-amber-50 text-amber-800 ring-amber-600/25 dark:bg-amber-500/10 dark:text-amber-300 dark:ring-amber-500/25"
	case "rose":
		return "bg-rose-50 text-rose-700 ring-rose-600/20 dark:bg-rose-500/10 dark:text-rose-300 dark:ring-rose-500/25"
	}
	return "badge-grey"
}
