// Canned replies on the staff ticket page (plain ES2017, no libraries). Adds a search box that
// filters the canned replies by title as one types; choosing one (or "Insert" beside the list)
// fetches its text for this ticket (GET /staff/tickets/<id>/canned/<cid>, placeholders filled
// in) and inserts it at the cursor in the reply, and sets the hidden canned_id so that sending
// the reply applies its changes. Without JavaScript "Insert" sends the form and the page comes
// back with the text added.
(function () {
  'use strict';
  const box = document.getElementById('canned');
  const textarea = document.getElementById('message');
  const select = document.getElementById('canned-select');
  if (!box || !textarea || !select || !window.fetch) return;
  const search = box.querySelector('.canned-search');
  const input = document.getElementById('canned-q');
  const results = document.getElementById('canned-results');
  const insertButton = document.getElementById('canned-insert');
  const hiddenId = document.getElementById('canned-id');
  const used = document.getElementById('canned-used');
  const usedTitle = document.getElementById('canned-used-title');
  const applyRow = document.getElementById('canned-apply-row');
  const apply = document.getElementById('canned-apply');
  const changes = document.getElementById('canned-changes');
  const LIMIT = 10;

  // Lowercase without accents, so "contrasena" finds "Contraseña".
  function fold(s) {
    return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  }

  const replies = Array.from(select.options)
    .filter((o) => o.value)
    .map((o) => ({ id: o.value, title: o.textContent, key: fold(o.textContent) }));

  function insertAtCursor(text) {
    const start = textarea.selectionStart;
    const end = textarea.selectionEnd;
    const before = textarea.value.slice(0, start);
    const after = textarea.value.slice(end);
    textarea.value = before + text + after;
    const cursor = (before + text).length;
    textarea.focus();
    textarea.setSelectionRange(cursor, cursor);
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function use(id) {
    return fetch(box.dataset.url + encodeURIComponent(id), {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    })
      .then((res) => (res.ok ? res.json() : null))
      .then((reply) => {
        if (!reply) return;
        insertAtCursor(reply.text);
        select.value = String(reply.id);
        hiddenId.value = String(reply.id);
        usedTitle.textContent = reply.title;
        changes.textContent = reply.changes;
        applyRow.hidden = !reply.changes;
        apply.checked = true;
        used.hidden = false;
      })
      .catch(() => {});
  }

  // "Insert" beside the list inserts in place instead of sending the form.
  if (insertButton) {
    insertButton.addEventListener('click', (e) => {
      e.preventDefault();
      if (select.value) use(select.value);
    });
  }

  if (!search || !input || !results) return;
  search.hidden = false;

  function button(reply) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'link canned-result';
    b.dataset.id = reply.id;
    b.textContent = reply.title;
    b.setAttribute('aria-label', box.dataset.insert + ': ' + reply.title);
    b.addEventListener('click', () => {
      use(reply.id);
      input.value = '';
      results.textContent = '';
    });
    return b;
  }

  function filter() {
    const words = fold(input.value.trim()).split(/\s+/).filter(Boolean);
    results.textContent = '';
    if (!words.length) return;
    const found = replies.filter((r) => words.every((w) => r.key.includes(w))).slice(0, LIMIT);
    if (!found.length) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = box.dataset.none;
      results.appendChild(li);
      return;
    }
    found.forEach((r) => {
      const li = document.createElement('li');
      li.appendChild(button(r));
      results.appendChild(li);
    });
  }

  input.addEventListener('input', filter);
  // Enter takes the first match instead of sending the reply.
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const first = results.querySelector('button');
    if (first) first.click();
  });
})();
