package components

import (
	"net/url"
	"strings"
)

// ListBar is what every list shows between its filter bar and its table:
// how many results, the active filters as removable chips, and the staff
// user's saved views of the list. A list fills it and renders ListHeader.
type ListBar struct {
	// Base is the list's path ("/accounts"); Query its current URL query
	// ("?q=x&sort=name", as the list's Filters.Query() gives it).
	Base, Query string
	// Filters are the filters in force, in the order the bar shows them.
	Filters []ActiveFilter
	// Count is the number of results; nil when the list does not count.
	Count *ResultCount
	// CountFrom, when Count is nil, is the URL the count is fetched from
	// once the rows show (htmx, HX-Target ResultCountID; web.IsCountRequest):
	// a list whose count reads many rows (the keys of a broad search)
	// shows its page without waiting for it.
	CountFrom string
	// Views is the saved views menu; nil hides it.
	Views *SavedViews
}

// ActiveFilter is one filter a list applies: its URL parameter, what the
// filter is called ("Status") and its value as people read it ("Suspended").
type ActiveFilter struct {
	Param, Label, Value string
}

// Filter is the active filter of a parameter whose value is set (none for
// an empty value), for building a list's filters with slices.Concat.
func Filter(param, label, value string) []ActiveFilter {
	if value == "" {
		return nil
	}
	return []ActiveFilter{{Param: param, Label: label, Value: value}}
}

// OptionFilter is Filter for a select's value, shown as its option's label.
func OptionFilter(param, label, value string, opts []Option) []ActiveFilter {
	if value == "" {
		return nil
	}
	return Filter(param, label, OptionLabel(opts, value))
}

// OptionLabel is the label of value among a select's options (value itself
// when it is not one of them), so a chip reads as the filter bar does.
func OptionLabel(opts []Option, value string) string {
	for _, o := range opts {
		if o.Value == value {
			return o.Label
		}
	}
	return value
}

// Plural is n with the noun that agrees with it: "1 key", "1,204 keys".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Thousands(int64(n)) + " " + many
}

// OnPage is a pager's summary when the count is above the table: "1 key
// on this page", "50 keys on this page".
func OnPage(n int, one, many string) string {
	return Plural(n, one, many) + " on this page"
}

// ResultCountID is the element a deferred count replaces, and the
// HX-Target by which a list knows a request asks only for its count.
const ResultCountID = "result-count"

// ResultCount is a list's number of results, exact or "at least" (More).
type ResultCount struct {
	N         int64
	More      bool
	One, Many string // the noun: "key", "keys"
}

// Counted is the count of a list in its noun.
func Counted(n int64, more bool, one, many string) *ResultCount {
	return &ResultCount{N: n, More: more, One: one, Many: many}
}

// Text is "1 key", "1,234 keys" or "10,000+ keys".
func (c ResultCount) Text() string {
	noun := c.Many
	if c.N == 1 && !c.More {
		noun = c.One
	}
	more := ""
	if c.More {
		more = "+"
	}
	return Thousands(c.N) + more + " " + noun
}

// positionParams say where a page starts: removing a filter starts the list
// again from the first page.
var positionParams = []string{"cursor", "page"}

// WithoutFilters is base with query minus the given parameters and the page
// position: the link of a chip (one parameter) or of "Clear all" (all of
// them). Other parameters (sort, page size, columns) are kept.
func WithoutFilters(base, query string, params ...string) string {
	v, err := url.ParseQuery(strings.TrimPrefix(query, "?"))
	if err != nil {
		v = url.Values{}
	}
	for _, p := range append(params, positionParams...) {
		v.Del(p)
	}
	return base + QueryOf(v)
}

// ChipHref is the list without filter f.
func (b ListBar) ChipHref(f ActiveFilter) string { return WithoutFilters(b.Base, b.Query, f.Param) }

// ClearHref is the list without any of its active filters.
func (b ListBar) ClearHref() string {
	params := make([]string, len(b.Filters))
	for i, f := range b.Filters {
		params[i] = f.Param
	}
	return WithoutFilters(b.Base, b.Query, params...)
}

// SavedViews is the Views menu: the staff user's views of this list, and
// the form that saves the current filters as one.
type SavedViews struct {
	CSRF  string
	Page  string // the list's path, the views' page key
	Query string // the current query, saved as is (minus the page position)
	Views []SavedViewLink
}

// SavedViewLink is one saved view in the menu.
type SavedViewLink struct {
	Name, Href, DeleteHref string
}
