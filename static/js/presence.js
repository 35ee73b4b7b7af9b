/* The ticket page's presence (tickets/presence.py). htmx posts the heartbeat form on load and
   every few seconds; this adds whether the agent is typing a reply (a keystroke within the last
   heartbeat), sends a heartbeat at once when they start, skips swaps that change nothing (the
   live region would repeat itself) and says goodbye when the page goes away. Without
   JavaScript the page works as before, without presence. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-presence]");
  if (!form) return;
  var typingField = form.querySelector("[data-presence-typing]");
  var reply = document.querySelector("textarea[data-reply]");
  var seconds = parseInt((form.getAttribute("hx-trigger").match(/every (\d+)s/) || [0, 5])[1], 10);
  var lastKey = 0;
  var lastAnswer = null;

  function typingNow() { return Date.now() - lastKey < seconds * 1000; }

  if (reply) {
    reply.addEventListener("input", function () {
      var wasTyping = typingNow();
      lastKey = Date.now();
      if (!wasTyping && window.htmx) window.htmx.trigger(form, "presence-now");
    });
  }

  form.addEventListener("htmx:configRequest", function (event) {
    event.detail.parameters.typing = typingNow() ? "1" : "0";
    typingField.value = event.detail.parameters.typing;
  });

  form.addEventListener("htmx:beforeSwap", function (event) {
    var text = event.detail.xhr.responseText;
    if (text === lastAnswer) event.detail.shouldSwap = false;
    lastAnswer = text;
  });

  window.addEventListener("pagehide", function () {
    if (!navigator.sendBeacon) return;
    var data = new FormData(form);
    data.set("leave", "1");
    navigator.sendBeacon(form.getAttribute("hx-post"), data);
  });

  /* A reply held back because the ticket changed: the list of changes gets the focus (read
     first); Tab goes on to the kept text and the "Send anyway" button. */
  var changed = document.querySelector("[data-changed-since]");
  if (changed) {
    changed.focus({ preventScroll: true });
    changed.scrollIntoView({ block: "center" });
  }
})();
