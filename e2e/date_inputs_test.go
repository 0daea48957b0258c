package e2e

import (
	"fmt"
	"testing"
)

// dateFit measures every date input matching sel against its container and
// the viewport: the inputs of a filter bar or panel must not overflow either.
const dateFitJS = `(() => {
  const out = [];
  for (const el of document.querySelectorAll(%q)) {
    const r = el.getBoundingClientRect();
    const box = el.closest(%q).getBoundingClientRect();
    if (r.width === 0) continue; // hidden
    if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.right > window.innerWidth + 0.5 || r.left < -0.5)
      out.push(el.name + ": input " + Math.round(r.left) + ".." + Math.round(r.right) + " outside box " + Math.round(box.left) + ".." + Math.round(box.right) + " (viewport " + window.innerWidth + ")");
    // A date squeezed below its natural width clips "mm/dd/yyyy" inside the
    // box; measure that width on an unconstrained copy.
    const probe = el.cloneNode();
    probe.style.cssText = "position:absolute;visibility:hidden;width:auto;min-width:auto;max-width:none;flex:none";
    document.body.append(probe);
    const need = probe.getBoundingClientRect().width;
    probe.remove();
    if (r.width + 0.5 < need)
      out.push(el.name + ": " + Math.round(r.width) + "px wide, its date needs " + Math.round(need) + "px");
  }
  return out;
})()`

func (b *B) checkDatesFit(page, sel, container, shot string) {
	b.t.Helper()
	if bad := eval[[]string](b, fmt.Sprintf(dateFitJS, sel, container)); len(bad) > 0 {
		b.t.Errorf("%s: date inputs overflow: %v", page, bad)
	}
	if n := eval[int](b, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)); n != 2 {
		b.t.Errorf("%s: %d date inputs, want 2", page, n)
	}
	b.screenshot(shot)
}

// The date filters of the accounts list, the ledger and the license keys
// (inside the Filters popover) fit their bar or panel on a laptop and a phone.
func TestDateInputsFitTheirFilters(t *testing.T) {
	b := start(t)
	b.staff("admin")
	for _, vp := range []struct {
		name   string
		w, h   int64
		mobile bool
	}{{"1024", 1024, 768, false}, {"phone", 390, 844, true}} {
		b.viewport(vp.w, vp.h, vp.mobile)
		b.open("/accounts", `[data-testid="account-filters"]`)
		b.checkDatesFit("accounts", `[data-testid="account-filters"] input[type=date]`, `form`, "accounts-"+vp.name)
		b.open("/lumi/ledger", `input[name=from]`)
		b.checkDatesFit("ledger", `form input[type=date]`, `form`, "ledger-"+vp.name)
		b.open("/luarmor/keys", `[data-testid="more-filters"]`)
		b.click(`[data-testid="more-filters"]`)
		b.waitVisible(`.menu-panel input[name=exp_from]`)
		b.checkDatesFit("license keys", `.menu-panel input[type=date]`, `.menu-panel`, "keys-"+vp.name)
		b.open("/audit", `input[name=from]`)
		b.checkDatesFit("audit", `form input[type=date]`, `form`, "audit-"+vp.name)
	}
}
