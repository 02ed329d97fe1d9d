// @mention suggestions in the reply box: after "@" and a letter or two, the colleagues who may
// see this ticket whose name or handle starts so; a click or Enter puts "@handle " in the text.
// The list comes once from /staff/tickets/<id>/mentions. Mentions only notify in internal notes.
(function () {
  "use strict";
  var list = document.getElementById("mention-list");
  var box = document.getElementById("message");
  if (!list || !box) { return; }
  var people = null;
  var active = -1;

  function load() {
    if (people) { return Promise.resolve(people); }
    return fetch(list.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (data) { people = data; return people; })
      .catch(function () { people = []; return people; });
  }

  // The "@partial" right before the caret, if any.
  function partial() {
    var before = box.value.slice(0, box.selectionStart);
    var m = /(^|[^\w@])@([\w.\-]*)$/.exec(before);
    return m ? m[2].toLowerCase() : null;
  }

  function close() { list.hidden = true; list.textContent = ""; active = -1; }

  function pick(handle) {
    var at = box.selectionStart;
    var before = box.value.slice(0, at).replace(/@[\w.\-]*$/, "@" + handle + " ");
    box.value = before + box.value.slice(at);
    box.selectionStart = box.selectionEnd = before.length;
    close();
    box.focus();
  }

  function render(matches) {
    list.textContent = "";
    matches.slice(0, 8).forEach(function (p, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.dataset.handle = p.handle;
      li.textContent = p.name + " (@" + p.handle + ")";
      li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(p.handle); });
      if (i === active) { li.className = "active"; li.setAttribute("aria-selected", "true"); }
      list.appendChild(li);
    });
    list.hidden = !matches.length;
  }

  box.addEventListener("input", function () {
    var q = partial();
    if (q === null) { close(); return; }
    load().then(function (all) {
      var matches = all.filter(function (p) {
        return p.handle.indexOf(q) === 0 || p.name.toLowerCase().indexOf(q) === 0;
      });
      active = matches.length ? 0 : -1;
      render(matches);
    });
  });

  box.addEventListener("keydown", function (e) {
    if (list.hidden) { return; }
    var items = list.querySelectorAll("li");
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      items.forEach(function (li, i) { li.className = i === active ? "active" : ""; });
    } else if (e.key === "Enter" && active >= 0) {
      e.preventDefault();
      pick(items[active].dataset.handle);
    } else if (e.key === "Escape") {
      close();
    }
  });
  box.addEventListener("blur", function () { setTimeout(close, 150); });
})();
