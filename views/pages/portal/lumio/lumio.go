// Package lumio renders the customer portal's Lumio pages
// (handlers/portal/lumio): the account's extensions with the create form,
// and an extension's page (edit, versions under review, installs, secrets).
// Every link stays under /portal/lumio.
package lumio

import (
	"net/url"
	"strconv"
	"time"

	"github.com/a-h/templ"

	"lumdesk/views/components"
	"lumdesk/views/pages/portal"
)

// Paths of the area.
const (
	Path           = "/portal/lumio"
	Nav            = "marketplace"
	ExtensionsPath = Path + "/extensions"
	// NewKeyHref opens the API key form with Lumio chosen.
	NewKeyHref = portal.APIKeysPath + "/new?product=lumio"
	// DeployDocsHref is where `lumio deploy` is described: the help card
	// of the list page.
	DeployDocsHref = Path + "#deploy"
)

// ExtensionHref is an extension's page.
func ExtensionHref(id string) string { return ExtensionsPath + "/" + url.PathEscape(id) }

// SecretsHref is where an extension's secrets are set.
func SecretsHref(id string) string { return ExtensionHref(id) + "/secrets" }

// SecretDeleteHref confirms (GET) and deletes (POST) one secret.
func SecretDeleteHref(id, name string) string {
	return SecretsHref(id) + "/" + url.PathEscape(name) + "/delete"
}

// ExtensionRow is an extension in the list.
type ExtensionRow struct {
	ID, Name, Slug, ShortDescription string
	Status, Visibility               string
	Installs                         string
	CurrentVersion                   string // "1.2.0", "" before the first approval
	Updated                          time.Time
}

// PricingForm is the pricing fields of the create and edit forms.
type PricingForm struct {
	Type     string // free, one_time, subscription
	Amount   string // "4.99"
	Interval string // month, year
}

// CreateForm is the create-extension form.
type CreateForm struct {
	Name, ShortDescription string
	Pricing                PricingForm
	Errors                 map[string]string
	FormError              string
}

// ExtensionList is /portal/lumio.
type ExtensionList struct {
	Rows       []ExtensionRow
	NextHref   string
	FirstHref  string
	Error      string // a bad page link
	CanDevelop bool
	CSRF       string
	Create     CreateForm
}

// VersionRow is a submitted version.
type VersionRow struct {
	ID, Version, Status, Changelog string
	RejectionReason                string
	Rollout                        string // "100%" for approved versions
	Size                           string
	Files                          string
	Submitted                      time.Time
	Reviewed                       *time.Time
	Current                        bool
}

// VersionInstalls is one version's active installs over the chart's days.
type VersionInstalls struct {
	ID, Version string
	Active      string // on the last day
	Daily       []int64
}

// SecretRow is a secret's name (its value is never shown).
type SecretRow struct {
	Name, SetBy string
	Updated     time.Time
}

// EditForm is the edit form of an extension.
type EditForm struct {
	Name, ShortDescription, Description string
	Pricing                             PricingForm
	Visibility                          string
	Errors                              map[string]string
	FormError                           string
}

// SecretForm is the set-secret form (the value is never rendered back).
type SecretForm struct {
	Name      string
	Errors    map[string]string
	FormError string
}

// VersionForm submits a version from the page (the API's POST .../versions).
type VersionForm struct {
	Version, Changelog string
	Errors             map[string]string
	FormError          string
}

// ExtensionPage is one extension.
type ExtensionPage struct {
	ID, Name, Slug, ShortDescription string
	Description                      templ.Component // sanitised Markdown
	Status, Visibility, Pricing      string
	CurrentVersion                   string
	Created, Updated                 time.Time

	Versions []VersionRow

	Installs      string // ever
	Active        string // now
	Chart         []components.ChartPoint
	ByVersion     []VersionInstalls
	InstallsError string
	ChartDays     int

	Secrets       []SecretRow
	ConfirmDelete string // the secret whose deletion is being confirmed

	CanDevelop bool
	CSRF       string
	Edit       EditForm
	Secret     SecretForm
	Submit     VersionForm
	// MaxBundle is the largest bundle the page's form takes (the request
	// body limit); larger ones go through the API, as lumio deploy sends
	// them. MaxBundleText is it in words.
	MaxBundle     int64
	MaxBundleText string

	// EverPublic: the extension was listed publicly once, so it cannot be
	// deleted (the API's rule); DeleteError is a refused delete's reason.
	EverPublic  bool
	DeleteError string
}

// VersionsHref is where the page's form submits a version.
func (p ExtensionPage) VersionsHref() string { return ExtensionHref(p.ID) + "/versions" }

// DeleteHref deletes the extension.
func (p ExtensionPage) DeleteHref() string { return ExtensionHref(p.ID) + "/delete" }

// PricingTypes are the pricing choices.
func PricingTypes() []components.Option {
	return []components.Option{{Value: "free", Label: "Free"}, {Value: "one_time", Label: "One-time purchase"},
		{Value: "subscription", Label: "Subscription"}}
}

// Intervals are a subscription's billing intervals.
func Intervals() []components.Option {
	return []components.Option{{Value: "", Label: "—"}, {Value: "month", Label: "Monthly"}, {Value: "year", Label: "Yearly"}}
}

// Visibilities are the visibility choices.
func Visibilities() []components.Option {
	return []components.Option{{Value: "private", Label: "Private: only you"}, {Value: "unlisted", Label: "Unlisted: anyone with the link"},
		{Value: "public", Label: "Public: listed in the marketplace"}}
}

func statusTone(s string) string {
	switch s {
	case "approved":
		return "green"
	case "pending":
		return "amber"
	case "rejected", "suspended":
		return "red"
	}
	return "gray"
}

func itoa(n int) string { return strconv.Itoa(n) }

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
