/* Keyboard shortcuts, the canned-response picker and small conveniences. No dependencies. */
(function () {
  "use strict";

  function typing(event) {
    var el = event.target;
    return el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
  }

  // The language switch reloads the page: what was typed in its forms (a request half written
  // on the public form) comes back instead of being lost. Only for this page, only once.
  var TYPED_KEY = "helpdesk:typed:" + window.location.pathname;
  var TYPED_FIELDS = "main form textarea, main form input[type=text], main form input[type=email], main form input[type=tel]";

  function keepTyped() {
    var typed = {};
    Array.prototype.forEach.call(document.querySelectorAll(TYPED_FIELDS), function (field) {
      if (field.name && field.value) { typed[field.name] = field.value; }
    });
    try { window.sessionStorage.setItem(TYPED_KEY, JSON.stringify(typed)); } catch (e) { /* storage off: nothing kept */ }
  }

  function restoreTyped() {
    var typed;
    try {
      typed = JSON.parse(window.sessionStorage.getItem(TYPED_KEY) || "null");
      window.sessionStorage.removeItem(TYPED_KEY);
    } catch (e) { return; }
    if (!typed) { return; }
    Array.prototype.forEach.call(document.querySelectorAll(TYPED_FIELDS), function (field) {
      if (field.name && !field.value && typeof typed[field.name] === "string") { field.value = typed[field.name]; }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", restoreTyped); } else { restoreTyped(); }


  // The queue's rows, after the ticket a search by number names (its line comes first).
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-href]")); }

  function select(index) {
    var all = rows();
    if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) { row.classList.toggle("selected", i === index); });
    all[index].scrollIntoView({ block: "nearest" });
  }

  function selectedIndex() {
    return rows().findIndex(function (row) { return row.classList.contains("selected"); });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.form) {
      event.preventDefault();
      event.target.form.requestSubmit();
      return;
    }
    if (event.key === "Escape" && typing(event)) {
      // Leaving the search box keeps the search: Chrome's own Esc empties a search field, and
      // the list without it lost the ticket just found by its number.
      if (event.target.matches("[data-search]")) event.preventDefault();
      event.target.blur();
      return;
    }
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    var go = function (selector) {
      var link = document.querySelector(selector);
      if (link) { event.preventDefault(); window.location = link.href; }
    };
    switch (event.key) {
      case "/": {
        var search = document.querySelector("[data-search]");
        if (search) { event.preventDefault(); search.focus(); search.select(); }
        break;
      }
      case "j": event.preventDefault(); select(selectedIndex() + 1); break;
      case "k": event.preventDefault(); select(selectedIndex() - 1); break;
      case "Enter":
      case "o": {
        // Enter on a focused link or button is theirs (a Take, a menu), not the cursor's.
        if (event.key === "Enter" && event.target.closest("a, button, summary")) break;
        var row = document.querySelector(".selected[data-href]");
        if (row) { event.preventDefault(); window.location = row.dataset.href; }
        break;
      }
      case "r": {
        var reply = document.querySelector("[data-reply]");
        if (reply) { event.preventDefault(); reply.focus(); }
        break;
      }
      case "n": go("[data-shortcut-new]"); break;
      case "c": go("[data-shortcut-console]"); break;
      case "]": go("[data-next-page]"); break;
      case "?": {
        var help = document.getElementById("shortcuts");
        if (help && help.showModal) { event.preventDefault(); help.showModal(); }
        break;
      }
    }
  });

  // A search by number: the cursor starts on the ticket it names (Enter opens it, j goes on
  // to the rows), unless it is already on a row.
  function cursorOnHit() {
    var hit = document.querySelector(".reference-hit[data-href]");
    if (hit && !document.querySelector(".selected[data-href]")) hit.classList.add("selected");
  }
  cursorOnHit();
  document.addEventListener("htmx:afterSettle", cursorOnHit);
  document.addEventListener("helpdesk:rows", cursorOnHit);

  document.addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-href]");
    if (row && !event.target.closest("a, button, input, label, form, td.pick")) { window.location = row.dataset.href; }
  });

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches("[data-autosubmit]")) {
      if (el.id === "language-switch") { keepTyped(); }
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
    if (el.matches("[data-canned]")) {
      var option = el.options[el.selectedIndex];
      var target = document.getElementById(el.dataset.canned);
      if (option && option.dataset.text && target) {
        var start = target.selectionStart || 0, end = target.selectionEnd || 0;
        var text = option.dataset.text;
        target.value = target.value.slice(0, start) + text + target.value.slice(end);
        target.focus();
        target.selectionStart = target.selectionEnd = start + text.length;
        target.dispatchEvent(new Event("input", { bubbles: true }));
      }
      el.selectedIndex = 0;
    }
    if (el.matches("[data-internal-toggle]")) {
      var box = el.closest(".reply-box");
      if (box) box.classList.toggle("is-internal", el.value === "true" && el.checked);
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var input = document.getElementById(button.dataset.copy);
    if (input) { input.select(); navigator.clipboard && navigator.clipboard.writeText(input.value); }
  });
})();

/* The SLA dashboard's period: dates apply only to a "Custom" period, so typing a date chooses
   it and choosing another period clears the dates (they were silently ignored). */
document.addEventListener("change", function (event) {
  var form = event.target.closest("form[data-period-form]");
  if (!form) return;
  var fields = form.elements, name = event.target.name;
  if ((name === "start" || name === "end") && event.target.value) { fields.period.value = "custom"; }
  if (name === "period" && fields.period.value !== "custom") { fields.start.value = ""; fields.end.value = ""; }
});

/* The print button of the breach export (no inline handlers: the CSP forbids them). */
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});

/* After a form error, the first invalid field gets the focus (and its closed panel opens). */
(function () {
  "use strict";
  var FIELDS = "input:not([type=hidden]), select, textarea";
  function firstInvalid() {
    var field = document.querySelector('main [aria-invalid="true"]');
    if (field) return field;
    var error = document.querySelector("main .has-error, main .errorlist, main .form-errors");
    if (!error) return null;
    var scope = error.closest(".has-error, .field, .field-inline, p") || error.closest("form");
    return (scope && scope.querySelector(FIELDS)) ||
      (error.closest("form") && error.closest("form").querySelector(FIELDS));
  }
  var field = firstInvalid();
  if (!field) return;
  var panel = field.closest("details");
  if (panel) panel.open = true;
  field.focus({ preventScroll: true });
  field.scrollIntoView({ block: "center" });
})();

/* Attachments: drop files on the field (progressive enhancement: the input works without it).
   Each chosen file is listed with its size; one over the limit or of another type is flagged
   before it is sent (the server checks again). */
(function () {
  "use strict";
  function size(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }
  function extension(name) {
    var dot = name.lastIndexOf(".");
    return dot < 0 ? "" : name.slice(dot + 1).toLowerCase();
  }
  function list(zone, input) {
    var out = zone.querySelector(".dropzone-files");
    if (!out) return;
    var max = parseInt(input.dataset.maxBytes || "0", 10);
    var allowed = (zone.dataset.extensions || "").split(" ");
    out.textContent = "";
    Array.prototype.forEach.call(input.files || [], function (file) {
      var item = document.createElement("li");
      item.textContent = file.name + " · " + size(file.size);
      var problem = max && file.size > max ? zone.dataset.tooLarge
        : allowed.indexOf(extension(file.name)) < 0 ? zone.dataset.wrongType : "";
      if (problem) {
        var flag = document.createElement("strong");
        flag.className = "dropzone-problem";
        flag.textContent = " — " + problem;
        item.appendChild(flag);
      }
      out.appendChild(item);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-dropzone]"), function (zone) {
    var input = zone.querySelector("input[type=file]");
    if (!input || typeof DataTransfer === "undefined") return;
    zone.classList.add("is-enhanced");
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-over");
      });
    });
    ["dragleave", "dragend", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("is-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      var dropped = event.dataTransfer && event.dataTransfer.files;
      if (!dropped || !dropped.length) return;
      var files = new DataTransfer();
      if (input.multiple) {
        Array.prototype.forEach.call(input.files || [], function (file) { files.items.add(file); });
        Array.prototype.forEach.call(dropped, function (file) { files.items.add(file); });
      } else {
        files.items.add(dropped[0]);
      }
      input.files = files.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    input.addEventListener("change", function () { list(zone, input); });
  });
})();

/* The reply being typed survives another action taken on the ticket page meanwhile (a Take, a
   transition, a refusal because a colleague acted first): each reloads the page, and the text
   was lost. It is kept in this tab until it is sent, with its kind (an internal note must not
   come back as a public reply). */
(function () {
  "use strict";
  var box = document.querySelector("form textarea[data-reply]");
  if (!box || !window.sessionStorage) return;
  var form = box.form;
  var key = "helpdesk.reply:" + new URL(form.action, window.location.href).pathname;

  function internal() {
    var toggle = form.querySelector('[data-internal-toggle][value="true"]');
    return !!(toggle && toggle.checked);
  }
  function save() {
    try {
      if (box.value.trim()) {
        window.sessionStorage.setItem(key, JSON.stringify({ body: box.value, internal: internal() }));
      } else {
        window.sessionStorage.removeItem(key);
      }
    } catch (e) { /* storage full or off: nothing kept */ }
  }

  var draft = null;
  try { draft = JSON.parse(window.sessionStorage.getItem(key) || "null"); } catch (e) { draft = null; }
  if (draft && draft.body && !box.value) {
    box.value = draft.body;
    var kind = form.querySelector('[data-internal-toggle][value="' + (draft.internal ? "true" : "false") + '"]');
    if (kind) { kind.checked = true; kind.dispatchEvent(new Event("change", { bubbles: true })); }
  }
  save();  // also a text the server gave back (a refused send)
  box.addEventListener("input", save);
  form.addEventListener("change", save);
  form.addEventListener("submit", function () {
    try { window.sessionStorage.removeItem(key); } catch (e) { /* nothing kept */ }
  });
})();
