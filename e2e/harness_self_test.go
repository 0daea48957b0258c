package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The harness must notice what it promises to fail on: a CSP violation
// (inline script, inline style) and an uncaught exception. Without this a
// broken listener would pass every test silently.
func TestHarnessCatchesPageErrors(t *testing.T) {
	b := start(t)
	b.open("/login", `[data-testid="login-form"]`)
	b.do("provoke errors", chromedp.Evaluate[chromedp.Void](`
		var s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.body.appendChild(s);
		document.body.setAttribute('style', 'outline: 1px solid red');
		setTimeout(function () { throw new Error('e2e-boom'); }, 0);
	`))
	// Chromium's own log lines ("Executing inline script violates the following
	// Content Security Policy directive ...") and the probe's events.
	want := map[string]bool{
		"log(security): Executing inline script violates": false,
		"log(security): Applying inline style violates":   false,
		"CSP violation: script-src":                       false,
		"CSP violation: style-src":                        false,
		"exception: Uncaught Error: e2e-boom":             false,
	}
	var got []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		got = append(got, b.takeProblems()...)
		all := true
		for w := range want {
			for _, p := range got {
				if strings.Contains(p, w) {
					want[w] = true
				}
			}
			all = all && want[w]
		}
		if all {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for w, seen := range want {
		if !seen {
			t.Errorf("the harness did not report %q; it saw:\n  %s", w, strings.Join(got, "\n  "))
		}
	}
	if v := eval[bool](b, `window.__inline === 1`); v {
		t.Error("an inline script ran: the CSP is not enforced")
	}
}
