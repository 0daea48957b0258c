package staff

// Saved views live with the staff user rather than in internal/console: a
// view is a personal preference of one staff user (deleted with the user,
// invisible to every other), not a console-wide object like the overview or
// the palette. They are not audited for the same reason: they change what
// one person sees, never the data.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"lumdesk/db/store"
	"lumdesk/internal/platform/apperr"
)

// Limits of a saved view, as the table checks them.
const (
	ViewNameMax    = 60
	ViewQueryMax   = 2000
	ViewsPerPage   = 50
	viewPageMaxLen = 200
)

// ErrViewNotFound is a view that does not exist or is another staff user's:
// the two are the same answer, so views do not leak.
var ErrViewNotFound = apperr.NotFound("saved view not found")

// SavedView is one named set of filters of a console list.
type SavedView struct {
	ID        int64
	Page      string // the list's path, "/accounts"
	Name      string
	Query     string // URL query without the page position
	CreatedAt time.Time
}

// Href is the list with the view's filters.
func (v SavedView) Href() string {
	if v.Query == "" {
		return v.Page
	}
	return v.Page + "?" + v.Query
}

func viewFromRow(r store.SavedView) SavedView {
	return SavedView{ID: r.ID, Page: r.Page, Name: r.Name, Query: r.Query, CreatedAt: r.CreatedAt}
}

// viewPage is a console path: the view's link stays on this site (no
// "//host", no "/\host" that browsers read as another host).
var viewPage = regexp.MustCompile(`^/[A-Za-z0-9/_.-]*$`)

// viewPositionParams are list parameters that say where a page starts, not
// what it shows: a saved view always opens at the first page.
var viewPositionParams = []string{"cursor", "page", "after", "before", "offset"}

// ViewQuery normalises a list's URL query for saving: parsed, without the
// page position, re-encoded in one order. ok is false for a query that is
// not a URL query.
func ViewQuery(raw string) (string, bool) {
	v, err := url.ParseQuery(strings.TrimPrefix(raw, "?"))
	if err != nil {
		return "", false
	}
	for _, k := range viewPositionParams {
		v.Del(k)
	}
	for k, vs := range v {
		if k == "" || vs[0] == "" && len(vs) == 1 {
			v.Del(k)
		}
	}
	return v.Encode(), true
}

// SaveView saves the filters query of the list at page under name for the
// staff user. Field errors: "name" (empty, too long, taken), "query".
func (s *Service) SaveView(ctx context.Context, userID int64, page, name, query string) (SavedView, error) {
	name = strings.TrimSpace(name)
	verr := apperr.FieldErrors{}
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		verr["name"] = "give the view a name"
	case n > ViewNameMax:
		verr["name"] = fmt.Sprintf("a view's name is at most %d characters", ViewNameMax)
	}
	if !viewPage.MatchString(page) || strings.Contains(page, "//") || len(page) > viewPageMaxLen {
		verr["page"] = "this page cannot have saved views"
	}
	q, ok := ViewQuery(query)
	if !ok || len(q) > ViewQueryMax {
		verr["query"] = "these filters are too long to save"
	}
	if len(verr) > 0 {
		return SavedView{}, verr
	}
	var out SavedView
	err := s.db.Tx(ctx, func(tx *store.Queries) error {
		n, err := tx.CountSavedViews(ctx, store.CountSavedViewsParams{StaffUserID: userID, Page: page})
		if err != nil {
			return err
		}
		if n >= ViewsPerPage {
			return apperr.FieldErrors{"name": fmt.Sprintf("you have %d views on this list; delete one first", ViewsPerPage)}
		}
		r, err := tx.InsertSavedView(ctx, store.InsertSavedViewParams{StaffUserID: userID, Page: page, Name: name, Query: q})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.FieldErrors{"name": "you already have a view named “" + name + "” on this list"}
		}
		out = viewFromRow(r)
		return err
	})
	if err != nil {
		var fe apperr.FieldErrors
		if errors.As(err, &fe) {
			return SavedView{}, fe
		}
		return SavedView{}, fmt.Errorf("save view: %w", err)
	}
	return out, nil
}

// Views are the staff user's saved views of the list at page, by name.
func (s *Service) Views(ctx context.Context, userID int64, page string) ([]SavedView, error) {
	rows, err := s.db.ListSavedViews(ctx, store.ListSavedViewsParams{StaffUserID: userID, Page: page})
	if err != nil {
		return nil, fmt.Errorf("list views: %w", err)
	}
	out := make([]SavedView, len(rows))
	for i, r := range rows {
		out[i] = viewFromRow(r)
	}
	return out, nil
}

// View is one of the staff user's views (ErrViewNotFound for another's).
func (s *Service) View(ctx context.Context, userID, id int64) (SavedView, error) {
	r, err := s.db.GetSavedView(ctx, store.GetSavedViewParams{ID: id, StaffUserID: userID})
	if errors.Is(err, pgx.ErrNoRows) {
		return SavedView{}, ErrViewNotFound
	}
	if err != nil {
		return SavedView{}, fmt.Errorf("get view %d: %w", id, err)
	}
	return viewFromRow(r), nil
}

// DeleteView deletes one of the staff user's views (ErrViewNotFound for another's).
func (s *Service) DeleteView(ctx context.Context, userID, id int64) error {
	n, err := s.db.DeleteSavedView(ctx, store.DeleteSavedViewParams{ID: id, StaffUserID: userID})
	if err != nil {
		return fmt.Errorf("delete view %d: %w", id, err)
	}
	if n == 0 {
		return ErrViewNotFound
	}
	return nil
}
