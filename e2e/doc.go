// Package e2e drives the real console in headless Chromium (chromedp): the
// app runs in-process over a fresh test database (servertest), one browser
// context (cookies, storage, cache of its own) per test function in one
// Chromium the tests share; start() makes a test parallel, so two run at
// once (go test -parallel). Every page must run clean under the strict CSP: a
// JavaScript exception, a console error or a CSP violation fails the test.
//
// Run: go test -race -count=1 ./e2e/ -v (make test installs Chromium first).
// Screenshots of each flow land in e2e/screenshots/<Test>-<step>.png
// (gitignored), and a <Test>-failure.png when a test fails.
package e2e
