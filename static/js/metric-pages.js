// Metric pages: show the parameter fields of the chosen MetricFlow type, and let htmx swap
// in the readable refusals (400/403/409) the server sends for forms marked data-swap-errors.
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || select.name !== "metric_type") return;
  const form = select.closest("form");
  form?.querySelectorAll("fieldset[data-type]").forEach((fs) => { fs.hidden = fs.dataset.type !== select.value; });
});
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if ([400, 403, 409].includes(status) && event.detail.requestConfig.elt.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
