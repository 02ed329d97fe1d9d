// Suggestions while an employee writes a ticket (plain ES2017, no libraries). As the subject or
// message changes, asks /suggest for matching knowledge-base articles and lists them in
// #suggestions (templates/portal/new_parts/suggestions.html): shown right under the subject,
// after the Submit button in the tab order. Each article has one "This solved my problem"
// button, shown while the pointer is over the article or the focus is in it (app.css).
// Without JavaScript the form works as before.
(function () {
  'use strict';
  const box = document.getElementById('suggestions');
  if (!box || !window.fetch) return;
  const status = document.getElementById('suggest-status');
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
  let announced = '';

  function query() {
    return fields.map((f) => f.value).join(' ').replace(/\s+/g, ' ').trim().slice(0, MAX);
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // Says once per change how many articles appeared (the list itself is not a live region:
  // links and buttons read out on every keystroke would drown what the employee types).
  function announce(count) {
    if (!status) return;
    const text = count ? status.dataset.found.replace('{n}', String(count)) : '';
    if (text !== announced) {
      announced = text;
      status.textContent = text;
    }
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

  // Published known issues the text is about come first, each leading to its "Me too".
  function renderKnown(issues) {
    if (!issues.length) return;
    const list = el('ul', 'plain suggest-list suggest-known');
    issues.forEach((i) => {
      const item = el('li', 'suggest-item');
      item.appendChild(el('strong', '', box.dataset.known + ' '));
      item.appendChild(document.createTextNode(i.title + ' '));
      const link = el('a', 'button button-small', box.dataset.meToo);
      link.href = i.url;
      item.appendChild(link);
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function render(data) {
    const articles = data.articles || [];
    const known = data.known_issues || [];
    box.textContent = '';
    announce(articles.length + known.length);
    if (!articles.length && !known.length) {
      box.hidden = true;
      return;
    }
    renderKnown(known);
    const heading = el('h2', 'suggest-heading', box.dataset.heading);
    heading.id = 'suggest-heading';
    box.appendChild(heading);
    const list = el('ul', 'plain suggest-list');
    articles.forEach((a) => {
      remember(a.url);
      const item = el('li', 'suggest-item');
      // Focusable by a tap (not by Tab), so on a touch screen tapping an article shows its button.
      item.tabIndex = -1;
      const link = el('a', '', a.title);
      link.href = a.url;
      link.target = '_blank';
      link.rel = 'noopener';
      link.appendChild(el('span', 'visually-hidden', ' (' + box.dataset.newTab + ')'));
      item.appendChild(link);
      if (a.snippet) item.appendChild(el('p', 'snippet small', a.snippet));
      const button = el('button', 'button button-small suggest-solved', box.dataset.solved);
      button.type = 'button';
      button.addEventListener('click', () => { button.disabled = true; solved(a.url, item); });
      item.appendChild(button);
      list.appendChild(item);
    });
    box.appendChild(list);
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
      announce(0);
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
