// Helpdesk progressive enhancements (plain ES2017, no libraries). Every page works without it.
(function () {
  'use strict';
  const es = (document.documentElement.lang || '').slice(0, 2) === 'es';
  const fmt = (n) => (n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB' : Math.ceil(n / 1024) + ' KB');

  // (1) Refuse oversized attachments before uploading them (the server checks again).
  function sizeMessage(input, file, max) {
    const tpl = input.dataset.tooLarge ||
      (es ? '«{name}» es demasiado grande ({size}); el máximo es {max}.'
          : '“{name}” is too large ({size}); the limit is {max}.');
    return tpl.replace('{name}', file.name).replace('{size}', fmt(file.size)).replace('{max}', fmt(max));
  }
  function clearError(input) {
    const old = document.getElementById(input.id + '-size-error');
    if (!old) return;
    old.remove();
    input.removeAttribute('aria-invalid');
    const rest = (input.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && id !== old.id);
    if (rest.length) input.setAttribute('aria-describedby', rest.join(' '));
    else input.removeAttribute('aria-describedby');
  }
  function filesOk(form) {
    let firstBad = null;
    form.querySelectorAll('input[type="file"][data-max-bytes]').forEach((input) => {
      if (!input.id) input.id = 'file-' + Math.random().toString(36).slice(2);
      clearError(input);
      const max = parseInt(input.dataset.maxBytes, 10);
      const big = max > 0 ? Array.from(input.files || []).find((f) => f.size > max) : null;
      if (!big) return;
      const p = Object.assign(document.createElement('p'), { className: 'field-error', id: input.id + '-size-error' });
      p.setAttribute('role', 'alert');
      p.textContent = sizeMessage(input, big, max);
      input.insertAdjacentElement('afterend', p);
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', ((input.getAttribute('aria-describedby') || '') + ' ' + p.id).trim());
      firstBad = firstBad || input;
    });
    if (firstBad) firstBad.focus();
    return !firstBad;
  }

  document.addEventListener('change', (e) => {
    if (e.target.matches && e.target.matches('input[type="file"][data-max-bytes]')) clearError(e.target);
  });
  // (2) Prevent double submissions. Buttons are disabled after the submission has started so
  // that the clicked button's name/value (e.g. kind=reply|note) is still sent.
  document.addEventListener('submit', (e) => {
    const form = e.target;
    if (form.dataset.submitting) { e.preventDefault(); return; }
    const multipart = (form.getAttribute('enctype') || '').toLowerCase() === 'multipart/form-data';
    if (multipart && !filesOk(form)) { e.preventDefault(); return; }
    if (e.defaultPrevented || form.hasAttribute('data-no-disable')) return;
    form.dataset.submitting = '1';
    setTimeout(() => {
      form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]').forEach((b) => {
        if (!b.disabled) { b.disabled = true; b.dataset.autoDisabled = '1'; }
      });
    }, 0);
    setTimeout(() => reset(form), 10000); // e.g. a download that does not leave the page
  });
  function reset(root) {
    root.querySelectorAll('[data-auto-disabled]').forEach((b) => { b.disabled = false; delete b.dataset.autoDisabled; });
    (root.matches && root.matches('form') ? [root] : root.querySelectorAll('form[data-submitting]'))
      .forEach((f) => { delete f.dataset.submitting; });
  }
  window.addEventListener('pageshow', () => reset(document));

  // (3) Staff ticket page: Ctrl+Enter / Cmd+Enter in the reply box sends the reply.
  document.addEventListener('keydown', (e) => {
    const ta = e.target;
    if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey) || e.isComposing) return;
    if (!ta.matches || !ta.matches('textarea#message') || !document.body.classList.contains('desk')) return;
    const form = ta.form;
    if (!form || !/\/staff\/tickets\/\d+\/reply$/.test(form.getAttribute('action') || '')) return;
    const btn = form.querySelector('button[type="submit"].button-primary') || form.querySelector('[type="submit"]');
    if (btn) { e.preventDefault(); btn.click(); }
  });

  // (4) The article editor's language tabs: radio buttons that CSS already turns into tabs; here
  // they become an ARIA tablist (arrow keys, Home and End move between tabs). Without script the
  // radio buttons do the same job.
  document.querySelectorAll('[data-lang-tabs]').forEach((box) => {
    const list = box.querySelector('.lang-tab-list');
    const tabs = Array.from(list.querySelectorAll('.lang-tab'));
    const radio = (tab) => document.getElementById(tab.getAttribute('for'));
    list.setAttribute('role', 'tablist');
    list.setAttribute('aria-labelledby', 'lang-tabs-label');
    function sync() {
      tabs.forEach((tab) => {
        const on = radio(tab).checked;
        tab.setAttribute('aria-selected', on ? 'true' : 'false');
        tab.tabIndex = on ? 0 : -1;
      });
    }
    function choose(tab) {
      radio(tab).checked = true;
      sync();
      tab.focus();
    }
    tabs.forEach((tab, i) => {
      const panel = document.getElementById(tab.dataset.panel);
      tab.setAttribute('role', 'tab');
      tab.setAttribute('aria-controls', panel.id);
      panel.setAttribute('role', 'tabpanel');
      panel.setAttribute('aria-labelledby', tab.id);
      // The tab, not its radio button, is what keyboards and screen readers now use.
      const r = radio(tab);
      r.tabIndex = -1;
      r.setAttribute('aria-hidden', 'true');
      r.addEventListener('change', sync);
      tab.addEventListener('keydown', (e) => {
        const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
        if (next === undefined) {
          if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); choose(tab); }
          return;
        }
        e.preventDefault();
        choose(tabs[(next + tabs.length) % tabs.length]);
      });
    });
    sync();
  });
})();
