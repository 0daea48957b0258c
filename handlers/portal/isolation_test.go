package portal_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"lumdesk/handlers/server/servertest"
	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/demo"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/ranking"
	"lumdesk/internal/ranking/roblox"
)

// Tenant isolation, walked: the owner of a demo account with data in every
// product crawls the whole portal, collecting every link and form that
// names an object (a path with an id); then the owner of another account
// requests each of them and must get 404, exactly as for an id that does
// not exist. Any portal page added later is walked too.
func TestAnotherAccountsObjectsAreNotFound(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, env.DemoDeps()); err != nil {
		t.Fatal(err)
	}
	acc, err := env.Accounts.GetByEmail(ctx, demo.PortalAccountEmail)
	if err != nil {
		t.Fatal(err)
	}
	// The demo has no Lumio extensions yet: give A one with a secret.
	ext, err := env.Marketplace.CreateExtension(ctx, audit.CLI("test"), accounts.Only(acc.ID), marketplace.ExtensionInput{Name: "Isolation Scoreboard"})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Marketplace.SetSecret(ctx, audit.CLI("test"), accounts.Only(acc.ID), ext.ID, "API_KEY", "isolation"); err != nil {
		t.Fatal(err)
	}
	// Nor Lumira groups: give A a sandbox group with a member it promoted
	// (the log and the members seen link to the member's page).
	grp, err := env.Ranking.AddGroup(ctx, audit.CLI("test"), accounts.Only(acc.ID), ranking.GroupInput{RobloxGroupID: 4711, Name: "Isolation Sandbox"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Ranking.Promote(ctx, audit.CLI("test"), accounts.Only(acc.ID), grp.ID, roblox.DemoMembers[0].UserID, "isolation"); err != nil {
		t.Fatal(err)
	}
	a := env.AsCustomer(acc.ID, customers.RoleOwner)
	b := env.AsCustomer(env.CreateAccount("Intruder").ID, customers.RoleOwner)

	routes := portalRoutes(env.Handlers.Table())
	type target struct {
		method, path string
		form         url.Values // the form's own fields, as A's page filled them
	}
	seen := map[string]bool{}
	var targets []target
	queue := []string{"/portal"}
	for len(queue) > 0 && len(seen) < 400 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		r := a.Get(p)
		if r.Status != http.StatusOK {
			continue
		}
		r.Doc.Find(`a[href^="/portal"], [data-href^="/portal"]`).Each(func(_ int, s *goquery.Selection) {
			href, ok := s.Attr("href")
			if !ok {
				href, _ = s.Attr("data-href")
			}
			u, err := url.Parse(href)
			if err != nil || skipWalk(u.Path) {
				return
			}
			if !seen[u.Path] {
				queue = append(queue, u.Path)
			}
		})
		r.Doc.Find(`form[action^="/portal"]`).Each(func(_ int, s *goquery.Selection) {
			action, _ := s.Attr("action")
			method := strings.ToUpper(s.AttrOr("method", "GET"))
			if u, err := url.Parse(action); err == nil && !skipWalk(u.Path) && method == http.MethodPost {
				targets = append(targets, target{method, u.Path, formValues(s)})
			}
		})
	}
	for p := range seen {
		targets = append(targets, target{http.MethodGet, p, nil})
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].method+targets[i].path < targets[j].method+targets[j].path })
	checked := map[string]bool{}
	for _, tg := range targets {
		if !routes.namesObject(tg.method, tg.path) || checked[tg.method+tg.path] {
			continue
		}
		checked[tg.method+tg.path] = true
		var r *servertest.Response
		if tg.method == http.MethodGet {
			r = b.Get(tg.path)
		} else {
			r = b.PostForm(tg.path, tg.form)
		}
		if r.Status != http.StatusNotFound {
			t.Errorf("%s %s (account A's) as account B: %d, want 404", tg.method, tg.path, r.Status)
		}
	}
	t.Logf("walked %d pages; %d requests name one of account A's objects", len(seen), len(checked))
	for _, p := range []string{"GET/portal/lumira/groups/" + grp.ID, "POST/portal/lumira/groups/" + grp.ID + "/ladder",
		fmt.Sprintf("POST/portal/lumira/groups/%s/members/%d/promote", grp.ID, roblox.DemoMembers[0].UserID)} {
		if !checked[p] {
			t.Errorf("the walk did not reach %s", p)
		}
	}
	if len(checked) < 5 {
		t.Fatalf("only %d object URLs found: the walk reached too little of the portal", len(checked))
	}
}

// formValues are a form's fields as its page filled them (checked boxes
// and radios, each select's chosen or first option), without its CSRF
// token (the client adds its own); a required empty text gets a value.
func formValues(f *goquery.Selection) url.Values {
	v := url.Values{}
	f.Find("input[name], textarea[name], select[name]").Each(func(_ int, in *goquery.Selection) {
		name := in.AttrOr("name", "")
		if name == "csrf" {
			return
		}
		switch {
		case goquery.NodeName(in) == "select":
			opt := in.Find("option[selected]").First()
			if opt.Length() == 0 {
				opt = in.Find("option").First()
			}
			v.Add(name, opt.AttrOr("value", opt.Text()))
		case in.AttrOr("type", "") == "checkbox" || in.AttrOr("type", "") == "radio":
			if _, on := in.Attr("checked"); on {
				v.Add(name, in.AttrOr("value", "on"))
			}
		default:
			val := in.AttrOr("value", in.Text())
			if _, req := in.Attr("required"); req && val == "" {
				val = "isolation walk " + name
			}
			v.Add(name, val)
		}
	})
	return v
}

func skipWalk(p string) bool {
	return p == "/portal/logout" || strings.HasPrefix(p, customers.InvitePath) || strings.HasPrefix(p, customers.ResetPath) ||
		strings.HasSuffix(p, ".csv")
}

type routeKind struct {
	method string
	re     *regexp.Regexp
}

type portalRouteSet struct {
	static map[string]bool
	params []routeKind
}

var param = regexp.MustCompile(`:[A-Za-z_]+(<[a-z]+>)?`)

// portalRoutes are the portal's routes that take a path parameter (an
// object), and its routes without one.
func portalRoutes(table []web.Route) portalRouteSet {
	out := portalRouteSet{static: map[string]bool{}}
	for _, r := range table {
		if r.Portal == "" || r.Portal == customers.PermPublic {
			continue
		}
		if !strings.Contains(r.Path, ":") {
			out.static[r.Method+" "+r.Path] = true
			continue
		}
		out.params = append(out.params, routeKind{r.Method, regexp.MustCompile("^" + param.ReplaceAllString(regexp.QuoteMeta(r.Path), `[^/]+`) + "$")})
	}
	return out
}

// namesObject reports whether method+path is served by a portal route with
// a parameter (a static route such as /apps/new wins, as in the router).
func (s portalRouteSet) namesObject(method, path string) bool {
	if s.static[method+" "+path] {
		return false
	}
	for _, r := range s.params {
		if r.method == method && r.re.MatchString(path) {
			return true
		}
	}
	return false
}
