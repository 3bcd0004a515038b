// PII review queue: "select all on this page" ticks every row's checkbox (they belong to
// the bulk form through their form= attribute). Delegated, so it survives htmx swaps.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll) return;
  document.querySelectorAll(`input[name="ids"][form="${box.dataset.selectAll}"]`).forEach((item) => {
    item.checked = box.checked;
  });
});
