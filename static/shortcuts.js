// The desk's keyboard shortcuts (plain ES2017), listed in the "?" dialog
// (templates/parts/shortcuts_help.html): j / k move through the ticket list, Enter opens,
// r reply, n internal note, / search, ? this help. Off while typing in a field and with
// Ctrl, Alt or Meta held. Loaded on the desk's pages only.
(function () {
  'use strict';
  const help = document.getElementById('shortcuts-help');
  const opener = document.getElementById('shortcuts-open');
  const ticketLink = /^\/staff\/tickets\/\d+$/;

  function typing(el) {
    if (!el || !el.tagName) return false;
    return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
  }

  // The list's tickets: rows or cards marked `data-shortcut-item`, else the rows of a table
  // whose links open a ticket.
  function items() {
    const marked = Array.from(document.querySelectorAll('[data-shortcut-item]'));
    if (marked.length) return marked;
    return Array.from(document.querySelectorAll('main tbody tr')).filter((row) => link(row));
  }
  function link(item) {
    return Array.from(item.querySelectorAll('a[href]'))
      .find((a) => ticketLink.test(a.getAttribute('href').split(/[?#]/)[0]));
  }
  function move(step) {
    const all = items();
    if (!all.length) return false;
    const now = all.findIndex((el) => el.classList.contains('shortcut-current'));
    const next = now < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(now + step, 0), all.length - 1);
    all.forEach((el) => el.classList.remove('shortcut-current'));
    const item = all[next];
    item.classList.add('shortcut-current');
    // The link gets the focus: Enter opens it, screen readers say which ticket it is.
    const a = link(item);
    if (a) a.focus();
    item.scrollIntoView({ block: 'nearest' });
    return true;
  }

  // "r" and "n": the reply box, for a reply or for an internal note. In note mode the note
  // button is the main one (Ctrl+Enter presses it).
  function write(note) {
    const box = document.getElementById('message');
    const form = document.getElementById('ticket-form');
    if (!box || !form) return false;
    const mode = document.getElementById('note-mode');
    if (mode) mode.hidden = !note;
    form.dataset.mode = note ? 'note' : 'reply';
    const noteButton = document.getElementById('add-note');
    ['send-reply', 'send-resolve'].forEach((id) => {
      const b = document.getElementById(id);
      if (b) b.classList.toggle('button-primary', !note);
    });
    // Ctrl+Enter (static/app.js) presses the form's first main button: in note mode, this one.
    if (noteButton) noteButton.classList.toggle('button-primary', note);
    box.focus();
    box.scrollIntoView({ block: 'center' });
    return true;
  }

  function search() {
    const box = document.getElementById('q') || document.querySelector('main input[type="search"]');
    if (box) {
      box.focus();
      box.select();
      return true;
    }
    location.href = '/staff/tickets#q';
    return true;
  }
  if (location.hash === '#q') {
    const box = document.getElementById('q');
    if (box) box.focus();
  }

  let before = null;
  function showHelp() {
    if (!help || typeof help.showModal !== 'function') return false;
    if (help.open) return true;
    before = document.activeElement;
    help.showModal();
    const close = document.getElementById('shortcuts-close');
    if (close) close.focus();
    return true;
  }
  if (help) {
    help.addEventListener('close', () => {
      if (before && before.focus) before.focus();
      before = null;
    });
  }
  if (opener) {
    opener.hidden = false;
    opener.addEventListener('click', showHelp);
  }

  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (typing(e.target) || (help && help.open)) return;
    let done = false;
    switch (e.key) {
      case 'j': done = !document.getElementById('ticket-form') && move(1); break;
      case 'k': done = !document.getElementById('ticket-form') && move(-1); break;
      case 'r': done = write(false); break;
      case 'n': done = write(true); break;
      case '/': done = search(); break;
      case '?': done = showHelp(); break;
      default: return;
    }
    // Taken: the key must not also type into the field that just got the focus.
    if (done) e.preventDefault();
  });
})();
