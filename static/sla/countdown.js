/* SLA countdowns: ticks down every running clock rendered by templates/sla/_clocks.html.
   Amber from 75 % of the target (data-sla-at-risk), red from the due time (data-sla-due).
   No dependencies; works on content swapped in by htmx too (it re-scans every tick). */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var overdueText = lang.indexOf("es") === 0 ? "vencido" : "overdue";
  var leftText = lang.indexOf("es") === 0 ? "restante" : "left";

  function format(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d > 0) return d + "d " + h + "h";
    if (h > 0) return h + "h " + (m < 10 ? "0" : "") + m + "m";
    return m + "m " + (sec < 10 ? "0" : "") + sec + "s";
  }

  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll('.sla-clock[data-sla-state="running"]');
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var due = Date.parse(el.getAttribute("data-sla-due"));
      var atRisk = Date.parse(el.getAttribute("data-sla-at-risk"));
      if (isNaN(due)) continue;
      var out = el.querySelector(".sla-countdown");
      var late = now > due;
      el.classList.toggle("sla-red", late);
      el.classList.toggle("sla-amber", !late && !isNaN(atRisk) && now >= atRisk);
      if (out) out.textContent = late ? overdueText : format(due - now) + " " + leftText;
    }
  }

  tick();
  window.setInterval(tick, 1000);
})();
