// Live conversations (issue 17 item 1). On a ticket page (#live): listens to the ticket's
// Server-Sent Events; a new message or a change reloads the conversation and the header in
// place (the reply being typed stays), the other side's typing shows for a few seconds, and
// typing here is told to the other side (at most every 3 s). On desk pages (#live-desk): new
// chats beep and show a link. The browser reconnects by itself with Last-Event-ID, so nothing
// is missed. Without JavaScript the pages are as before.
(function () {
  "use strict";
  if (!window.EventSource || window.__liveStarted) { return; }
  window.__liveStarted = true;

  function csrf() {
    var input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  function withParam(url, key, value) {
    return url + (url.indexOf("?") < 0 ? "?" : "&") + key + "=" + encodeURIComponent(value);
  }

  // The streams open once the page has loaded: a stream opened before counts as part of the
  // page's loading in Chromium, so the page would never finish loading.
  // Each stream is closed when the page is left: a page kept in the back-forward cache would
  // otherwise hold its connection open, and after a few pages the browser's connections to the
  // desk are all taken and every later request waits. A page shown again from that cache opens
  // its streams anew (the events replay from the page's time).
  var streams = [];
  function open(url, listen) {
    var item = { url: url, listen: listen, source: null };
    item.start = function () { item.source = new EventSource(item.url); item.listen(item.source); };
    streams.push(item);
    item.start();
  }
  window.addEventListener("pagehide", function () {
    streams.forEach(function (s) { if (s.source) { s.source.close(); s.source = null; } });
  });
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) { streams.forEach(function (s) { if (!s.source) { s.start(); } }); }
  });
  function afterLoad(start) {
    if (document.readyState === "complete") { setTimeout(start, 0); return; }
    window.addEventListener("load", function () { setTimeout(start, 0); });
  }

  // --- A ticket page ----------------------------------------------------------------------
  var box = document.getElementById("live");
  if (box) {
    var typingLine = document.getElementById("live-typing");
    var typingTimer = null;
    var pending = null;

    var swap = function (doc, selector) {
      var now = document.querySelector(selector);
      var fresh = doc.querySelector(selector);
      if (now && fresh) { now.innerHTML = fresh.innerHTML; }
    };

    // Coalesced: a burst of events (a reply with a status change) is one fetch.
    var refresh = function () {
      if (pending) { return; }
      pending = setTimeout(function () {
        pending = null;
        fetch(location.pathname, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            if (!html) { return; }
            var doc = new DOMParser().parseFromString(html, "text/html");
            swap(doc, ".conversation");
            swap(doc, ".ticket-head");
            // The staff page's collision guard: the agent has seen the newest message now.
            var seen = doc.querySelector("input[name=seen_at]");
            var mine = document.querySelector("input[name=seen_at]");
            if (seen && mine) { mine.value = seen.value; }
            var presence = document.getElementById("presence");
            if (seen && presence) { presence.dataset.seen = seen.value; }
            document.dispatchEvent(new CustomEvent("live:updated"));
          })
          .catch(function () {});
      }, 200);
    };

    var showTyping = function (name) {
      typingLine.textContent = box.dataset.typing.replace("{name}", name);
      box.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typingLine.textContent = ""; }, 6000);
    };

    afterLoad(function () {
      open(withParam(box.dataset.url, "since", box.dataset.since), function (source) {
      source.addEventListener("open", function () { box.hidden = false; box.classList.add("live-connected"); });
      source.addEventListener("message", function () { typingLine.textContent = ""; refresh(); });
      source.addEventListener("changed", refresh);
      source.addEventListener("typing", function (e) {
        try { showTyping(JSON.parse(e.data).name || ""); } catch (err) { /* ignored */ }
      });
      });
    });

    var message = document.getElementById("message");
    var lastSent = 0;
    if (message && box.dataset.typingUrl) {
      message.addEventListener("input", function () {
        var now = Date.now();
        if (now - lastSent < 3000) { return; }
        lastSent = now;
        var body = new URLSearchParams();
        body.set("csrf_token", csrf());
        fetch(box.dataset.typingUrl, { method: "POST", body: body, credentials: "same-origin" })
          .catch(function () {});
      });
    }
  }

  // --- The desk: new chats ----------------------------------------------------------------
  var desk = document.getElementById("live-desk");
  if (desk) {
    var beep = function () {
      try {
        var Ctx = window.AudioContext || window.webkitAudioContext;
        if (!Ctx) { return; }
        var ctx = new Ctx();
        var osc = ctx.createOscillator();
        var gain = ctx.createGain();
        osc.frequency.value = 880;
        gain.gain.value = 0.1;
        osc.connect(gain);
        gain.connect(ctx.destination);
        osc.start();
        osc.stop(ctx.currentTime + 0.18);
        osc.onended = function () { ctx.close(); };
      } catch (err) { /* no sound: the alert still shows */ }
    };
    afterLoad(function () {
    open(desk.dataset.url, function (chats) {
    chats.addEventListener("chat", function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      var p = document.createElement("p");
      p.className = "live-chat-alert";
      p.textContent = desk.dataset.newChat.replace("{name}", data.name || "") + " ";
      var a = document.createElement("a");
      a.href = "/staff/tickets/" + data.ticket_id;
      a.className = "button button-primary";
      a.textContent = desk.dataset.open;
      p.appendChild(a);
      desk.appendChild(p);
      desk.hidden = false;
      beep();
    });
    });
    });
  }
})();
