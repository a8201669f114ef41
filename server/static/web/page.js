// Page behaviour kept out of inline handlers (the CSP forbids inline script): the period picker submits
// on change, [data-print] buttons print, [data-check-all=SELECTOR] boxes tick every box SELECTOR finds.
// Included by the pages that use them (maybe more than once: it registers its handlers once).
if (!window.lianhuPageScript) {
  window.lianhuPageScript = true;
  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-autosubmit]")) event.target.form.submit();
  });
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) window.print();
    const all = event.target.closest("[data-check-all]");
    if (all) for (const box of document.querySelectorAll(all.dataset.checkAll)) box.checked = all.checked;
  });
}
