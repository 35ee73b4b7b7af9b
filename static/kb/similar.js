// "Copy resolution into reply": puts a past incident's resolution into the reply box
// (#reply-body, or the page's textarea[data-reply]) at the cursor. Any element with data-kb-insert works, however it was loaded.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-kb-insert]") : null;
    if (!button) return;
    var text = button.getAttribute("data-kb-insert") || "";
    var box = document.getElementById("reply-body") || document.querySelector("textarea[data-reply]");
    if (!box) {
      if (navigator.clipboard) navigator.clipboard.writeText(text);
      return;
    }
    var start = box.selectionStart || 0;
    var end = box.selectionEnd || 0;
    var before = box.value.slice(0, start);
    var glue = before && !/\n$/.test(before) ? "\n" : "";
    box.value = before + glue + text + box.value.slice(end);
    var caret = (before + glue + text).length;
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
