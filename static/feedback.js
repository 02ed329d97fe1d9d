// Feedback after a form: where the focus goes, and the confirmation read out (plain ES2017).
// Without JavaScript the server's `autofocus` on a refused form's first bad field does the same.
(function () {
  'use strict';

  // (1) After a reply or note, the page opens at the new message (`#m<id>`): focus it, so the
  // keyboard and screen readers are where the eyes are.
  // `#latest` (the portal's replies) is the last message of the conversation.
  const m = /^#m(\d+)$/.exec(location.hash);
  const messages = document.querySelectorAll('article.message');
  const message = m ? document.getElementById('m' + m[1])
    : (location.hash === '#latest' && messages.length ? messages[messages.length - 1] : null);
  if (message) {
    message.setAttribute('tabindex', '-1');
    message.classList.add('message-new');
    message.focus();
    message.scrollIntoView({ block: 'center' });
  }

  // (2) A refused form: the first field with a problem gets the focus, unless something
  // (the server's autofocus, or the user) has it already.
  const bad = document.querySelector('main [aria-invalid="true"]');
  if (!message && bad && (document.activeElement === document.body || !document.activeElement)) {
    bad.focus();
  }

  // (3) The flash message is in a `role="status"` region that is on the page from the start;
  // some screen readers only read out changes, so its text is put in again once loaded.
  const flash = document.querySelector('.flash[role="status"]');
  if (flash) {
    const text = flash.textContent;
    flash.textContent = '';
    setTimeout(() => { flash.textContent = text; }, 50);
  }
})();
