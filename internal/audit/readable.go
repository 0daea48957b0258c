package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/product"
)

// Ref points at one entity: the row of an event, an actor, or a field
// holding another entity's id (account_id). Account is the account the
// event is about, for what the console shows only within its account (a
// ledger entry, a deposit).
type Ref struct{ Type, ID, Account string }

// Value is one side of a readable change, formatted for people. The view
// formats Time (one time format for the console) and turns Ref into the
// entity's name and link.
type Value struct {
	Text  string     // "—" when empty
	Time  *time.Time // set when the value is an instant
	Ref   *Ref       // set when the value is another entity's id
	Empty bool       // nothing recorded (null, "", [] or {})
}

// Readable is one changed field as the pages show it: "Label: old → new".
type Readable struct {
	Field    string // the stored path ("daily_spend_cap"), kept for tests and data attributes
	Label    string // the page's name for it ("Daily spend cap")
	Old, New Value
	Kind     ChangeKind
}

// Readable lists the event's changes with labels and formatted values, in
// the order of Diff (by stored path).
func (e Entry) Readable() []Readable {
	changes := Diff(e.Before, e.After)
	if len(changes) == 0 {
		return nil
	}
	old, cur := map[string]any{}, map[string]any{}
	flattenRaw("", e.Before, old)
	flattenRaw("", e.After, cur)
	out := make([]Readable, len(changes))
	for i, c := range changes {
		r := Readable{Field: c.Field, Label: FieldLabel(e.EntityType, c.Field), Kind: c.Kind}
		if c.Kind != Added {
			r.Old = e.scoped(FormatValue(e.EntityType, c.Field, old[c.Field]))
		}
		if c.Kind != Removed {
			r.New = e.scoped(FormatValue(e.EntityType, c.Field, cur[c.Field]))
		}
		out[i] = r
	}
	return out
}

// scoped ties a reference to the account the event is about.
func (e Entry) scoped(v Value) Value {
	if v.Ref != nil && e.EntityType == EntityAccount {
		r := *v.Ref
		r.Account = e.EntityID
		v.Ref = &r
	}
	return v
}

// flattenRaw is flatten keeping the decoded values instead of their renderings.
func flattenRaw(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			flattenRaw(path, sub, out)
			continue
		}
		out[path] = v
	}
}

var empty = Value{Text: "—", Empty: true}

// centsFields hold money as integer cents (the price catalogue's JSON);
// moneyFields (entities.go) hold decimal dollar strings.
var centsFields = map[string]map[string]bool{
	EntityTLDPrice:  {"register": true, "renew": true, "transfer": true},
	EntityPlanPrice: {"monthly": true},
}

// enumFields hold a code from a fixed set ("active", "sandbox_crypto"),
// shown humanized as the pages' badges show them.
var enumFields = map[string]bool{"status": true, "kind": true, "provider": true, "role": true, "power": true, "type": true}

var enumRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// FormatValue formats one stored value of a field: nothing as "—",
// booleans Yes/No, money as "$1,063.60", instants as times, product ids by
// their registry label, ids of other entities as references, lists joined.
func FormatValue(entityType, field string, v any) Value {
	last := field[strings.LastIndexByte(field, '.')+1:]
	switch x := v.(type) {
	case nil:
		return empty
	case bool:
		if x {
			return Value{Text: "Yes"}
		}
		return Value{Text: "No"}
	case map[string]any:
		if len(x) == 0 {
			return empty
		}
		return Value{Text: leaf(x)}
	case []any:
		if len(x) == 0 {
			return empty
		}
		parts := make([]string, len(x))
		for i, item := range x {
			parts[i] = FormatValue(entityType, field, item).Text
		}
		return Value{Text: strings.Join(parts, ", ")}
	case json.Number:
		if t, ok := refFields[last]; ok {
			return Value{Text: "#" + x.String(), Ref: &Ref{Type: t, ID: x.String()}}
		}
		if centsFields[entityType][last] {
			if c, err := x.Int64(); err == nil {
				return Value{Text: FormatMoney(money.Cents(c))}
			}
		}
		n, err := x.Int64()
		if err != nil {
			return Value{Text: x.String()}
		}
		switch last {
		case "rate_limit_per_minute":
			return Value{Text: thousands(n) + " / minute"}
		case "reset_cooldown_seconds":
			return Value{Text: seconds(n)}
		}
		return Value{Text: thousands(n)}
	case string:
		return formatString(entityType, last, x)
	}
	return Value{Text: leaf(v)}
}

func formatString(entityType, field, s string) Value {
	if strings.TrimSpace(s) == "" {
		return empty
	}
	if moneyFields[field] {
		if c, err := money.Parse(s); err == nil {
			return Value{Text: FormatMoney(c)}
		}
	}
	if t, ok := refFields[field]; ok {
		return Value{Text: "#" + s, Ref: &Ref{Type: t, ID: s}}
	}
	if field == "project_id" {
		return Value{Text: s, Ref: &Ref{Type: EntityLicensingProject, ID: s}}
	}
	if field == "cause" {
		// "deposit/2": what caused a ledger entry, as "type/id".
		if typ, id, ok := strings.Cut(s, "/"); ok && enumRe.MatchString(typ) && id != "" {
			return Value{Text: humanize(typ) + " #" + id}
		}
	}
	if enumFields[field] && enumRe.MatchString(s) {
		return Value{Text: humanize(s)}
	}
	if field == "product" {
		if label := ProductLabel(s); label != "" {
			return Value{Text: label}
		}
	}
	if len(s) >= 20 && s[4] == '-' {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			t = t.UTC()
			return Value{Text: t.Format(time.RFC3339), Time: &t}
		}
	}
	return Value{Text: s}
}

// ProductLabel names a product id for people through the product registry:
// an API key product ("lumi-domains" → "Lumi Domains") or a product area
// key ("billing" → "Lumi"); a Lumi item kind ("vps") by its noun. "" when
// the id is none of these.
func ProductLabel(id string) string {
	if _, ap, ok := product.OfAPIProduct(id); ok {
		return ap.Label
	}
	for _, p := range product.All() {
		if p.Key == id {
			return p.Brand
		}
	}
	switch id {
	case EntityDomain, EntityVPS, EntityProxy:
		n := EntityNoun(id)
		return strings.ToUpper(n[:1]) + n[1:]
	}
	return ""
}

// FormatMoney writes cents as dollars with thousands separators: "$1,063.60", "-$5.00".
func FormatMoney(c money.Cents) string {
	s := c.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if frac == "" {
		frac = "00"
	}
	return sign + "$" + groupDigits(whole) + "." + frac
}

func thousands(n int64) string {
	if n < 0 {
		return "-" + groupDigits(strconv.FormatInt(-n, 10))
	}
	return groupDigits(strconv.FormatInt(n, 10))
}

func groupDigits(s string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// seconds writes a duration the way people say it: "1 day", "1 h 30 min".
func seconds(n int64) string {
	if n == 0 {
		return "None"
	}
	d := time.Duration(n) * time.Second
	var parts []string
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "h"}, {time.Minute, "min"}, {time.Second, "s"}} {
		if k := d / u.d; k > 0 {
			p := strconv.FormatInt(int64(k), 10) + " " + u.name
			if u.name == "day" && k > 1 {
				p += "s"
			}
			parts = append(parts, p)
			d -= k * u.d
		}
	}
	return strings.Join(parts, " ")
}

// humanize turns "ban_expire" into "Ban expire" (the fallback label).
func humanize(s string) string {
	s = strings.TrimSpace(spaced(s))
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func spaced(s string) string { return strings.NewReplacer("_", " ", "-", " ").Replace(s) }

// Name is what a page calls an entity: its label, and for a script the
// public id of its project (its page sits under the project).
type Name struct {
	Label  string
	Parent string
}

// Names maps the entities of a page to their names; an entity that no
// longer exists is absent.
type Names map[Ref]Name

// Get is the entity's name (the account a reference was seen in does not matter).
func (n Names) Get(r Ref) Name { return n[Ref{Type: r.Type, ID: r.ID}] }

// Label is the entity's name, or "" when it is not known.
func (n Names) Label(r Ref) string { return n.Get(r).Label }

// ActorRef is the entity behind the event's actor, when it is one (a staff
// user or an API key).
func (e Entry) ActorRef() (Ref, bool) {
	switch e.ActorKind {
	case KindStaff:
		if e.ActorID != "" {
			return Ref{Type: EntityStaffUser, ID: e.ActorID}, true
		}
	case KindAPIKey:
		if e.ActorID != "" {
			return Ref{Type: EntityAPIKey, ID: e.ActorID}, true
		}
	case KindCustomer:
		if e.ActorID != "" {
			return Ref{Type: EntityCustomerUser, ID: e.ActorID}, true
		}
	}
	return Ref{}, false
}

// Refs lists every entity an entry points at: its own, its actor and the
// references among its changed fields.
func (e Entry) Refs() []Ref {
	var out []Ref
	if e.EntityType != "" && e.EntityID != "" {
		out = append(out, Ref{Type: e.EntityType, ID: e.EntityID})
	}
	if r, ok := e.ActorRef(); ok {
		out = append(out, r)
	}
	for _, c := range e.Readable() {
		for _, v := range []Value{c.Old, c.New} {
			if v.Ref != nil {
				out = append(out, *v.Ref)
			}
		}
	}
	return out
}

// LookupNames finds the names of the entities the entries point at, in one query.
func LookupNames(ctx context.Context, q *store.Queries, entries []Entry) (Names, error) {
	var p store.AuditEntityNamesParams
	seen := map[Ref]bool{}
	for _, e := range entries {
		for _, r := range e.Refs() {
			if seen[r] {
				continue
			}
			seen[r] = true
			addRef(&p, r)
		}
	}
	names := Names{}
	if len(seen) == 0 {
		return names, nil
	}
	rows, err := q.AuditEntityNames(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("audit entity names: %w", err)
	}
	for _, r := range rows {
		names[Ref{Type: r.EntityType, ID: r.EntityID}] = Name{Label: r.Label, Parent: r.Parent}
	}
	return names, nil
}

func addRef(p *store.AuditEntityNamesParams, r Ref) {
	id, err := strconv.ParseInt(r.ID, 10, 64)
	numeric := err == nil
	add := func(ids *[]int64) {
		if numeric {
			*ids = append(*ids, id)
		}
	}
	switch r.Type {
	case EntityAccount:
		add(&p.AccountIds)
	case EntityStaffUser:
		add(&p.StaffIds)
	case EntityCustomerUser:
		add(&p.CustomerUserIds)
	case EntityAPIKey:
		add(&p.ApiKeyIds)
	case EntityLicenseKey:
		add(&p.LicenseKeyIds)
	case EntityBulkJob:
		add(&p.BulkJobIds)
	case EntityDomain:
		add(&p.DomainIds)
	case EntityVPS:
		add(&p.VpsIds)
	case EntityProxy:
		add(&p.ProxyIds)
	case EntityLicensingProject:
		p.ProjectIds = append(p.ProjectIds, r.ID)
	case EntityLicensingScript:
		p.ScriptIds = append(p.ScriptIds, r.ID)
	}
}

// Names finds the names of what the entries point at; see LookupNames.
func (s *Service) Names(ctx context.Context, entries []Entry) (Names, error) {
	return LookupNames(ctx, s.db.Queries, entries)
}
