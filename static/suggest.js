// Suggestions while an employee writes a ticket (plain ES2017, no libraries). As the subject or
// message changes, asks /suggest for matching knowledge-base articles and similar open requests
// and lists them above the submit button. Without JavaScript the form works as before.
(function () {
  'use strict';
  const box = document.getElementById('suggestions');
  if (!box || !window.fetch) return;
  const form = box.closest('form');
  const fields = ['subject', 'message'].map((id) => document.getElementById(id)).filter(Boolean);
  const MAX = 200;
  // The articles shown so far, sent with the ticket (the desk counts them as shown but not
  // enough); the server counts at most 10.
  const shownInput = document.getElementById('shown_articles');
  const MAX_SHOWN = 10;
  const shown = shownInput && shownInput.value ? shownInput.value.split(',').filter(Boolean) : [];

  function remember(url) {
    const slug = url.replace(/^\/kb\//, '');
    if (!shownInput || !slug || shown.indexOf(slug) !== -1 || shown.length >= MAX_SHOWN) return;
    shown.push(slug);
    shownInput.value = shown.join(',');
  }
  let timer = null;
  let last = '';
  let seq = 0;

  function query() {
    return fields.map((f) => f.value).join(' ').replace(/\s+/g, ' ').trim().slice(0, MAX);
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function solved(url, item) {
    const token = form ? form.querySelector('input[name="csrf_token"]') : null;
    if (!token) return;
    const slug = url.replace(/^\/kb\//, '');
    fetch('/suggest/solved', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'csrf_token=' + encodeURIComponent(token.value) + '&slug=' + encodeURIComponent(slug),
    }).then((res) => {
      if (!res.ok) return;
      const note = el('p', 'suggest-thanks', box.dataset.thanks);
      note.setAttribute('role', 'status');
      item.appendChild(note);
    }).catch(() => {});
  }

  function render(data) {
    const articles = data.articles || [];
    const tickets = data.tickets || [];
    box.textContent = '';
    if (!articles.length && !tickets.length) {
      box.hidden = true;
      return;
    }
    box.appendChild(el('h2', 'suggest-heading', box.dataset.heading));
    if (articles.length) {
      box.appendChild(el('h3', '', box.dataset.articles));
      const list = el('ul', 'plain suggest-list');
      articles.forEach((a) => {
        remember(a.url);
        const item = el('li');
        const link = el('a', '', a.title);
        link.href = a.url;
        link.target = '_blank';
        link.rel = 'noopener';
        item.appendChild(link);
        if (a.snippet) item.appendChild(el('p', 'snippet small', a.snippet));
        const button = el('button', 'link small', box.dataset.solved);
        button.type = 'button';
        button.addEventListener('click', () => { button.disabled = true; solved(a.url, item); });
        item.appendChild(button);
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    if (tickets.length) {
      box.appendChild(el('h3', '', box.dataset.tickets));
      const list = el('ul', 'plain suggest-list');
      tickets.forEach((t) => {
        const item = el('li', '', t.subject + ' ');
        item.appendChild(el('span', 'muted small', '(' + t.status + ')'));
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    box.hidden = false;
  }

  function update() {
    const q = query();
    if (q === last) return;
    last = q;
    const mine = ++seq;
    if (q.length < 3) {
      box.hidden = true;
      box.textContent = '';
      return;
    }
    fetch('/suggest?q=' + encodeURIComponent(q), {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    })
      .then((res) => (res.ok ? res.json() : null))
      .then((data) => { if (data && mine === seq) render(data); })
      .catch(() => {});
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(update, 350);
  }

  fields.forEach((f) => f.addEventListener('input', schedule));
  if (query()) schedule();
})();
