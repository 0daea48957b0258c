package product_test

import (
	"slices"
	"strings"
	"testing"

	"lumdesk/internal/product"
	"lumdesk/internal/staff"
)

// unique fails for the first value that appears twice.
func unique(t *testing.T, what string, values []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, v := range values {
		if v == "" {
			t.Errorf("empty %s", what)
		}
		if seen[v] {
			t.Errorf("%s %q declared twice", what, v)
		}
		seen[v] = true
	}
}

func TestRegistryIsConsistent(t *testing.T) {
	all := product.All()
	if len(all) != 5 {
		t.Fatalf("%d products, want 5", len(all))
	}
	var keys, brands, paths, tabs, navKeys, apiIDs, perms, kinds []string
	for _, p := range all {
		keys = append(keys, p.Key)
		brands = append(brands, p.Brand)
		paths = append(paths, p.Path)
		tabs = append(tabs, p.AccountTab.Tab)
		if p.Status != product.Live && p.Status != product.Coming {
			t.Errorf("%s: status %q", p.Key, p.Status)
		}
		if !strings.HasPrefix(p.Path, "/") || strings.Count(p.Path, "/") != 1 {
			t.Errorf("%s: path %q is not one segment", p.Key, p.Path)
		}
		if p.Icon == "" || p.Hue == "" || p.Tagline == "" || p.AccountTab.Label == "" || p.AccountTab.EmptyTitle == "" {
			t.Errorf("%s: icon, hue, tagline or account tab missing", p.Key)
		}
		if len(p.Nav) == 0 || p.Nav[0].Href != p.Path {
			t.Errorf("%s: the first nav entry must be the area itself (%s)", p.Key, p.Path)
		}
		for _, n := range p.Nav {
			navKeys = append(navKeys, n.Key)
			if !slices.Contains(staff.AllPermissions(), staff.Permission(n.Permission)) {
				t.Errorf("%s: nav %q needs %q, which internal/staff does not know", p.Key, n.Label, n.Permission)
			}
			if !strings.HasPrefix(n.Href, p.Path) {
				t.Errorf("%s: nav %q leads outside its area: %s", p.Key, n.Label, n.Href)
			}
		}
		if len(p.Permissions) == 0 {
			t.Errorf("%s: no permissions", p.Key)
		}
		for _, perm := range p.Permissions {
			perms = append(perms, perm.Name)
			if !strings.HasPrefix(perm.Name, p.Key+".") {
				t.Errorf("%s: permission %q is not named after the area", p.Key, perm.Name)
			}
			if perm.Description == "" || len(perm.Roles) == 0 {
				t.Errorf("%s: permission %q has no description or no role", p.Key, perm.Name)
			}
			for _, r := range perm.Roles {
				if _, ok := staff.ParseRole(r); !ok {
					t.Errorf("%s: permission %q granted to unknown role %q", p.Key, perm.Name, r)
				}
			}
			if !slices.Contains(staff.AllPermissions(), staff.Permission(perm.Name)) {
				t.Errorf("%s: permission %q is held by no role", p.Key, perm.Name)
			}
		}
		if len(p.APIKeys) == 0 {
			t.Errorf("%s: no API key product", p.Key)
		}
		for _, ap := range p.APIKeys {
			apiIDs = append(apiIDs, ap.ID)
			if ap.KeyHeader == "" {
				t.Errorf("%s: API product %q does not say which header carries its key", p.Key, ap.ID)
			}
			if ap.Label == "" || ap.SecretLen < 32 {
				t.Errorf("%s: API product %q has no label or a short secret", p.Key, ap.ID)
			}
			if len(ap.Scopes) == 0 {
				t.Errorf("%s: API product %q has no scopes", p.Key, ap.ID)
			}
			var names []string
			standard := 0
			for _, s := range ap.Scopes {
				names = append(names, s.Name)
				if s.Description == "" {
					t.Errorf("%s: scope %s/%s has no description", p.Key, ap.ID, s.Name)
				}
				if !s.OperatorOnly {
					standard++
				}
			}
			unique(t, ap.ID+" scope", names)
			if standard == 0 {
				t.Errorf("%s: every scope of %q is operator-only", p.Key, ap.ID)
			}
		}
		if len(p.SearchKinds) == 0 {
			t.Errorf("%s: no search kinds", p.Key)
		}
		for _, k := range p.SearchKinds {
			if k.Name == "" || k.Label == "" || k.Icon == "" {
				t.Errorf("%s: search kind %+v lacks a name, label or icon", p.Key, k)
			}
			// Results are shown only to holders of one of the area's own permissions.
			if !slices.ContainsFunc(p.Permissions, func(pm product.Permission) bool { return pm.Name == k.Permission }) {
				t.Errorf("%s: search kind %s needs %q, not a permission of the area", p.Key, k.Name, k.Permission)
			}
			kinds = append(kinds, k.Name)
		}
	}
	unique(t, "key", keys)
	unique(t, "brand", brands)
	unique(t, "path", paths)
	unique(t, "account tab", append(tabs, "overview", "apikeys", "history"))
	unique(t, "nav key", append(navKeys, "overview", "accounts", "apikeys", "audit", "staff", "sessions"))
	unique(t, "API key product", apiIDs)
	unique(t, "permission", perms)
	unique(t, "search kind", append(kinds, "page", "account", "api_key", "staff"))
}

// Every permission internal/staff names for a product (its typed constants
// in route tables) is declared in the registry, and every product
// permission the registry declares is held by a role.
func TestStaffProductPermissionsComeFromTheRegistry(t *testing.T) {
	var declared []staff.Permission
	for _, p := range product.Permissions() {
		declared = append(declared, staff.Permission(p.Name))
	}
	for _, p := range []staff.Permission{staff.PermLicensingView, staff.PermLicensingManage, staff.PermLicensingResetHWID,
		staff.PermLicensingForceReset, staff.PermLicensingBlacklist, staff.PermLicensingDelete, staff.PermBillingView,
		staff.PermBillingCredit, staff.PermBillingApprove, staff.PermProductsManage, staff.PermMarketplaceView,
		staff.PermMarketplaceReview, staff.PermMailView, staff.PermMailManage, staff.PermRankingView, staff.PermRankingManage} {
		if !slices.Contains(declared, p) {
			t.Errorf("staff names %q but no product declares it", p)
		}
	}
	// The roles keep what they held before the registry: a spot check of
	// the grants that differ between roles.
	for _, c := range []struct {
		role staff.Role
		perm staff.Permission
		want bool
	}{
		{staff.RoleSupport, staff.PermLicensingResetHWID, true},
		{staff.RoleSupport, staff.PermLicensingForceReset, false},
		{staff.RoleFinance, staff.PermBillingCredit, true},
		{staff.RoleSupport, staff.PermBillingCredit, false},
		{staff.RoleSupport, staff.PermProductsManage, true},
		{staff.RoleViewer, staff.PermRankingView, true},
		{staff.RoleViewer, staff.PermRankingManage, false},
		{staff.RoleAdmin, staff.PermLicensingDelete, true},
		{staff.RoleFinance, staff.PermLicensingManage, false},
	} {
		if got := c.role.Can(c.perm); got != c.want {
			t.Errorf("%s can %s = %v, want %v", c.role, c.perm, got, c.want)
		}
	}
}

func TestLookups(t *testing.T) {
	p, ap, ok := product.OfAPIProduct(product.APILumiHosting)
	if !ok || p.Key != product.Billing || ap.Label != "Lumi Hosting" || !ap.Money {
		t.Errorf("OfAPIProduct(lumi-hosting) = %s, %+v, %v", p.Key, ap, ok)
	}
	if _, _, ok := product.OfAPIProduct("lumi"); ok {
		t.Error("OfAPIProduct found the unknown id lumi")
	}
	if p, ok := product.ByTab("luarmor"); !ok || p.Key != product.Licensing {
		t.Errorf("ByTab(luarmor) = %s, %v", p.Key, ok)
	}
	if p, ok := product.Get(product.Ranking); !ok || p.Brand != "Lumira" || p.Status != product.Live {
		t.Errorf("Get(ranking) = %+v, %v", p, ok)
	}
	if _, ok := product.Get("Luarmor"); ok {
		t.Error("Get takes functional keys, not brand names")
	}
}

// A page's nav key leads to its product; the view permission is not a change.
func TestForNavAndChangePermissions(t *testing.T) {
	p, ok := product.ForNav("luarmor.keys")
	if !ok || p.Brand != "Luarmor" {
		t.Fatalf("ForNav(luarmor.keys) = %q, %v", p.Brand, ok)
	}
	if _, ok := product.ForNav("accounts"); ok {
		t.Error("accounts is not a product area")
	}
	for _, perm := range p.ChangePermissions() {
		if perm == product.PermLicensingView {
			t.Errorf("the view permission counts as a change")
		}
	}
	if len(p.ChangePermissions()) != len(p.Permissions)-1 {
		t.Errorf("change permissions %v", p.ChangePermissions())
	}
}

// A key's usage line names the header its product's spec gives, with
// "Bearer " only where the spec says so.
func TestKeyUsage(t *testing.T) {
	for _, c := range []struct{ product, want string }{
		{product.APILuarmor, "Authorization: 0a1b…"},
		{product.APILumora, "x-api-key: 0a1b…"},
		{product.APILumira, "Authorization: Bearer 0a1b…"},
		{"nope", "Authorization: 0a1b…"},
	} {
		if got := product.KeyUsage(c.product, "0a1b"); got != c.want {
			t.Errorf("KeyUsage(%s) = %q, want %q", c.product, got, c.want)
		}
	}
}
