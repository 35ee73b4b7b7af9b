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

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr[data-href]")); }

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
    if (event.key === "Escape" && typing(event)) { event.target.blur(); return; }
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
        var row = document.querySelector("tr.selected[data-href]");
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
