// The collision warning on a staff ticket page: every 10 s the page tells the server it is open
// (and whether a key was pressed in the reply box), and shows who else has the ticket open or is
// typing, and what changed since it was opened. Without JavaScript the server still refuses a
// reply that would answer an older conversation (the reply form's `seen_at`).
(function () {
  "use strict";
  var box = document.getElementById("presence");
  var form = document.querySelector("form[action$='/reply']");
  if (!box || !form) { return; }
  var token = form.querySelector("input[name=csrf_token]");
  var who = document.getElementById("presence-who");
  var change = document.getElementById("presence-change");
  var typed = false;
  var message = document.getElementById("message");
  if (message) { message.addEventListener("input", function () { typed = true; }); }

  function names(list) { return list.join(", "); }

  function show(data) {
    var lines = [];
    var typing = data.typing || [];
    var viewers = (data.viewers || []).filter(function (n) { return typing.indexOf(n) < 0; });
    if (typing.length) { lines.push(box.dataset.typing.replace("{names}", names(typing))); }
    if (viewers.length) { lines.push(box.dataset.viewing.replace("{names}", names(viewers))); }
    who.textContent = lines.join(" · ");
    if (data.change && data.change.text) {
      change.textContent = data.change.text;
      change.hidden = false;
    }
    box.hidden = !lines.length && change.hidden;
  }

  function send(leaving) {
    var body = new URLSearchParams();
    body.set("csrf_token", token ? token.value : "");
    body.set("seen", box.dataset.seen);
    body.set("opened", box.dataset.opened);
    body.set("typing", typed ? "true" : "false");
    if (leaving) {
      body.set("leaving", "true");
      if (navigator.sendBeacon) { navigator.sendBeacon(box.dataset.url, body); }
      return;
    }
    typed = false;
    fetch(box.dataset.url, { method: "POST", body: body, credentials: "same-origin",
                             headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () {});
  }

  send(false);
  setInterval(function () { send(false); }, 10000);
  window.addEventListener("pagehide", function () { send(true); });
})();
