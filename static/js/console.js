/* The console's bulk bar: tick rows (or all on the page), pick an action, see each row's outcome.
   Progressive: without JavaScript the form still posts (every field shown, no select-all). */
(function () {
  "use strict";

  var form = document.getElementById("bulk-form");
  if (!form) return;  // not the queue (a ticket page): only the shortcuts below
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
    // English and Spanish need three texts (none, one, many); the count goes inside the translation.
    var n = ticked.length;
    counter.textContent = n === 0 ? counter.dataset.none : n === 1 ? counter.dataset.one : counter.dataset.some.replace("__N__", n);
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
    // Back to the list: the keys (j/k, x, t…) work again without leaving a field first.
    if (form.contains(document.activeElement)) document.activeElement.blur();
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

/* Keyboard shortcuts of the agent's pages (press ? for the list; app.js has j/k, Enter, /, r…).
   The queue: x ticks the row under the cursor, X all on the page, Esc none; t takes the ticked
   rows (or the row under the cursor); a g p e h s m choose a bulk action and put the cursor in
   its field (Enter applies it). A ticket: t a e h s m open that action (take goes at once). */
(function () {
  "use strict";

  var BULK_KEYS = { a: "assign", g: "category", p: "priority", e: "escalate", h: "hold", s: "resolve", m: "merge" };
  var BULK_FIELD = {
    assign: "#bulk-assignee", category: "#bulk-category", priority: "#bulk-priority",
    escalate: "#bulk-reason", hold: "#bulk-reason", resolve: "#bulk-summary", merge: "#bulk-into"
  };
  var TICKET_KEYS = { t: "take", a: "start_diagnosis", e: "escalate", h: "hold", s: "resolve", m: "merge" };

  function typing(event) {
    var el = event.target;
    return el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
  }

  function cursorRow(create) {
    var row = document.querySelector("tr.selected[data-href]");
    if (!row && create) {
      row = document.querySelector("tr[data-href]");
      if (row) {
        // The cursor moves from the line of a ticket found by its number (not a row).
        Array.prototype.forEach.call(document.querySelectorAll(".selected[data-href]"), function (other) {
          other.classList.remove("selected");
        });
        row.classList.add("selected");
      }
    }
    return row;
  }

  function changed(input) { input.dispatchEvent(new Event("change", { bubbles: true })); }

  function tickedCount() { return document.querySelectorAll("input[data-bulk-row]:checked").length; }

  function chooseAction(form, action) {
    var select = form.querySelector("[data-bulk-action]");
    select.value = action;
    changed(select);
    var field = form.querySelector(BULK_FIELD[action] || "[data-bulk-submit]");
    if (field) field.focus();
  }

  function queueKeys(event, form) {
    var key = event.key;
    if (key === "x") {
      var row = cursorRow(true);
      var box = row && row.querySelector("input[data-bulk-row]");
      if (box) { event.preventDefault(); box.checked = !box.checked; changed(box); }
    } else if (key === "X" || (key === "Escape" && tickedCount())) {
      // Esc keeps its default (closing the menu, a popover) and only unticks what is ticked.
      var every = document.querySelector("input[data-bulk-all]");
      if (every) {
        if (key === "X") event.preventDefault();
        every.checked = key === "X" ? !every.checked : false;
        changed(every);
      }
    } else if (key === "t") {
      event.preventDefault();
      if (tickedCount()) {
        chooseAction(form, "take");
        form.requestSubmit();
      } else {
        var current = cursorRow(false);
        var take = current && current.querySelector("button[data-take]");
        if (take) take.click();
      }
    } else if (BULK_KEYS[key]) {
      event.preventDefault();
      chooseAction(form, BULK_KEYS[key]);
    }
  }

  function ticketKeys(event, actions) {
    var name = TICKET_KEYS[event.key];
    var panel = name && actions.querySelector('details[data-action="' + name + '"]');
    if (!panel) return;
    event.preventDefault();
    panel.open = true;
    var field = panel.querySelector("form input:not([type=hidden]), form select, form textarea");
    if (field) { field.focus(); return; }
    var submit = panel.querySelector("button[data-action-submit]");
    if (submit) submit.click();  // nothing to ask (take): it goes at once
  }

  document.addEventListener("keydown", function (event) {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector("dialog[open]")) return;
    var form = document.getElementById("bulk-form");
    if (form) { queueKeys(event, form); return; }
    var actions = document.querySelector("[data-testid=actions]");
    if (actions) ticketKeys(event, actions);
  });
})();

/* Saved views (templates/savedviews/_console_views.html): v goes to the list, 1–9 open a view,
   Shift+v opens "Save view" on its name field, d makes the current view the default (or not).
   The save form takes the filters from the address bar: htmx pushes each filter change there. */
(function () {
  "use strict";

  var panel = document.querySelector("[data-testid=saved-views]");
  if (!panel) return;

  function typing(event) {
    var el = event.target;
    return el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
  }

  function currentQuery() {
    return window.location.search.replace(/^\?/, "").split("&").filter(function (pair) {
      var key = pair.split("=")[0];
      return pair && key !== "cursor" && key !== "view";
    }).join("&");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-save-view-form]");
    if (!form) return;
    var query = form.querySelector("[data-view-query]");
    if (query && window.location.search) query.value = currentQuery();
  });

  // A filter changed: the list no longer shows the saved view it was opened from.
  var filters = document.querySelector("[data-testid=filters]");
  if (filters) {
    filters.addEventListener("change", function () {
      Array.prototype.forEach.call(panel.querySelectorAll("[data-view-link][aria-current]"), function (link) {
        link.removeAttribute("aria-current");
      });
    });
  }

  function currentView() {
    var link = panel.querySelector("[data-view-link][aria-current]");
    return link && link.closest("[data-view]");
  }

  document.addEventListener("keydown", function (event) {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector("dialog[open]")) return;
    var key = event.key;
    if (key === "v") {
      var link = panel.querySelector("[data-view-link][aria-current]") ||
        panel.querySelector("[data-view-link]") || panel.querySelector("[data-save-view] summary");
      if (link) { event.preventDefault(); link.focus(); }
    } else if (key === "V") {
      var save = panel.querySelector("[data-save-view]");
      if (save) {
        event.preventDefault();
        save.open = true;
        save.querySelector("input[name=name]").focus();
      }
    } else if (/^[1-9]$/.test(key)) {
      var target = panel.querySelector('[data-view-key="' + key + '"]');
      if (target) { event.preventDefault(); window.location = target.href; }
    } else if (key === "d") {
      var view = currentView();
      var button = view && view.querySelector("[data-view-default]");
      if (button) { event.preventDefault(); button.click(); }
    }
  });
})();

/* Back and Forward between filters: htmx restores its copy of the page, whose filter fields
   show what the server first rendered (a typed search or a picked filter is not in the HTML),
   so the rows of one search showed under an empty search box, and the next change of filter
   dropped that search. The fields are set from the restored address. */
document.addEventListener("htmx:historyRestore", function () {
  "use strict";
  var form = document.querySelector("form[data-testid=filters]");
  if (!form) return;
  var params = new URLSearchParams(window.location.search);
  Array.prototype.forEach.call(form.elements, function (field) {
    if (!field.name || field.type === "submit" || field.type === "button") return;
    var value = params.has(field.name) ? params.get(field.name) : null;
    if (field.tagName === "SELECT") {
      Array.prototype.forEach.call(field.options, function (option) {
        option.selected = value === null ? option.defaultSelected : option.value === value;
      });
    } else {
      field.value = value === null ? field.defaultValue : value;
    }
  });
});
