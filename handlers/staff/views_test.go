package staff_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
)

func saveView(c *servertest.Client, page, query, name string) *servertest.Response {
	return c.PostForm("/saved-views", url.Values{"page": {page}, "query": {query}, "name": {name}})
}

func TestSavedViewsSaveListDelete(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin, support := env.As("admin"), env.As("support")

	// The list offers to save its current filters.
	r := admin.Get("/luarmor/keys?status=active&q=abc")
	if r.Status != 200 {
		t.Fatalf("keys: %d", r.Status)
	}
	form := r.Doc.Find(`[data-testid="save-view-form"]`)
	if page, _ := form.Find(`input[name="page"]`).Attr("value"); page != "/luarmor/keys" {
		t.Fatalf("save form page = %q", page)
	}
	if q, _ := form.Find(`input[name="query"]`).Attr("value"); q != "?q=abc&status=active" {
		t.Fatalf("save form query = %q", q)
	}
	if !r.Has(`[data-testid="views-menu"]`) || r.Has(`[data-testid="saved-view"]`) {
		t.Fatal("want an empty Views menu")
	}

	// Saved without the page position; back on the list with the view.
	r = saveView(admin, "/luarmor/keys", "?q=abc&status=active&cursor=Zm9v", "Active abc")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/luarmor/keys?q=abc&status=active" {
		t.Fatalf("save: %d %q", r.Status, r.Header.Get("Location"))
	}
	r = admin.Get("/luarmor/keys")
	link := r.Doc.Find(`[data-testid="saved-view"]`)
	if href, _ := link.Attr("href"); link.Length() != 1 || strings.TrimSpace(link.Text()) != "Active abc" || href != "/luarmor/keys?q=abc&status=active" {
		t.Fatalf("views menu: %d links, %q -> %q", link.Length(), link.Text(), href)
	}
	del, _ := r.Doc.Find(`[data-testid="delete-view"]`).Attr("href")
	// Views are per page: another list does not show it.
	if r := admin.Get("/accounts"); r.Has(`[data-testid="saved-view"]`) {
		t.Error("a view of the keys list shows on the accounts list")
	}

	// The same name on the same list, in another case, is refused with a message.
	r = saveView(admin, "/luarmor/keys", "status=reset", "ACTIVE ABC")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="save-view-page"]`), "already have a view named “ACTIVE ABC”") {
		t.Fatalf("duplicate: %d %q", r.Status, r.Text(`[data-testid="save-view-page"]`))
	}
	if v, _ := r.Doc.Find(`[data-testid="save-view-page"] input[name="query"]`).Attr("value"); v != "status=reset" {
		t.Errorf("the refused form lost its filters: %q", v)
	}
	// Another staff user may use the same name: views are personal.
	if r := saveView(support, "/luarmor/keys", "status=reset", "Active abc"); r.Status != http.StatusSeeOther {
		t.Fatalf("support's own view: %d", r.Status)
	}

	// Another staff user neither sees nor deletes it.
	r = support.Get("/luarmor/keys")
	if n := r.Doc.Find(`[data-testid="saved-view"]`).Length(); n != 1 {
		t.Fatalf("support sees %d views, want their own one", n)
	}
	if r := support.Get(del); r.Status != http.StatusNotFound {
		t.Errorf("GET another's delete form: %d", r.Status)
	}
	action := strings.TrimSuffix(del, "/delete") + "/delete"
	if r := support.PostForm(action, nil); r.Status != http.StatusNotFound {
		t.Errorf("POST another's delete: %d", r.Status)
	}

	// The owner confirms, then deletes.
	r = admin.Get(del)
	if r.Status != 200 || !strings.Contains(r.Text("main"), "Active abc") || !r.Has(`[data-testid="delete-view-form"] input[name="csrf"]`) {
		t.Fatalf("confirm: %d", r.Status)
	}
	if r := admin.Do("POST", action, strings.NewReader(""), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Csrf-Token": {""}}); r.Status != http.StatusForbidden {
		t.Errorf("delete without CSRF token: %d", r.Status)
	}
	r = admin.PostForm(action, nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/luarmor/keys" {
		t.Fatalf("delete: %d %q", r.Status, r.Header.Get("Location"))
	}
	if r := admin.Get("/luarmor/keys"); r.Has(`[data-testid="saved-view"]`) {
		t.Error("deleted view still listed")
	}
	if r := admin.PostForm(action, nil); r.Status != http.StatusNotFound {
		t.Errorf("second delete: %d", r.Status)
	}
	if r := admin.Get("/saved-views/abc/delete"); r.Status != http.StatusNotFound {
		t.Errorf("malformed id: %d", r.Status)
	}
}

func TestSavedViewsRefuseHostileInput(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := env.As("viewer") // read-only staff keep views too
	for _, tc := range []struct {
		name, page, query, vname string
		want                     int
		msg                      string
	}{
		{"empty name", "/accounts", "", "  ", 422, "Give the view a name."},
		{"long name", "/accounts", "", strings.Repeat("x", 61), 422, "at most 60 characters"},
		{"60 letters of 2 bytes", "/accounts", "", strings.Repeat("é", 60), 303, ""},
		{"other host", "//evil.test/x", "", "a", 422, "cannot have saved views"},
		{"backslash host", "/\\evil.test", "", "b", 422, "cannot have saved views"},
		{"scheme", "javascript:alert(1)", "", "c", 422, "cannot have saved views"},
		{"no page", "", "", "d", 422, "cannot have saved views"},
		{"bad query", "/accounts", "%zz", "e", 422, "too long to save"},
		{"huge query", "/accounts", "q=" + strings.Repeat("z", 3000), "f", 422, "too long to save"},
		{"markup name", "/accounts", "q=%3Cb%3E", "<script>alert(1)</script>", 303, ""},
	} {
		r := saveView(admin, tc.page, tc.query, tc.vname)
		if r.Status != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, r.Status, tc.want)
			continue
		}
		if tc.msg != "" && !strings.Contains(r.Text(`[data-testid="save-view-page"]`), tc.msg) {
			t.Errorf("%s: message %q, want %q", tc.name, r.Text(`[data-testid="save-view-page"]`), tc.msg)
		}
	}
	// A refused query is not sent back, and Cancel still leads to the list.
	r := saveView(admin, "/accounts", "q="+strings.Repeat("z", 3000), "long")
	if href, _ := r.Doc.Find(`[data-testid="save-view-page"] a.btn`).Attr("href"); href != "/accounts" {
		t.Errorf("cancel after a refused query -> %q", href)
	}
	r = admin.Get("/accounts")
	if r.Text(`[data-testid="saved-view"]:contains("script")`) != "<script>alert(1)</script>" {
		t.Errorf("markup name not shown as text: %q", r.Doc.Find(`[data-testid="views-menu"]`).Text())
	}
	// NUL and invalid UTF-8 stop at the input guard.
	for _, body := range []string{"name=a%00b&page=/accounts", "name=%FF%FE&page=/accounts"} {
		r := admin.Do("POST", "/saved-views", strings.NewReader(body+"&csrf="+admin.CSRF),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", body, r.Status)
		}
	}
}
