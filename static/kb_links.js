// "Insert article link" on the staff ticket page (plain ES2017, no libraries). Turns the list
// of popular articles into buttons and adds a search box (GET /staff/kb/links?q=); choosing an
// article inserts "Title: address" at the cursor in the reply. Without JavaScript the list of
// addresses stays there to copy.
(function () {
  'use strict';
  const box = document.getElementById('kb-links');
  const textarea = document.getElementById('message');
  if (!box || !textarea) return;
  const search = box.querySelector('.kb-links-search');
  const input = document.getElementById('kb-links-q');
  const results = document.getElementById('kb-links-results');
  let timer = null;
  let seq = 0;

  function insert(title, url) {
    const text = title + ': ' + url;
    const start = textarea.selectionStart;
    const end = textarea.selectionEnd;
    const before = textarea.value.slice(0, start);
    const after = textarea.value.slice(end);
    const pad = before && !/\s$/.test(before) ? ' ' : '';
    textarea.value = before + pad + text + after;
    const cursor = (before + pad + text).length;
    textarea.focus();
    textarea.setSelectionRange(cursor, cursor);
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function button(title, url) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'link small kb-link-insert';
    b.textContent = box.dataset.insert;
    b.setAttribute('aria-label', box.dataset.insert + ': ' + title);
    b.addEventListener('click', () => insert(title, url));
    return b;
  }

  // Each popular article gets an "Insert" button next to its address.
  box.querySelectorAll('.kb-links-popular li[data-url]').forEach((li) => {
    li.appendChild(document.createTextNode(' '));
    li.appendChild(button(li.dataset.title, li.dataset.url));
  });

  if (!search || !input || !results || !window.fetch) return;
  search.hidden = false;

  function render(list) {
    results.textContent = '';
    if (!list.length) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = box.dataset.none;
      results.appendChild(li);
      return;
    }
    list.forEach((a) => {
      const li = document.createElement('li');
      li.textContent = a.title + ' ';
      li.appendChild(button(a.title, a.url));
      results.appendChild(li);
    });
  }

  function lookup() {
    const q = input.value.trim().slice(0, 200);
    const mine = ++seq;
    if (q.length < 2) {
      results.textContent = '';
      return;
    }
    fetch('/staff/kb/links?q=' + encodeURIComponent(q), {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    })
      .then((res) => (res.ok ? res.json() : null))
      .then((data) => { if (data && mine === seq) render(data); })
      .catch(() => {});
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(lookup, 250);
  });
  // Enter searches at once instead of sending the reply.
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(timer);
      lookup();
    }
  });
})();
