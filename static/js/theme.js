/*
 * theme.js — loaded synchronously in <head> (no defer) so the right colour
 * scheme is applied before first paint (no light flash in dark mode).
 *
 * Preference is stored in localStorage('theme') as 'light' | 'dark'; absent
 * means 'system' (follow prefers-color-scheme). <html> gets:
 *   class="dark"            when the effective theme is dark
 *   data-theme-pref="..."   light | dark | system (drives the toggle icon)
 * The toggle button itself is wired in app.js ([data-theme-toggle]).
 */
(function () {
  'use strict';
  var root = document.documentElement;
  var pref = 'system';
  try {
    var stored = window.localStorage.getItem('theme');
    if (stored === 'light' || stored === 'dark') pref = stored;
  } catch (e) {
    /* storage blocked: fall back to system */
  }
  var dark = pref === 'dark' ||
    (pref === 'system' && window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches);
  // A server-forced class (e.g. ?theme=dark in screenshots) wins if no explicit preference is stored.
  if (pref === 'system' && root.hasAttribute('data-theme-force')) {
    dark = root.getAttribute('data-theme-force') === 'dark';
  }
  root.classList.toggle('dark', dark);
  root.setAttribute('data-theme-pref', pref);
})();
