// The browser harness: start() runs the app and a Chromium tab, collects
// console errors and CSP violations, and the helpers below drive pages.
package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"lumdesk/handlers/server/servertest"
	"lumdesk/views/components"
)

// testTimeout bounds one test function (app, browser and every step).
const testTimeout = 90 * time.Second

// browsers are looked up in this order (the same names as scripts/ensure-chromium.sh).
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

func findChromium() (string, error) {
	for _, n := range browserNames {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	return "", errors.New("Chromium not installed: run scripts/ensure-chromium.sh (make test does this)")
}

// The tests share one Chromium process: starting one took about two
// seconds a test. Each test still gets a browser of its own to the page: a
// fresh browser context (Chromium's incognito profile: its own cookies,
// storage and cache), closed when the test ends.
var browser struct {
	once   sync.Once
	ctx    context.Context // holds the browser; tests open contexts under it
	cancel context.CancelFunc
	dir    string // the profile directory
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopBrowser()
	os.Exit(code)
}

// sharedBrowser starts Chromium the first time a test asks for it.
func sharedBrowser(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(func() {
		exe, err := findChromium()
		if err != nil {
			browser.err = err
			return
		}
		dir, err := os.MkdirTemp("", "lumdesk-e2e-chromium-")
		if err != nil {
			browser.err = err
			return
		}
		browser.dir = dir
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(exe),
			chromedp.Headless,
			chromedp.NoSandbox, // the tests run as root
			chromedp.DisableGPU,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.NoFirstRun,
			chromedp.Flag("disable-quic", true),
			chromedp.UserDataDir(dir),
			chromedp.WindowSize(1280, 900),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelBrowser := chromedp.NewContext(allocCtx)
		browser.ctx = ctx
		browser.cancel = func() { cancelBrowser(); cancelAlloc() }
		// The browser lives as long as the context of its first run.
		if err := chromedp.Do(ctx); err != nil {
			browser.err = fmt.Errorf("start chromium (%s): %w", exe, err)
		}
	})
	if browser.err != nil {
		t.Fatal(browser.err)
	}
	return browser.ctx
}

func stopBrowser() {
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dir != "" {
		_ = os.RemoveAll(browser.dir)
	}
}

// cspProbe runs before any page script (CDP-injected scripts are exempt from
// the CSP) and turns every CSP violation into a console error the harness sees,
// with the directive and the blocked thing named.
const cspProbe = `document.addEventListener('securitypolicyviolation', function (e) {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
    ' at ' + e.sourceFile + ':' + e.lineNumber + ' sample=' + JSON.stringify(e.sample || ''));
});`

// B is one browser tab on one running app.
type B struct {
	t   *testing.T
	Env *servertest.Env
	ctx context.Context

	// The emulated viewport; screenshots grow its height to the page's.
	width, height int64
	mobile        bool

	mu       sync.Mutex
	problems []string         // console errors, exceptions, CSP violations
	allowed  []*regexp.Regexp // problems a test expects (e.g. a deliberate 403)
}

// start runs the app on a fresh database and opens a browser on it (a new
// browser context in the shared Chromium).
func start(t *testing.T) *B {
	t.Helper()
	return startFor(t, testTimeout)
}

// crawlTimeout bounds the tests that open every page at three widths
// (hundreds of page loads after seeding the demo data): still a bound, so a
// hung page fails the test, but one the crawl fits in on a loaded 2-core
// machine, beside another browser test and the race-detector run.
const crawlTimeout = 10 * time.Minute

// parallelTests are the tests startFor has made parallel.
var parallelTests sync.Map

// startFor is start with another bound for the whole test; opts change
// the app's configuration (say, where Lumira may post to Discord).
func startFor(t *testing.T, timeout time.Duration, configure ...servertest.Option) *B {
	t.Helper()
	// Each test has its own app, database and browser context, and much of
	// a test's time is waiting (for Chromium, the app, Postgres): two run
	// at once (go test's -parallel, GOMAXPROCS by default). So a test that
	// calls start must not use t.Setenv or change package state. (A test
	// may start two apps; t.Parallel panics when called twice.)
	if _, again := parallelTests.LoadOrStore(t, true); !again {
		t.Parallel()
	}
	env := servertest.New(t, configure...)
	// Old shots of this test (say, a failure from an earlier run) would mislead.
	old, _ := filepath.Glob(filepath.Join("screenshots", shotPrefix(t)+"-*.png"))
	for _, f := range old {
		_ = os.Remove(f)
	}

	ctx, cancelTimeout := context.WithTimeout(sharedBrowser(t), timeout)
	b := &B{t: t, Env: env}
	// The console serves no favicon; Chromium asks for one on every page.
	b.allow(`/favicon\.ico\]$`)
	tabCtx, cancelTab := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(b.onEvent))
	b.ctx = tabCtx
	t.Cleanup(func() {
		cancelTab() // closes the tab and its browser context
		cancelTimeout()
	})
	// Registered after the cancels, so it runs before them (cleanups run LIFO).
	t.Cleanup(b.finish)

	if err := chromedp.Do(tabCtx); err != nil { // opens the tab; it lives as long as tabCtx
		t.Fatalf("open a browser tab: %v", err)
	}
	b.viewport(1280, 900, false)
	if _, err := chromedp.Call(tabCtx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe}); err != nil {
		t.Fatalf("install CSP probe: %v", err)
	}
	return b
}

// onEvent runs in the tab's event loop: record, never block, never call CDP.
func (b *B) onEvent(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + strings.SplitN(d.Exception.Description, "\n", 2)[0]
		}
		msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		msg = "console." + string(ev.Type) + ": " + argsText(ev.Args)
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		csp := strings.Contains(e.Text, "Refused to") || strings.Contains(e.Text, "Content Security Policy")
		if e.Level != cdplog.EntryLevelError && !csp {
			return
		}
		msg = "log(" + string(e.Source) + "): " + e.Text
		if e.URL != "" {
			msg += " [" + e.URL + "]"
		}
	default:
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, msg)
	b.mu.Unlock()
}

func argsText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		var s string
		if a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &s) == nil {
			parts = append(parts, s)
		} else if a.Description != "" {
			parts = append(parts, a.Description)
		} else {
			parts = append(parts, string(a.Value))
		}
	}
	return strings.Join(parts, " ")
}

// allow marks console problems matching the regexp as expected for this test.
func (b *B) allow(re string) {
	b.mu.Lock()
	b.allowed = append(b.allowed, regexp.MustCompile(re))
	b.mu.Unlock()
}

// unexpected returns the problems no allow() pattern matches.
func (b *B) unexpected() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
next:
	for _, p := range b.problems {
		for _, re := range b.allowed {
			if re.MatchString(p) {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

// checkConsole fails the test now if the page reported problems so far.
func (b *B) checkConsole(when string) {
	b.t.Helper()
	if p := b.unexpected(); len(p) > 0 {
		b.mu.Lock()
		b.problems = nil // reported here, not again at the end
		b.mu.Unlock()
		b.t.Fatalf("%s: the page reported errors:\n  %s", when, strings.Join(p, "\n  "))
	}
}

func (b *B) finish() {
	if b.t.Failed() {
		b.shot("failure")
	}
	// Let events of the last step arrive.
	_ = chromedp.Do(b.ctx, chromedp.Sleep(100*time.Millisecond))
	if p := b.unexpected(); len(p) > 0 {
		b.t.Errorf("the pages reported errors (JS exceptions, console errors or CSP violations):\n  %s", strings.Join(p, "\n  "))
	}
}

// stepTimeout bounds one helper call, so a missing element fails fast
// with the step's name rather than at the test's deadline.
const stepTimeout = 15 * time.Second

// do runs steps, failing the test with what on error.
func (b *B) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
}

// run runs one action with a value.
func run[T any](b *B, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
	return v
}

func (b *B) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return loc
}

// path is the current URL's path and query.
func (b *B) path() string {
	b.t.Helper()
	loc := run(b, "location", chromedp.Location())
	return strings.TrimPrefix(loc, b.Env.URL)
}

// open navigates to a path of the app, checks the answer was not an HTTP
// error, and waits for sel to be visible.
func (b *B) open(path, sel string) {
	b.t.Helper()
	resp := run(b, "open "+path, chromedp.NavigateResponse(b.Env.URL+path))
	if resp != nil && resp.Status >= 400 {
		b.t.Fatalf("open %s: HTTP %d", path, resp.Status)
	}
	b.waitVisible(sel)
}

// waitVisible waits for a CSS selector to be visible.
func (b *B) waitVisible(sel string) {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// waitPath waits until the current path (with query) matches re; it survives navigations.
func (b *B) waitPath(re string) string {
	b.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === 'complete' ? location.pathname + location.search : ''`))
		cancel()
		if err == nil && loc != "" && rx.MatchString(loc) {
			return loc
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			b.t.Fatalf("waited for a path matching %s; at %s", re, b.location())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fill clears the field named name (inside scope, a CSS prefix such as
// `[data-testid=x] `) and types value.
func (b *B) fill(scope, name, value string) {
	b.t.Helper()
	css := fmt.Sprintf(`%s[name=%q]`, scope, name)
	sel := chromedp.CSS(css)
	js, _ := json.Marshal(css)
	clear := chromedp.Evaluate[chromedp.Void](`document.querySelector(` + string(js) + `).value = ''`)
	b.do("fill "+name, chromedp.WaitVisible(sel), clear, chromedp.SendKeys(sel, value))
}

// click clicks the first visible element matching sel. Chromium clicks at a
// point, the element's centre as measured just before: first it waits (a
// second at most) until that box has held still for two polls with nothing
// laid over its centre, so that a row moved by an arriving count, or a toast
// on top of a link, does not take the click.
func (b *B) click(sel string) {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	js, _ := json.Marshal(sel)
	if under := eval[string](b, fmt.Sprintf(clickable, js)); under != "" {
		b.t.Logf("click %s: it moved, or lay under another element, for a second: %s", sel, under)
	}
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// clickable resolves "" once the element (%s, a JSON string) is still and
// on top at its centre, else, after about a second, what lies there.
const clickable = `new Promise(function (done) {
  var el = document.querySelector(%s), last = '', still = 0, tries = 0, hitDesc = '';
  if (el) el.scrollIntoView({block: 'center', inline: 'center'}); // as chromedp.Click scrolls
  (function poll() {
    if (!el) return done('nothing matches');
    if (++tries > 60) return done(hitDesc);
    var r = el.getBoundingClientRect(), at = [r.x, r.y, r.width, r.height].join();
    var hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    var onTop = hit && (el.contains(hit) || hit.contains(el));
    hitDesc = at + ' ' + (hit ? hit.outerHTML.slice(0, 200) : 'null');
    still = at === last && onTop ? still + 1 : 0;
    last = at;
    if (still >= 2) return done('');
    setTimeout(poll, 16);
  })();
})`

// text is the visible text of the first element matching sel.
func (b *B) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel))))
}

// eval evaluates a JS expression (awaiting promises) into T.
func eval[T any](b *B, js string) T {
	b.t.Helper()
	return run(b, "evaluate "+js, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// html is the serialized DOM of the current page.
func (b *B) html() string {
	b.t.Helper()
	return eval[string](b, `document.documentElement.outerHTML`)
}

// exists reports whether sel matches anything right now (no waiting).
func (b *B) exists(sel string) bool {
	b.t.Helper()
	js, _ := json.Marshal(sel)
	return eval[bool](b, "document.querySelector("+string(js)+") !== null")
}

// viewport sets the emulated screen (mobile: a phone's touch viewport).
func (b *B) viewport(w, h int64, mobile bool) {
	b.t.Helper()
	b.width, b.height, b.mobile = w, h, mobile
	b.do("set viewport", emulate(w, h, mobile))
}

func emulate(w, h int64, mobile bool) chromedp.Action[chromedp.Void] {
	if mobile {
		return chromedp.EmulateViewport(w, h, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(1))
	}
	return chromedp.EmulateViewport(w, h)
}

// shot saves a full-page PNG as screenshots/<Test>-<name>.png. It makes the
// viewport as tall as the page for the capture (so fixed sidebars and 100vh
// layouts render as a person would see them scrolled), then restores it.
func (b *B) shot(name string) string {
	dir := "screenshots"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Errorf("screenshot dir: %v", err)
		return ""
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	h, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)`))
	if err != nil || h < b.height {
		h = b.height
	}
	h = min(h, 8000)
	var buf []byte
	err = nil // a page whose height could not be read is shot at the viewport's
	if h != b.height {
		// Two animation frames: the resize is laid out and painted (and
		// resize listeners ran) before the capture.
		err = chromedp.Do(ctx, emulate(b.width, h, b.mobile),
			chromedp.Evaluate[chromedp.Void](`new Promise(function (r) { requestAnimationFrame(function () { requestAnimationFrame(r); }); })`, chromedp.EvalAwaitPromise))
	}
	if err == nil {
		buf, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
	}
	if h != b.height {
		if rerr := chromedp.Do(ctx, emulate(b.width, b.height, b.mobile)); err == nil {
			err = rerr
		}
	}
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	file := filepath.Join(dir, shotPrefix(b.t)+"-"+name+".png")
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
	}
	return file
}

// screenshot is shot for the flows (the name the brief uses).
func (b *B) screenshot(name string) { b.t.Helper(); b.shot(name) }

// signIn goes through the real sign-in form, and the TOTP step when
// totpSecret is set, and waits for the signed-in console.
func (b *B) signIn(email, password, totpSecret string) {
	b.t.Helper()
	b.open("/login", `[data-testid="login-form"]`)
	b.fill(`[data-testid="login-form"] `, "email", email)
	b.fill(`[data-testid="login-form"] `, "password", password)
	b.click(`[data-testid="login-submit"]`)
	if totpSecret != "" {
		b.waitVisible(`[data-testid="totp-form"]`)
		code, err := totp.GenerateCode(totpSecret, time.Now())
		if err != nil {
			b.t.Fatal(err)
		}
		b.fill(`[data-testid="totp-form"] `, "code", code)
		b.click(`[data-testid="totp-submit"]`)
	}
	b.waitVisible(`#sidebar`)
}

// staff creates a staff user with role and signs the browser in as them.
func (b *B) staff(role string) (email string) {
	b.t.Helper()
	email = role + "@e2e.test"
	_, secret := b.Env.CreateStaff(email, role)
	b.signIn(email, servertest.Password, secret)
	return email
}

// keys presses keys with modifiers on the focused element.
func (b *B) keys(keys string, mods ...chromedp.Modifier) {
	b.t.Helper()
	b.do("press "+keys, chromedp.KeyEvent(keys, chromedp.KeyModifiers(mods...)))
}

// takeProblems returns and forgets what the page reported so far.
func (b *B) takeProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

func shotPrefix(t *testing.T) string { return strings.ReplaceAll(t.Name(), "/", "_") }

// mojibake is UTF-8 read as Latin-1 ("…", bytes E2 80 A6, shown as
// "â\u0080¦"): what a non-ASCII HX-Trigger header turns into, because the
// browser decodes header values as Latin-1. The second form is the same
// read as Windows-1252 ("â€¦").
var mojibake = regexp.MustCompile(`[\x{C2}-\x{F4}][\x{80}-\x{BF}]|â€`)

// toast waits for a toast whose text matches re and returns its text; it
// fails on a garbled toast.
func (b *B) toast(re string) string {
	b.t.Helper()
	rx := regexp.MustCompile(re)
	var texts []string
	for deadline := time.Now().Add(stepTimeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		texts = eval[[]string](b, `Array.from(document.querySelectorAll('[data-toast]')).map(e => e.textContent.trim())`)
		for _, txt := range texts {
			if mojibake.MatchString(txt) {
				b.t.Errorf("toast text is garbled (UTF-8 read as Latin-1; escape non-ASCII in HX-Trigger): %q", txt)
				return txt
			}
			if rx.MatchString(txt) {
				b.toastIcons()
				return txt
			}
		}
	}
	b.t.Fatalf("no toast matching %s; toasts: %q", re, texts)
	return ""
}

// toastIcons fails the test unless each icon of the page's toasts (drawn by
// the server, or by app.js for an htmx answer) refers into the sprite by a
// name it holds.
func (b *B) toastIcons() {
	b.t.Helper()
	hrefs := eval[[]string](b, `Array.from(document.querySelectorAll('[data-toast] svg')).map(function (s) {
		var u = s.querySelector('use');
		return u ? u.getAttribute('href') : '(no use)';
	})`)
	for _, href := range hrefs {
		sprite, name, _ := strings.Cut(href, "#")
		if sprite != components.IconSprite() || !components.HasIcon(name) {
			b.t.Errorf("toast icon %q is not one of %s's symbols", href, components.IconSprite())
		}
	}
}

// waitText waits until the text of the first element matching sel matches
// re (for content htmx swaps in), and returns it.
func (b *B) waitText(sel, re string) string {
	b.t.Helper()
	rx := regexp.MustCompile(re)
	js, _ := json.Marshal(sel)
	var txt string
	for deadline := time.Now().Add(stepTimeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		txt = eval[string](b, `(function () { var e = document.querySelector(`+string(js)+`); return e ? e.innerText : ''; })()`)
		if rx.MatchString(txt) {
			return txt
		}
	}
	b.t.Fatalf("waited for %s to match %s; its text: %q", sel, re, txt)
	return ""
}
