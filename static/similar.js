// Similar solved tickets on the staff ticket page (plain ES2017, no libraries). Loads the list
// from the placeholder's data-url once the page is shown (the page never waits for it), and
// makes "Use this reply" put the reply into the reply box in place, after anything already
// typed. Without JavaScript the placeholder's link opens the list as a page and "Use this reply"
// opens the ticket page with the reply in the box.
(function () {
  'use strict';
  const box = document.getElementById('similar');
  const list = document.getElementById('similar-list');
  const textarea = document.getElementById('message');
  if (!box || !list || !window.fetch) return;

  fetch(box.dataset.url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
    .then((res) => (res.ok ? res.text() : Promise.reject(res.status)))
    // The fragment is the desk's own page part, rendered and escaped by the server.
    .then((html) => {
      list.innerHTML = html;
    })
    .catch(() => {
      const p = document.createElement('p');
      p.className = 'muted';
      p.textContent = box.dataset.failed;
      list.appendChild(p);
    });

  list.addEventListener('click', (event) => {
    const link = event.target.closest('a.similar-reuse');
    if (!link || !textarea) return;
    event.preventDefault();
    const typed = textarea.value.replace(/\s+$/, '');
    textarea.value = (typed ? typed + '\n\n' : '') + link.dataset.text;
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    textarea.scrollIntoView({ block: 'center' });
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
  });
})();
