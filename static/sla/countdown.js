/* SLA countdowns: ticks down every running clock rendered by templates/sla/_clocks.html.
   Amber from 75 % of the target (data-sla-at-risk), red from the due time (data-sla-due).
   The words come from the list's data attributes (sla_countdown_texts), in the page's
   language: "7 h 55 min left" / "7 h 55 min restantes", "overdue" / "vencida".
   No dependencies; works on content swapped in by htmx too (it re-scans every tick). */
(function () {
  "use strict";
  var fallback = {
    slaOverdue: "overdue",
    slaLeftOne: "%(time)s left",
    slaLeftOther: "%(time)s left",
    slaDh: "%(d)d d %(h)d h",
    slaHm: "%(h)d h %(m)02d min",
    slaMs: "%(m)d min %(s)02d s"
  };

  function text(list, key) {
    return (list && list.dataset[key]) || fallback[key];
  }

  // Python's "%(name)d", "%(name)02d" and "%(name)s" placeholders.
  function fill(template, values) {
    return template.replace(/%\((\w+)\)(02)?([ds])/g, function (match, name, pad) {
      var value = values[name];
      return pad && value < 10 ? "0" + value : String(value);
    });
  }

  function format(list, ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    var time;
    if (d > 0) time = fill(text(list, "slaDh"), { d: d, h: h });
    else if (h > 0) time = fill(text(list, "slaHm"), { h: h, m: m });
    else time = fill(text(list, "slaMs"), { m: m, s: sec });
    return fill(text(list, s === 1 ? "slaLeftOne" : "slaLeftOther"), { time: time });
  }

  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll('.sla-clock[data-sla-state="running"]');
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var due = Date.parse(el.getAttribute("data-sla-due"));
      var atRisk = Date.parse(el.getAttribute("data-sla-at-risk"));
      if (isNaN(due)) continue;
      var list = el.closest(".sla-clocks");
      var out = el.querySelector(".sla-countdown");
      var late = now > due;
      el.classList.toggle("sla-red", late);
      el.classList.toggle("sla-amber", !late && !isNaN(atRisk) && now >= atRisk);
      if (out) out.textContent = late ? text(list, "slaOverdue") : format(list, due - now);
    }
  }

  tick();
  window.setInterval(tick, 1000);
})();
