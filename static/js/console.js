/* The console's bulk bar: tick rows (or all on the page), pick an action, see each row's outcome.
   Progressive: without JavaScript the form still posts (every field shown, no select-all). */
(function () {
  "use strict";

  var form = document.getElementById("bulk-form");
  if (!form) return;
  var actionSelect = form.querySelector("[data-bulk-action]");
  var counter = form.querySelector("[data-bulk-count]");

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("input[data-bulk-row]"));
  }

  function refreshCount() {
    var all = boxes();
    var ticked = all.filter(function (box) { return box.checked; });
    all.forEach(function (box) {
      var row = box.closest("tr");
      if (row) row.classList.toggle("checked", box.checked);
    });
    var every = document.querySelector("input[data-bulk-all]");
    if (every) {
      every.checked = all.length > 0 && ticked.length === all.length;
      every.indeterminate = ticked.length > 0 && ticked.length < all.length;
    }
    counter.textContent = ticked.length ? ticked.length + " " + counter.dataset.some : counter.dataset.none;
    form.classList.toggle("has-selection", ticked.length > 0);
  }

  function showFields() {
    var action = actionSelect.value;
    Array.prototype.forEach.call(form.querySelectorAll("[data-bulk-for]"), function (field) {
      var wanted = field.dataset.bulkFor.split(" ").indexOf(action) >= 0;
      field.hidden = !wanted;
      Array.prototype.forEach.call(field.querySelectorAll("input, select"), function (input) {
        input.disabled = !wanted;
      });
    });
  }

  function setAll(checked) {
    boxes().forEach(function (box) { box.checked = checked; });
    refreshCount();
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("input[data-bulk-all]")) setAll(event.target.checked);
    else if (event.target.matches("input[data-bulk-row]")) refreshCount();
    else if (event.target === actionSelect) showFields();
  });

  // A click anywhere in the tick cell ticks the row (the row itself opens the ticket).
  document.addEventListener("click", function (event) {
    var cell = event.target.closest("td.pick");
    if (!cell || event.target.matches("input")) return;
    var box = cell.querySelector("input[data-bulk-row]");
    if (box) { box.checked = !box.checked; refreshCount(); }
  });

  // After a bulk action the list reloads with the same filters (the outcome panel stays).
  document.body.addEventListener("bulk-done", function () {
    if (window.htmx) {
      window.htmx.ajax("GET", window.location.href, { target: "#results", swap: "innerHTML" });
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "results") refreshCount();
  });

  window.helpdeskBulk = { setAll: setAll, refreshCount: refreshCount, showFields: showFields };
  showFields();
  refreshCount();
})();
