// Keyboard shortcut: "/" focuses the global search box unless the user is typing.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
  const box = document.querySelector("[data-global-search]");
  if (box) { event.preventDefault(); box.focus(); box.select(); }
});
