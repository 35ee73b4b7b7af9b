/* The live queue: ask the server every few seconds whether what this console shows changed
   (If-None-Match: a 304 costs nothing to render); when it did, put the new rows in place keeping
   the ticked boxes, the keyboard cursor and the focus, update the tab counts, and announce the P1
   tickets of the agent's tiers not seen yet (a banner read out by screen readers, and a sound
   when the agent turned it on: remembered in this browser). Words come from data- attributes. */
(function () {
  "use strict";

  var root = document.getElementById("live");
  if (!root || !window.fetch || !window.DOMParser) return;
  var url = root.dataset.url;
  var every = (parseInt(root.dataset.seconds, 10) || 4) * 1000;
  var etag = root.dataset.etag || "";
  var alertBox = document.getElementById("p1-alert");
  var soundButton = root.querySelector("[data-live-sound]");
  var SOUND_KEY = "helpdesk.p1-sound";
  var known = {};
  var timer = null;
  var busy = false;
  var failures = 0;
  var stopped = false;

  function p1Items(scope) {
    return Array.prototype.slice.call(scope.querySelectorAll("[data-live-p1] [data-p1]"));
  }
  // The P1 tickets already open when the page was drawn are in its list: not news.
  p1Items(root).forEach(function (item) { known[item.dataset.p1] = true; });

  // --- sound: a short two-tone chime made with WebAudio (no file, no CDN) ---
  var audio = null;

  function soundOn() {
    try { return window.localStorage.getItem(SOUND_KEY) === "on"; } catch (e) { return false; }
  }

  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume();
    return audio;
  }

  function chime() {
    root.dataset.chimes = String((parseInt(root.dataset.chimes, 10) || 0) + 1);
    var context = audioContext();
    if (!context) return;
    [880, 660].forEach(function (frequency, i) {
      var start = context.currentTime + i * 0.22;
      var tone = context.createOscillator();
      var gain = context.createGain();
      tone.type = "sine";
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.2);
      tone.connect(gain);
      gain.connect(context.destination);
      tone.start(start);
      tone.stop(start + 0.21);
    });
  }

  function showSound() {
    if (soundButton) soundButton.setAttribute("aria-pressed", soundOn() ? "true" : "false");
  }

  if (soundButton) {
    soundButton.addEventListener("click", function () {
      var on = !soundOn();
      try { window.localStorage.setItem(SOUND_KEY, on ? "on" : "off"); } catch (e) { /* private mode */ }
      showSound();
      if (on) chime();  // the click lets the browser play sound from now on; and a preview
    });
    showSound();
  }
  // Browsers start audio only after a gesture: the agent's first key or click wakes it.
  function wake() {
    if (soundOn()) audioContext();
    document.removeEventListener("keydown", wake);
    document.removeEventListener("click", wake);
  }
  document.addEventListener("keydown", wake);
  document.addEventListener("click", wake);

  // --- the P1 announcement ---
  function dismissButton() {
    var button = alertBox.querySelector("[data-p1-dismiss]");
    if (button) return button;
    button = document.createElement("button");
    button.type = "button";
    button.className = "btn small";
    button.setAttribute("data-p1-dismiss", "");
    button.textContent = root.dataset.dismiss;
    button.addEventListener("click", function () { alertBox.textContent = ""; });
    return button;
  }

  function announce(items) {
    var fresh = items.filter(function (item) { return !known[item.dataset.p1]; });
    if (!fresh.length || !alertBox) return;
    fresh.forEach(function (item) {
      known[item.dataset.p1] = true;
      var line = document.createElement("p");
      line.setAttribute("data-p1", item.dataset.p1);
      line.appendChild(document.createTextNode(root.dataset.newP1 + ": "));
      var link = document.createElement("a");
      link.href = item.dataset.url;
      link.textContent = item.dataset.ref;
      line.appendChild(link);
      var title = document.createElement("span");
      title.setAttribute("dir", "auto");
      title.textContent = " " + item.textContent;
      line.appendChild(title);
      alertBox.appendChild(line);
    });
    alertBox.appendChild(dismissButton());  // (moved) always last
    if (soundOn()) chime();
  }

  // --- the rows, the counts ---
  var FOCUSABLE = ["input[data-bulk-row]", "button[data-take]", "a.title"];

  function swapRows(results, fresh) {
    var ticked = {};
    Array.prototype.forEach.call(results.querySelectorAll("input[data-bulk-row]:checked"), function (box) {
      ticked[box.value] = true;
    });
    var before = {};
    Array.prototype.forEach.call(results.querySelectorAll("tr[data-ticket]"), function (row) {
      before[row.dataset.ticket] = true;
    });
    var cursor = results.querySelector("tr.selected[data-ticket]");
    var cursorId = cursor ? cursor.dataset.ticket : null;
    var focus = null;
    var active = document.activeElement;
    if (active && results.contains(active)) {
      var activeRow = active.closest("tr[data-ticket]");
      var selector = FOCUSABLE.filter(function (s) { return active.matches(s); })[0];
      if (active.matches("input[data-bulk-all]")) focus = { selector: "input[data-bulk-all]" };
      else if (activeRow && selector) focus = { row: activeRow.dataset.ticket, selector: selector };
    }

    results.innerHTML = fresh.innerHTML;

    Array.prototype.forEach.call(results.querySelectorAll("tr[data-ticket]"), function (row) {
      var id = row.dataset.ticket;
      var box = row.querySelector("input[data-bulk-row]");
      if (box && ticked[id]) box.checked = true;
      if (id === cursorId) row.classList.add("selected");
      if (!before[id]) row.classList.add("live-new");
    });
    if (focus) {
      var scope = focus.row ? results.querySelector('tr[data-ticket="' + focus.row + '"]') : results;
      var target = scope && scope.querySelector(focus.selector);
      if (target) target.focus({ preventScroll: true });
    }
    if (window.htmx) window.htmx.process(results);
    if (window.helpdeskBulk) window.helpdeskBulk.refreshCount();
    document.dispatchEvent(new Event("helpdesk:rows"));  // app.js: the cursor on a found ticket
  }

  function apply(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("[data-live-results]");
    var results = document.getElementById("results");
    if (fresh && results) swapRows(results, fresh);
    Array.prototype.forEach.call(doc.querySelectorAll("[data-live-counts] .count[id]"), function (count) {
      var shown = document.getElementById(count.id);
      if (shown && shown.textContent !== count.textContent) shown.textContent = count.textContent;
    });
    announce(p1Items(doc));
  }

  // --- the poll ---
  function htmxBusy() { return !!document.querySelector(".htmx-request"); }

  // Requests that redraw the rows (a filter, a page, the refresh after a bulk action) or change
  // the desk (a bulk action, a Take) are counted: a poll answer rendered before one of them
  // started is older than what it drew, even when it arrives after that request finished.
  var redraws = 0;
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail && event.detail.target;
    if (target && (target.id === "results" || target.id === "bulk-outcome")) redraws += 1;
  });

  function schedule(delay) {
    window.clearTimeout(timer);
    if (!stopped) timer = window.setTimeout(poll, delay);
  }

  function poll() {
    if (document.hidden) return;  // visibilitychange starts again
    // A filter, a page or a bulk action on its way: its answer is newer than ours would be.
    if (busy || htmxBusy()) { schedule(every); return; }
    busy = true;
    var search = window.location.search;
    var redrawsBefore = redraws;
    var headers = {};
    if (etag) headers["If-None-Match"] = etag;
    window.fetch(url + search, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 304) return null;
        if (response.status === 403 || response.status === 404) { stopped = true; return null; }
        if (!response.ok) throw new Error(String(response.status));
        var tag = response.headers.get("ETag") || "";
        return response.text().then(function (html) { return { tag: tag, html: html }; });
      })
      .then(function (answer) {
        failures = 0;
        // The agent changed the filters meanwhile: this answer is for the old list.
        // Or a redraw started since we asked: its answer (or its own, still coming) is newer.
        if (!answer || window.location.search !== search || htmxBusy()) return;
        if (redraws !== redrawsBefore) return;
        etag = answer.tag;
        apply(answer.html);
      })
      .catch(function () { failures += 1; })
      .then(function () {
        busy = false;
        // How many polls were answered: a test waits on it instead of on the poll's interval.
        root.dataset.polls = String((parseInt(root.dataset.polls, 10) || 0) + 1);
        // The server or the network is down: ask less often, up to a minute apart.
        schedule(Math.min(every * Math.pow(2, failures), 60000));
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) schedule(0);
  });
  window.helpdeskLive = { poll: poll };
  schedule(every);
})();
