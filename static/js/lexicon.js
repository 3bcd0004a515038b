// Global search: "/" focuses the box; the type-ahead list is driven by the keyboard
// (ArrowDown/ArrowUp move, Enter opens the highlighted result, Escape closes the list).
(function () {
  const box = () => document.querySelector("[data-global-search]");
  const list = () => document.getElementById("global-suggest");
  const options = () => Array.from(list()?.querySelectorAll('[role="option"]') || []);

  function setOpen(open) {
    const input = box();
    if (!input || !list()) return;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    list().classList.toggle("open", open);
    if (!open) input.removeAttribute("aria-activedescendant");
  }

  function activate(index) {
    const items = options();
    items.forEach((item, i) => item.setAttribute("aria-selected", i === index ? "true" : "false"));
    const current = items[index];
    if (current) box().setAttribute("aria-activedescendant", current.id);
  }

  function activeIndex() {
    return options().findIndex((item) => item.getAttribute("aria-selected") === "true");
  }

  document.addEventListener("keydown", (event) => {
    const input = box();
    if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey) {
      const target = event.target;
      if (target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
      if (input) { event.preventDefault(); input.focus(); input.select(); }
      return;
    }
    if (event.target !== input) return;
    const items = options();
    if (event.key === "ArrowDown" && items.length) {
      event.preventDefault(); setOpen(true); activate(Math.min(activeIndex() + 1, items.length - 1));
    } else if (event.key === "ArrowUp" && items.length) {
      event.preventDefault(); activate(Math.max(activeIndex() - 1, 0));
    } else if (event.key === "Enter" && activeIndex() >= 0) {
      event.preventDefault(); window.location.assign(items[activeIndex()].href);
    } else if (event.key === "Escape") {
      setOpen(false);
    }
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target === list()) setOpen(options().length > 0 || !!list().textContent.trim());
  });
  document.addEventListener("click", (event) => {
    if (list() && !list().contains(event.target) && event.target !== box()) setOpen(false);
  });
})();

// Asset tabs: mark the clicked tab as selected when HTMX swaps its panel in.
document.addEventListener("htmx:beforeRequest", (event) => {
  const tab = event.detail.elt;
  if (!(tab instanceof HTMLElement) || tab.getAttribute("role") !== "tab") return;
  tab.parentElement.querySelectorAll('[role="tab"]').forEach((t) => t.setAttribute("aria-selected", t === tab ? "true" : "false"));
});

// "Back" links: go back in history when there is a page to go back to (the href is the fallback).
// A listener, not a javascript: URL, so that the Content-Security-Policy needs no 'unsafe-inline'.
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[data-history-back]") : null;
  if (link && window.history.length > 1) { event.preventDefault(); window.history.back(); }
});

// A read-only field whose whole value is meant to be copied (a new API token's key).
document.addEventListener("focusin", (event) => {
  if (event.target instanceof HTMLInputElement && event.target.hasAttribute("data-select-on-focus")) event.target.select();
});
