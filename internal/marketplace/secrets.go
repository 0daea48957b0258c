package marketplace

import (
	"context"
	"regexp"
	"time"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
)

// MaxSecretValue bounds a secret's value in bytes.
const MaxSecretValue = 4096

var secretNameRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)

// SecretName is a secret's name and who set it last; its value never
// leaves the service.
type SecretName struct {
	Name      string    `json:"name"`
	SetBy     string    `json:"set_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// secretContext binds a sealed value to its extension and name, so it
// cannot be moved to another row.
func secretContext(extPublicID, name string) string {
	return "marketplace_secret:" + extPublicID + ":" + name
}

func checkSecretName(name string) error {
	if !secretNameRE.MatchString(name) {
		return ValidationError{"name": "Upper-case letters, digits and underscores, starting with a letter, at most 64 characters."}
	}
	return nil
}

// SetSecret sets (creates or replaces) a secret of the extension. The
// value is sealed under the master key; the history records the name and
// that the value changed, never the value.
func (s *Service) SetSecret(ctx context.Context, actor audit.Actor, scope accounts.Scope, extID, name, value string) (err error) {
	defer wrap(&err, "set secret of %s", extID)
	fe := ValidationError{}
	if err := checkSecretName(name); err != nil {
		fe = err.(ValidationError)
	}
	switch {
	case value == "":
		fe["value"] = "Required."
	case len(value) > MaxSecretValue:
		fe["value"] = "At most 4 KiB."
	case !utf8.ValidString(value):
		fe["value"] = "Must be valid UTF-8 text."
	}
	return s.db.Tx(ctx, func(q *store.Queries) error {
		// Another account's extension is not found before any input is judged.
		e, err := findExtension(ctx, q, scope, extID, true)
		if err != nil {
			return err
		}
		if len(fe) > 0 {
			return fe
		}
		created, err := q.UpsertMarketplaceSecret(ctx, store.UpsertMarketplaceSecretParams{ExtensionID: e.ID, Name: name,
			ValueSealed: s.box.Seal([]byte(value), secretContext(e.PublicID, name)), SetBy: actor.Label, Now: s.clock()})
		if err != nil {
			return err
		}
		ev := audit.Event{Action: "lumio_extension.secret_set", EntityType: audit.EntityLumioExtension, EntityID: e.PublicID,
			After: map[string]any{"secret": name, "value": "changed"}}
		if created {
			ev.After = map[string]any{"secret": name, "value": "set"}
		}
		return audit.Record(ctx, q, actor, ev)
	})
}

// DeleteSecret removes a secret (ErrSecretNotFound when it has none by that name).
func (s *Service) DeleteSecret(ctx context.Context, actor audit.Actor, scope accounts.Scope, extID, name string) (err error) {
	defer wrap(&err, "delete secret of %s", extID)
	return s.db.Tx(ctx, func(q *store.Queries) error {
		e, err := findExtension(ctx, q, scope, extID, true)
		if err != nil {
			return err
		}
		if checkSecretName(name) != nil {
			return ErrSecretNotFound
		}
		n, err := q.DeleteMarketplaceSecret(ctx, store.DeleteMarketplaceSecretParams{ExtensionID: e.ID, Name: name})
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrSecretNotFound
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "lumio_extension.secret_delete", EntityType: audit.EntityLumioExtension,
			EntityID: e.PublicID, Before: map[string]any{"secret": name, "value": "set"}})
	})
}

// ListSecretNames is the extension's secret names, alphabetical.
func (s *Service) ListSecretNames(ctx context.Context, scope accounts.Scope, extID string) (_ []SecretName, err error) {
	defer wrap(&err, "list secrets of %s", extID)
	e, err := findExtension(ctx, s.db.Queries, scope, extID, false)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.ListMarketplaceSecretNames(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	out := make([]SecretName, len(rows))
	for i, r := range rows {
		out[i] = SecretName{Name: r.Name, SetBy: r.SetBy, UpdatedAt: r.UpdatedAt.UTC()}
	}
	return out, nil
}

// OpenSecret is a secret's value, for the extension's runtime (never an
// API answer or a page).
func (s *Service) OpenSecret(ctx context.Context, scope accounts.Scope, extID, name string) (_ string, err error) {
	defer wrap(&err, "open secret of %s", extID)
	e, err := findExtension(ctx, s.db.Queries, scope, extID, false)
	if err != nil {
		return "", err
	}
	sealed, err := s.db.GetMarketplaceSecretSealed(ctx, store.GetMarketplaceSecretSealedParams{ExtensionID: e.ID, Name: name})
	if db.IsNotFound(err) {
		return "", ErrSecretNotFound
	} else if err != nil {
		return "", err
	}
	v, err := s.box.Open(sealed, secretContext(e.PublicID, name))
	if err != nil {
		return "", err
	}
	return string(v), nil
}
