/* The print button (no inline handlers: the CSP forbids them). */
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});
