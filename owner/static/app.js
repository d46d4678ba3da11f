// The console's only script: live updates over server-sent events, the
// canned-reply picker of the reply box, and the 24-hour window countdown.
// Every page works without it; it adds what a server-rendered page cannot.
(function () {
  "use strict";
  var body = document.body;
  var api = body.dataset.api;

  // Live updates: when a conversation changes, fetch this page again and
  // swap the parts marked data-live (never the reply box being typed in).
  function refresh() {
    fetch(location.href, { credentials: "same-origin", headers: { "X-Requested-With": "live" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (el) {
          if (!el.id) return;
          var fresh = doc.getElementById(el.id);
          if (fresh) {
            var atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
            el.innerHTML = fresh.innerHTML;
            if (el.id === "transcript" && atBottom) el.scrollTop = el.scrollHeight;
          }
        });
        countdowns();
      })
      .catch(function () {});
  }
  var live = document.querySelectorAll("[data-live]");
  if (live.length && window.EventSource && api) {
    var leadEl = document.querySelector("[data-lead]");
    var lead = leadEl ? leadEl.dataset.lead : "";
    var pending = null;
    var es = new EventSource(api + "/events");
    es.addEventListener("lead", function (e) {
      var data = {};
      try { data = JSON.parse(e.data); } catch (_) { return; }
      if (lead && data.lead !== lead) return;
      clearTimeout(pending);
      pending = setTimeout(refresh, 150);
    });
    body.dataset.live = "connected";
  }
  var t = document.getElementById("transcript");
  if (t) t.scrollTop = t.scrollHeight;

  // The 24-hour window: "open for 3 h 12 min", updated every minute.
  function countdowns() {
    document.querySelectorAll("[data-until]").forEach(function (el) {
      var left = new Date(el.dataset.until) - new Date();
      if (left <= 0) { el.textContent = "24 h window closed"; return; }
      var h = Math.floor(left / 3600000), m = Math.floor(left / 60000) % 60;
      el.textContent = "24 h window open for " + h + " h " + (m < 10 ? "0" : "") + m + " min";
    });
  }
  countdowns();
  setInterval(countdowns, 60000);

  // Canned replies: "/" and a shortcut in the reply box offers them; Enter
  // or Tab takes the highlighted one, Escape closes the list.
  var box = document.getElementById("reply-text");
  var list = document.getElementById("canned-list");
  var src = document.getElementById("canned");
  if (box && list && src) {
    var canned = [];
    try { canned = JSON.parse(src.textContent) || []; } catch (_) {}
    var matches = [], sel = 0;
    function close() { list.hidden = true; matches = []; }
    function show() {
      list.innerHTML = "";
      matches.forEach(function (c, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === sel ? "true" : "false");
        li.textContent = "/" + c.shortcut + " — " + c.text;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); take(c); });
        list.appendChild(li);
      });
      list.hidden = matches.length === 0;
    }
    function take(c) { box.value = c.text; close(); box.focus(); }
    box.addEventListener("input", function () {
      var v = box.value;
      if (v.charAt(0) !== "/" || v.indexOf(" ") >= 0) { close(); return; }
      var q = v.slice(1).toLowerCase();
      matches = canned.filter(function (c) { return c.shortcut.toLowerCase().indexOf(q) === 0; });
      sel = 0;
      show();
    });
    box.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { sel = (sel + 1) % matches.length; show(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { sel = (sel + matches.length - 1) % matches.length; show(); e.preventDefault(); }
      else if (e.key === "Enter" || e.key === "Tab") { take(matches[sel]); e.preventDefault(); }
      else if (e.key === "Escape") { close(); }
    });
  }
})();
