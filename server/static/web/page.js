// Page behaviour kept out of inline handlers (the CSP forbids inline script): the period picker submits
// on change, [data-print] buttons print. Included by the pages that use them.
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]")) event.target.form.submit();
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
