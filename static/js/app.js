/*
 * app.js — all console interactivity. Plain ES2017, no framework, no eval,
 * no inline handlers, no inline styles: safe under
 *   script-src 'self'; style-src 'self'
 * Loaded with `defer` after htmx.min.js. Behaviour is attached through
 * data-attributes (see the contract below) using delegated listeners, so it
 * also works for content swapped in by htmx.
 *
 * Data-attribute contract
 *   [data-theme-toggle]            button: cycles theme light → dark → system
 *   meta[name=csrf-token]          sent as X-CSRF-Token on every htmx request
 *   #toasts                        toast container; `toast` events (HX-Trigger:
 *                                  {"toast":{"message":"..","kind":"success|error|info"}})
 *                                  and [data-toast] elements become toasts (5s, dismissable)
 *   [data-toast-close]             dismisses its toast
 *   dialog[data-autoopen]          showModal() when it appears (page load or htmx swap)
 *   dialog[data-remove-on-close]   removed from the DOM once closed
 *   [data-dialog-close]            closes the closest <dialog>
 *   [data-dialog-open="ID"]        opens dialog#ID (for dialogs rendered with Manual)
 *   dialog[data-backdrop-close]    clicking the backdrop closes it
 *   form[data-dialog-form]         inside a dialog: close the dialog after a successful
 *                                  htmx request whose target is outside the dialog
 *   dialog#palette                 command palette; Cmd/Ctrl+K toggles; arrows + Enter
 *                                  navigate `#palette-results a`
 *   [data-palette-open]            click/focus opens the palette
 *   [data-search-focus]            `/` focuses it (falls back to opening the palette)
 *   tr[data-href]                  row click / Enter / o navigates (ignores clicks on
 *                                  links, buttons, inputs, [data-no-row-click]);
 *                                  Ctrl/Cmd-click opens a new tab; made focusable;
 *                                  j/k move between rows, x toggles the row's
 *                                  input[data-select-row]; Shift-click or
 *                                  Shift+x sets the range from the last box
 *   dialog#shortcuts               `?` opens it (views/layouts/shell.templ)
 *   td.cell-check                  clicking the cell toggles its checkbox
 *   [data-copy="ID"]               copies value/text of #ID; [data-copy-label] child
 *                                  (or the button itself) shows "Copied"
 *   [data-copy-text="V"]           copies V (a table cell's copy icon button)
 *   .truncate, .cell-clip          when cut off, hovering shows the whole text (title)
 *   input[data-select-on-focus]    selects its whole value when focused
 *   [data-kbd-mod]                 "⌘K" hint, rewritten to "Ctrl K" off macOS
 *   nav.tabs                       scrolled to its current tab when too wide;
 *                                  [data-more-before|after] fade the edges
 *   input[data-select-all]         toggles all input[data-select-row] of its form
 *   [data-selected-count]          (in the same form) shows the number selected
 *   [data-requires-selection]      (in the same form) disabled while nothing is selected
 *   [data-select-matching="q"]     shown once a page's boxes are all ticked; sets
 *                                  input[data-match-input] to q (the list's filters)
 *   input[data-confirm-text="X"]   form submit buttons enabled only when value == X
 *   [data-sidebar-toggle]          toggles html.sidebar-open (mobile sidebar)
 *   form[role=search][hx-push-url] its htmx GET leaves out empty fields (clean URLs)
 *   form[data-autosubmit]          submits when a <select> (or checkbox/radio) changes
 *   details[data-menu]             dropdown: closes on outside click / Escape
 *   (htmx history)                 on each pushed/replaced URL, controls' current
 *                                  state is written into their markup, so the
 *                                  snapshot Back restores shows it
 *   select[data-scope-product]     (API key form) shows only the
 *                                  fieldset[data-scope-group] of the chosen product;
 *                                  without JavaScript every group stays visible
 */
(function () {
  'use strict';

  var root = document.documentElement;
  var TOAST_MAX = 3;
  var TOAST_MS = 5000;

  function $(sel, ctx) {
    return (ctx || document).querySelector(sel);
  }
  function $$(sel, ctx) {
    return Array.prototype.slice.call((ctx || document).querySelectorAll(sel));
  }
  // querySelectorAll that also includes the context element itself.
  function within(ctx, sel) {
    var out = [];
    if (!ctx || ctx.nodeType !== 1) ctx = document.body;
    if (ctx.matches && ctx.matches(sel)) out.push(ctx);
    return out.concat($$(sel, ctx));
  }
  function isTyping(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
  }

  /* ------------------------------------------------------------ theme */
  var media = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

  function themePref() {
    try {
      var v = window.localStorage.getItem('theme');
      return v === 'light' || v === 'dark' ? v : 'system';
    } catch (e) {
      return 'system';
    }
  }
  function applyTheme(pref) {
    // data-theme-force on <html> (server-chosen default) stands in for the OS
    // preference while no explicit choice is stored.
    var force = root.getAttribute('data-theme-force');
    var systemDark = force ? force === 'dark' : !!media && media.matches;
    var dark = pref === 'dark' || (pref === 'system' && systemDark);
    root.classList.toggle('dark', dark);
    root.setAttribute('data-theme-pref', pref);
    $$('[data-theme-toggle]').forEach(function (b) {
      var label = 'Theme: ' + pref + ' (click to change)';
      b.setAttribute('title', label);
      b.setAttribute('aria-label', label);
    });
  }
  function cycleTheme() {
    var next = { light: 'dark', dark: 'system', system: 'light' }[themePref()];
    try {
      if (next === 'system') window.localStorage.removeItem('theme');
      else window.localStorage.setItem('theme', next);
    } catch (e) {
      /* ignore */
    }
    applyTheme(next);
  }
  if (media) {
    var onScheme = function () {
      if (themePref() === 'system' && !root.hasAttribute('data-theme-force')) applyTheme('system');
    };
    if (media.addEventListener) media.addEventListener('change', onScheme);
    else if (media.addListener) media.addListener(onScheme);
  }

  /* ------------------------------------------------------------- CSRF */
  function csrfToken() {
    var m = $('meta[name="csrf-token"]');
    return m ? m.getAttribute('content') || '' : '';
  }
  document.addEventListener('htmx:configRequest', function (e) {
    var t = csrfToken();
    if (t && e.detail && e.detail.headers) e.detail.headers['X-CSRF-Token'] = t;
  });

  // A list's filter form (form[role=search] with hx-push-url) leaves out
  // empty fields, so the address bar and shared links read
  // /luarmor/keys?status=banned rather than ?q=&status=banned&project=&…,
  // as the server's own links do. Every list reads an empty parameter as an
  // absent one. A name is dropped only when all its values are empty.
  document.addEventListener('htmx:configRequest', function (e) {
    var d = e.detail;
    var elt = d && d.elt;
    if (!elt || d.verb !== 'get' || !d.formData || elt.tagName !== 'FORM') return;
    if (elt.getAttribute('role') !== 'search' || elt.getAttribute('hx-push-url') !== 'true') return;
    var empty = {};
    d.formData.forEach(function (v, k) {
      if (!(k in empty)) empty[k] = true;
      if (typeof v !== 'string' || v !== '') empty[k] = false;
    });
    Object.keys(empty).forEach(function (k) {
      if (empty[k]) d.formData.delete(k);
    });
  });

  /* ---------------------------------------------------------- history */
  // htmx's history snapshot is the page's markup, which does not hold a
  // control's current state (a chosen <option>, typed text, a ticked box):
  // Back showed the filters as first rendered while the URL and rows showed
  // later ones, and the next change dropped the filter. So whenever htmx
  // puts a new URL in the history, the controls' current state (the state
  // that URL shows) is written into their markup; the snapshot taken when
  // the page moves on then holds it. Not at htmx:beforeHistorySave: by then
  // the control whose change moves on already shows the next state.
  // Passwords and files are left alone (the snapshot is in sessionStorage).
  function freezeControls(ctx) {
    within(ctx, 'input, select, textarea').forEach(function (el) {
      if (el.tagName === 'SELECT') {
        Array.prototype.forEach.call(el.options, function (o) {
          if (o.selected) o.setAttribute('selected', '');
          else o.removeAttribute('selected');
        });
      } else if (el.tagName === 'TEXTAREA') {
        if (el.value !== el.defaultValue) el.textContent = el.value;
      } else if (el.type === 'checkbox' || el.type === 'radio') {
        if (el.checked) el.setAttribute('checked', '');
        else el.removeAttribute('checked');
      } else if (el.type !== 'password' && el.type !== 'file') {
        if (el.value !== (el.getAttribute('value') || '')) el.setAttribute('value', el.value);
      }
    });
  }
  function freezePage() {
    freezeControls(document.body);
  }
  document.addEventListener('htmx:pushedIntoHistory', freezePage);
  document.addEventListener('htmx:replacedInHistory', freezePage);

  /* ----------------------------------------------------------- toasts */
  var SVG_NS = 'http://www.w3.org/2000/svg';
  // Icons come from the page's sprite (components.Icon), by name.
  var TOAST_ICONS = { success: 'check-circle', error: 'exclamation-circle', info: 'information-circle' };
  function svgIcon(name, cls) {
    var sprite = document.querySelector('meta[name="icon-sprite"]');
    var svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('fill', 'none');
    svg.setAttribute('stroke', 'currentColor');
    svg.setAttribute('stroke-width', '1.6');
    svg.setAttribute('stroke-linecap', 'round');
    svg.setAttribute('stroke-linejoin', 'round');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('class', cls);
    var use = document.createElementNS(SVG_NS, 'use');
    use.setAttribute('href', (sprite ? sprite.content : '/static/img/icons.svg') + '#' + name);
    svg.appendChild(use);
    return svg;
  }
  function toastHost() {
    var host = document.getElementById('toasts');
    if (!host) {
      host = document.createElement('div');
      host.id = 'toasts';
      host.className = 'toast-stack';
      host.setAttribute('aria-live', 'polite');
      document.body.appendChild(host);
    }
    return host;
  }
  function dismissToast(el) {
    if (!el || el.classList.contains('is-leaving')) return;
    el.classList.add('is-leaving');
    window.setTimeout(function () {
      if (el.parentNode) el.parentNode.removeChild(el);
    }, 200);
  }
  function armToast(el) {
    if (el.hasAttribute('data-toast-armed')) return;
    el.setAttribute('data-toast-armed', '');
    var host = toastHost();
    if (el.parentNode !== host) host.appendChild(el);
    // A burst of actions keeps the newest few: the stack must not grow up
    // the screen over the buttons it reports on.
    var live = host.querySelectorAll('[data-toast-armed]:not(.is-leaving)');
    for (var i = 0; i < live.length - TOAST_MAX; i++) dismissToast(live[i]);
    el.hidden = false;
    var timer = null;
    var start = function () {
      timer = window.setTimeout(function () {
        dismissToast(el);
      }, TOAST_MS);
    };
    // Pause while hovered so people can read longer messages.
    el.addEventListener('mouseenter', function () {
      window.clearTimeout(timer);
    });
    el.addEventListener('mouseleave', start);
    start();
  }
  function showToast(message, kind) {
    if (!message) return;
    kind = kind === 'error' || kind === 'success' ? kind : 'info';
    var el = document.createElement('div');
    // literal class names keep Tailwind's content scan honest
    el.className = { success: 'toast toast-success', error: 'toast toast-error', info: 'toast toast-info' }[kind];
    el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    el.setAttribute('data-toast', kind);
    el.appendChild(svgIcon(TOAST_ICONS[kind], 'toast-icon'));
    var msg = document.createElement('div');
    msg.className = 'toast-message';
    msg.textContent = String(message);
    el.appendChild(msg);
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'toast-close';
    close.setAttribute('data-toast-close', '');
    close.setAttribute('aria-label', 'Dismiss');
    close.appendChild(svgIcon('x', 'h-4 w-4'));
    el.appendChild(close);
    toastHost().appendChild(el);
    armToast(el);
  }
  // HX-Trigger: {"toast": {...}} → event "toast" with detail = the object.
  document.addEventListener('toast', function (e) {
    var d = e.detail || {};
    if (typeof d.value === 'string') showToast(d.value, 'info');
    else showToast(d.message, d.kind);
  });
  window.lumdesk = window.lumdesk || {};
  window.lumdesk.toast = showToast;

  /* ---------------------------------------------------------- dialogs */
  function openDialog(dlg) {
    if (!dlg || dlg.open || !dlg.isConnected) return;
    if (typeof dlg.showModal === 'function') {
      try {
        dlg.showModal();
      } catch (e) {
        dlg.setAttribute('open', '');
      }
    } else {
      dlg.setAttribute('open', '');
    }
    var focus = dlg.querySelector('[autofocus]') ||
      dlg.querySelector('input:not([type=hidden]):not([disabled]), textarea, select');
    if (focus) focus.focus();
  }
  // 'close' does not bubble; listen in the capture phase.
  document.addEventListener('close', function (e) {
    var dlg = e.target;
    if (!dlg || dlg.tagName !== 'DIALOG') return;
    if (dlg.hasAttribute('data-remove-on-close')) {
      window.setTimeout(function () {
        if (dlg.parentNode && !dlg.open) dlg.parentNode.removeChild(dlg);
      }, 0);
    }
  }, true);
  document.addEventListener('htmx:afterRequest', function (e) {
    var elt = e.detail && e.detail.elt;
    if (!elt || !e.detail.successful || !elt.closest) return;
    var form = elt.closest('form[data-dialog-form]');
    if (!form) return;
    var dlg = form.closest('dialog');
    var target = e.detail.target;
    if (dlg && dlg.open && dlg.isConnected && !(target && dlg.contains(target))) dlg.close();
  });

  // A list's deferred count (ListBar.CountFrom) that could not be read
  // says so, rather than "Counting…" for ever.
  function countFailed(e) {
    var elt = e.detail && e.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute('data-pending')) return;
    elt.removeAttribute('data-pending');
    elt.removeAttribute('aria-busy');
    elt.classList.remove('invisible');
    elt.textContent = 'Count unavailable';
  }
  document.addEventListener('htmx:responseError', countFailed);
  document.addEventListener('htmx:sendError', countFailed);

  /* -------------------------------------------------- command palette */
  var palette = null;
  function paletteEl() {
    if (!palette || !palette.isConnected) palette = document.getElementById('palette');
    return palette;
  }
  function paletteInput() {
    var p = paletteEl();
    return p ? p.querySelector('input') : null;
  }
  function paletteLinks() {
    return $$('#palette-results a');
  }
  function setActive(links, idx) {
    links.forEach(function (a, i) {
      var on = i === idx;
      a.classList.toggle('is-active', on);
      a.setAttribute('aria-selected', on ? 'true' : 'false');
      if (on && a.scrollIntoView) a.scrollIntoView({ block: 'nearest' });
    });
  }
  function openPalette() {
    var p = paletteEl();
    if (!p) return;
    if (!p.open) openDialog(p);
    var input = paletteInput();
    if (input) {
      input.focus();
      input.select();
    }
  }
  function closePalette() {
    var p = paletteEl();
    if (p && p.open) p.close();
  }
  function paletteKey(e) {
    var links = paletteLinks();
    if (!links.length) return;
    var idx = links.findIndex(function (a) {
      return a.classList.contains('is-active');
    });
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive(links, idx < 0 ? 0 : (idx + 1) % links.length);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive(links, idx <= 0 ? links.length - 1 : idx - 1);
    } else if (e.key === 'Enter') {
      var a = links[idx < 0 ? 0 : idx];
      if (a) {
        e.preventDefault();
        closePalette();
        window.location.assign(a.href);
      }
    }
  }
  // New results: highlight the first one.
  document.addEventListener('htmx:afterSwap', function (e) {
    var t = e.detail && e.detail.target;
    if (t && t.id === 'palette-results') {
      var links = paletteLinks();
      if (links.length) setActive(links, 0);
    }
  });

  /* --------------------------------------------------------- sidebar */
  function setSidebar(open) {
    root.classList.toggle('sidebar-open', open);
    $$('[data-sidebar-toggle]').forEach(function (b) {
      b.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
  }

  /* --------------------------------------------------- bulk selection */
  function formOf(el) {
    return el.form || (el.closest && el.closest('form')) || document;
  }
  function scoped(scope, sel) {
    // Elements inside the form plus those associated through form="id".
    var list = $$(sel, scope === document ? document : scope);
    if (scope !== document && scope.id) {
      $$(sel).forEach(function (el) {
        if (el.form === scope && list.indexOf(el) < 0) list.push(el);
      });
    }
    return list;
  }
  function updateSelection(scope) {
    var rows = scoped(scope, 'input[data-select-row]');
    var checked = rows.filter(function (r) {
      return r.checked && !r.disabled;
    });
    rows.forEach(function (r) {
      var tr = r.closest('tr');
      if (tr) tr.classList.toggle('is-selected', r.checked);
    });
    scoped(scope, 'input[data-select-all]').forEach(function (all) {
      all.checked = rows.length > 0 && checked.length === rows.length;
      all.indeterminate = checked.length > 0 && checked.length < rows.length;
    });
    // "Every key that matches" is offered once the whole page is ticked,
    // and dropped as soon as a box is unticked.
    var all = rows.length > 0 && checked.length === rows.length;
    var matching = false;
    scoped(scope, 'input[data-match-input]').forEach(function (m) {
      if (!all) m.value = '';
      matching = matching || m.value !== '';
    });
    scoped(scope, '[data-select-matching]').forEach(function (b) {
      b.hidden = !all || matching;
    });
    scoped(scope, '[data-selected-count]').forEach(function (c) {
      c.textContent = matching ? 'Every matching key' : String(checked.length);
    });
    scoped(scope, '[data-requires-selection]').forEach(function (b) {
      b.disabled = checked.length === 0;
    });
  }

  // The bulk bar's "select every key that matches": the list's filters go
  // with the action (input[data-match-input]); the server finds the keys.
  function selectMatching(btn) {
    var scope = formOf(btn);
    scoped(scope, 'input[data-match-input]').forEach(function (m) {
      m.value = btn.getAttribute('data-select-matching');
    });
    updateSelection(scope);
  }

  // Shift-click (or Shift+x) on a row's box sets every box between it and
  // the last one clicked as it sets this one, as in Gmail: fifty keys are
  // two clicks.
  var selectAnchor = null;
  function rangeSelect(box, shift) {
    var scope = formOf(box);
    if (shift && selectAnchor && selectAnchor !== box && selectAnchor.isConnected && formOf(selectAnchor) === scope) {
      var rows = scoped(scope, 'input[data-select-row]');
      var a = rows.indexOf(selectAnchor);
      var b = rows.indexOf(box);
      if (a >= 0 && b >= 0) {
        rows.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (r) {
          if (!r.disabled) r.checked = box.checked;
        });
        updateSelection(scope);
      }
    }
    selectAnchor = box;
  }
  // toggleBox clicks a box for a click elsewhere (its cell's padding, the x
  // key): the box's own click must not move the anchor first.
  function toggleBox(box, shift) {
    var anchor = selectAnchor;
    box.click();
    selectAnchor = anchor;
    rangeSelect(box, shift);
  }

  /* -------------------------------------------------- type to confirm */
  function updateConfirm(input) {
    var form = input.form || input.closest('form');
    if (!form) return;
    var ok = input.value.trim() === input.getAttribute('data-confirm-text');
    $$('button[type=submit], input[type=submit], button:not([type])', form).forEach(function (b) {
      if (b.hasAttribute('data-dialog-close')) return;
      b.disabled = !ok;
    });
  }

  /* ------------------------------------------------------------ copy */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.className = 'sr-only';
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try {
        ok = document.execCommand('copy');
      } catch (err) {
        ok = false;
      }
      document.body.removeChild(ta);
      if (ok) resolve();
      else reject(new Error('copy failed'));
    });
  }
  function flashLabel(btn, text) {
    var label = btn.querySelector('[data-copy-label]') || btn;
    if (!label.hasAttribute('data-copy-original')) label.setAttribute('data-copy-original', label.textContent);
    label.textContent = text;
    btn.classList.add('is-copied');
    window.clearTimeout(btn._copyTimer);
    btn._copyTimer = window.setTimeout(function () {
      label.textContent = label.getAttribute('data-copy-original');
      btn.classList.remove('is-copied');
    }, 1600);
  }
  function doCopy(btn) {
    var src = document.getElementById(btn.getAttribute('data-copy'));
    if (!src) return;
    var text = 'value' in src && (src.tagName === 'INPUT' || src.tagName === 'TEXTAREA') ? src.value : src.textContent;
    copyText(text.trim()).then(
      function () {
        flashLabel(btn, 'Copied');
      },
      function () {
        if (src.select) src.select();
        flashLabel(btn, 'Press Ctrl+C');
      }
    );
  }

  // An icon button with the value in data-copy-text (a cut-off table cell):
  // no label to swap, so the icon turns green and the title says Copied.
  function copyValue(btn) {
    var title = btn.getAttribute('data-copy-title') || btn.getAttribute('title') || '';
    btn.setAttribute('data-copy-title', title);
    copyText(btn.getAttribute('data-copy-text')).then(
      function () {
        btn.classList.add('is-copied');
        btn.setAttribute('title', 'Copied');
        window.clearTimeout(btn._copyTimer);
        btn._copyTimer = window.setTimeout(function () {
          btn.classList.remove('is-copied');
          btn.setAttribute('title', title);
        }, 1600);
      },
      function () {
        btn.setAttribute('title', 'Copy failed: select the text and press Ctrl+C');
      }
    );
  }

  /* ------------------------------------------------- delegated clicks */
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var el;
    if (t.matches('input[data-select-row]')) rangeSelect(t, e.shiftKey);

    // Dropdown menus: close on outside click.
    $$('details[data-menu][open]').forEach(function (m) {
      if (!m.contains(t)) m.removeAttribute('open');
    });

    if ((el = t.closest('[data-select-matching]'))) {
      selectMatching(el);
      return;
    }
    if ((el = t.closest('[data-theme-toggle]'))) {
      cycleTheme();
      return;
    }
    if ((el = t.closest('[data-sidebar-toggle]'))) {
      setSidebar(!root.classList.contains('sidebar-open'));
      return;
    }
    if ((el = t.closest('[data-palette-open]'))) {
      e.preventDefault();
      openPalette();
      return;
    }
    if ((el = t.closest('[data-toast-close]'))) {
      dismissToast(el.closest('[data-toast], .toast'));
      return;
    }
    if ((el = t.closest('[data-dialog-close]'))) {
      var d = el.closest('dialog');
      if (d) {
        e.preventDefault();
        d.close();
      }
      return;
    }
    if ((el = t.closest('[data-dialog-open]'))) {
      e.preventDefault();
      openDialog(document.getElementById(el.getAttribute('data-dialog-open')));
      return;
    }
    if ((el = t.closest('[data-copy-text]'))) {
      e.preventDefault();
      copyValue(el);
      return;
    }
    if ((el = t.closest('[data-copy]'))) {
      e.preventDefault();
      doCopy(el);
      return;
    }
    // Click on a modal's backdrop (the event target is the <dialog> itself).
    if (t.tagName === 'DIALOG' && t.open && (t.id === 'palette' || t.hasAttribute('data-backdrop-close'))) {
      var r = t.getBoundingClientRect();
      var inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
      if (!inside) t.close();
      return;
    }
    // Clicking a nav link in the mobile sidebar closes it.
    if (t.closest('.sidebar a')) setSidebar(false);

    // Clicking the padding around a row checkbox toggles it.
    var cell = t.closest('td.cell-check, th.cell-check');
    if (cell && !t.closest('input, label')) {
      var cb = cell.querySelector('input[type=checkbox]');
      if (cb && cb.matches('input[data-select-row]')) toggleBox(cb, e.shiftKey);
      else if (cb) cb.click();
      return;
    }
    // Row links.
    var tr = t.closest('tr[data-href]');
    if (tr && !t.closest('a, button, input, select, textarea, label, summary, [data-no-row-click]')) {
      var href = tr.getAttribute('data-href');
      if (!href) return;
      var sel = window.getSelection ? String(window.getSelection()) : '';
      if (sel) return; // user is selecting text
      if (e.metaKey || e.ctrlKey || e.button === 1) window.open(href, '_blank', 'noopener');
      else window.location.assign(href);
    }
  });

  // A value cut off with an ellipsis shows whole on hover: a .truncate or
  // .cell-clip element that does not fit gets its text as its title, unless
  // it (or a parent) has one already (Clip and KeyCell set theirs).
  document.addEventListener('mouseover', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var el = t.closest('.truncate, .cell-clip');
    if (!el || el.closest('[title]') || el.scrollWidth <= el.clientWidth) return;
    el.setAttribute('title', el.textContent.trim());
  });

  document.addEventListener('focusin', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    if (t.matches('input[data-palette-open]')) {
      t.blur();
      openPalette();
    } else if (t.matches('input[data-select-on-focus], textarea[data-select-on-focus]')) {
      window.setTimeout(function () {
        t.select();
      }, 0);
    }
  });

  // The scope groups of the product chosen in an API key form; the product
  // list comes from the server, so no product name is written here. A hidden
  // group is disabled too, so its ticks are not sent (the server refuses
  // another product's scope).
  function syncScopeGroups(sel) {
    var form = sel.form || sel.closest('form');
    if (!form) return;
    $$('fieldset[data-scope-group]', form).forEach(function (g) {
      g.hidden = g.disabled = g.getAttribute('data-scope-group') !== sel.value;
    });
  }

  // A file over data-max-bytes (what the form's request may carry) is
  // refused here with the field's own message ([data-file-too-big]), not
  // by the server's 413, which a browser may show as a reset connection.
  function checkFileSize(input) {
    var max = parseInt(input.getAttribute('data-max-bytes'), 10);
    var f = input.files && input.files[0];
    var tooBig = !!(f && max > 0 && f.size > max);
    if (tooBig) input.value = '';
    input.classList.toggle('input-error', tooBig);
    var field = input.closest('.field');
    var msg = field && field.querySelector('[data-file-too-big]');
    if (msg) msg.hidden = !tooBig;
    var hint = field && field.querySelector('.hint');
    if (hint) hint.hidden = tooBig;
  }

  /* ---------------------------------------------------- change/input */
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    if (t.matches('select[data-scope-product]')) {
      syncScopeGroups(t);
      return;
    }
    if (t.matches('input[data-select-all]')) {
      var scope = formOf(t);
      scoped(scope, 'input[data-select-row]').forEach(function (r) {
        if (!r.disabled) r.checked = t.checked;
      });
      updateSelection(scope);
      return;
    }
    if (t.matches('input[data-select-row]')) {
      updateSelection(formOf(t));
      return;
    }
    if (t.matches('input[type=file][data-max-bytes]')) {
      checkFileSize(t);
      return;
    }
    var form = t.form || t.closest('form');
    if (form && form.hasAttribute('data-autosubmit') &&
      (t.tagName === 'SELECT' || t.type === 'checkbox' || t.type === 'radio' || t.type === 'date')) {
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }
  });
  document.addEventListener('input', function (e) {
    var t = e.target;
    if (t instanceof Element && t.matches('input[data-confirm-text], textarea[data-confirm-text]')) updateConfirm(t);
  });

  /* ------------------------------------------------------ keyboard */
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    // Cmd/Ctrl+K: toggle the palette from anywhere.
    if ((e.metaKey || e.ctrlKey) && !e.altKey && (e.key === 'k' || e.key === 'K')) {
      var p = paletteEl();
      if (p) {
        e.preventDefault();
        if (p.open) closePalette();
        else openPalette();
      }
      return;
    }
    var pal = paletteEl();
    // The first Escape closes the palette: without this the search input
    // takes it to clear its text (type=search) and a second one is needed.
    if (pal && pal.open && e.key === 'Escape') {
      e.preventDefault();
      closePalette();
      return;
    }
    if (pal && pal.open && pal.contains(t)) {
      paletteKey(e);
      return;
    }
    if (e.key === 'Escape') {
      if (root.classList.contains('sidebar-open')) setSidebar(false);
      $$('details[data-menu][open]').forEach(function (m) {
        m.removeAttribute('open');
        var s = m.querySelector('summary');
        if (s) s.focus();
      });
      return;
    }
    if (e.key === '/' && !e.metaKey && !e.ctrlKey && !e.altKey && !isTyping(t) && !$('dialog[open]')) {
      var box = $('[data-search-focus]');
      e.preventDefault();
      if (box) {
        box.focus();
        if (box.select) box.select();
      } else {
        openPalette();
      }
      return;
    }
    if (e.key === 'Enter' && t instanceof Element && t.matches('tr[data-href]')) {
      e.preventDefault();
      openRow(t, e.metaKey || e.ctrlKey);
      return;
    }
    // A list's keys, as in Gmail and GitHub: j/k (or the arrows on a row)
    // move between rows, x selects the row for a bulk action, o opens it,
    // ? lists them all (#shortcuts). Not while typing, nor over a dialog; a
    // focused checkbox is not typing, so j goes on from the row's box.
    var typing = isTyping(t) && !t.matches('input[type=checkbox], input[type=radio]');
    if (e.metaKey || e.ctrlKey || e.altKey || typing || $('dialog[open]')) return;
    if (e.key === '?') {
      var help = document.getElementById('shortcuts');
      if (help) {
        e.preventDefault();
        openDialog(help);
      }
      return;
    }
    var row = t instanceof Element ? t.closest('tr[data-href]') : null;
    if (e.key === 'j' || e.key === 'k' || (row && (e.key === 'ArrowDown' || e.key === 'ArrowUp'))) {
      if (moveRow(row, e.key === 'j' || e.key === 'ArrowDown' ? 1 : -1)) e.preventDefault();
      return;
    }
    if (row && (e.key === 'x' || e.key === 'X')) {
      var box = row.querySelector('input[data-select-row]:not([disabled])');
      if (box) {
        e.preventDefault();
        toggleBox(box, e.shiftKey); // a click, so the selection bar hears its change
      }
      return;
    }
    if (row && e.key === 'o') {
      e.preventDefault();
      openRow(row, false);
    }
  });
  function openRow(row, newTab) {
    var href = row.getAttribute('data-href');
    if (!href) return;
    if (newTab) window.open(href, '_blank', 'noopener');
    else window.location.assign(href);
  }
  // moveRow focuses the row step rows from `from` among the page's visible
  // list rows (the first or the last when no row has focus); false when
  // the page has none, so the key keeps its default.
  function moveRow(from, step) {
    var rows = $$('main tr[data-href]').filter(function (r) {
      return r.offsetParent !== null;
    });
    if (!rows.length) return false;
    var i = from ? rows.indexOf(from) : -1;
    var next = i < 0 ? (step > 0 ? 0 : rows.length - 1) : i + step;
    if (next >= 0 && next < rows.length) rows[next].focus();
    return true;
  }

  /* ------------------------------------------------------------- tabs */
  // A row of tabs wider than the screen scrolls sideways: the current tab
  // is brought into view, and an edge fades while more tabs lie past it.
  function markTabEdges(nav) {
    nav.toggleAttribute('data-more-after', nav.scrollLeft + nav.clientWidth < nav.scrollWidth - 1);
    nav.toggleAttribute('data-more-before', nav.scrollLeft > 1);
  }
  function fitTabs(nav) {
    var active = nav.querySelector('[aria-current="page"]');
    if (active && nav.scrollWidth > nav.clientWidth) {
      var left = active.getBoundingClientRect().left - nav.getBoundingClientRect().left + nav.scrollLeft;
      nav.scrollLeft = Math.max(0, left - 32);
    }
    markTabEdges(nav);
    if (!nav.hasAttribute('data-tabs-armed')) {
      nav.setAttribute('data-tabs-armed', '');
      nav.addEventListener('scroll', function () { markTabEdges(nav); }, { passive: true });
    }
  }
  window.addEventListener('resize', function () { $$('nav.tabs').forEach(markTabEdges); });

  /* ------------------------------------------ per-content initialiser */
  function init(ctx) {
    within(ctx, 'nav.tabs').forEach(fitTabs);
    within(ctx, 'tr[data-href]').forEach(function (tr) {
      if (!tr.hasAttribute('tabindex')) tr.setAttribute('tabindex', '0');
    });
    within(ctx, '[data-toast]').forEach(armToast);
    within(ctx, 'input[data-confirm-text], textarea[data-confirm-text]').forEach(updateConfirm);
    var forms = [];
    within(ctx, 'input[data-select-all], input[data-select-row]').forEach(function (el) {
      var f = formOf(el);
      if (forms.indexOf(f) < 0) forms.push(f);
    });
    forms.forEach(updateSelection);
    within(ctx, 'select[data-scope-product]').forEach(syncScopeGroups);
    within(ctx, 'dialog[data-autoopen]').forEach(function (d) {
      if (!d.hasAttribute('data-opened')) {
        d.setAttribute('data-opened', '');
        openDialog(d);
      }
    });
  }

  function boot() {
    applyTheme(themePref());
    var mac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent || '');
    if (!mac) {
      $$('[data-kbd-mod]').forEach(function (k) {
        k.textContent = k.textContent.replace('⌘', 'Ctrl ');
      });
    }
    init(document.body);
  }
  // htmx fires htmx:load for every piece of new content (incl. the body on start).
  document.addEventListener('htmx:load', function (e) {
    init(e.target);
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
