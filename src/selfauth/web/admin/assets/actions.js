// A trigger's bindings page: drag a bound action to a new place and the new order is saved by
// submitting the page's order form (the same POST the server checks as a bindings PATCH). The
// up/down buttons do the same without JavaScript or a pointer, so this is only a shortcut.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const list = document.querySelector("ol.bindings[data-order-form]");
  if (!list) return;
  const form = document.getElementById(list.dataset.orderForm);
  const items = () => Array.from(list.querySelectorAll("li[data-action-id]"));
  let dragged = null;

  for (const item of items()) {
    item.draggable = true;
    item.addEventListener("dragstart", (event) => {
      dragged = item;
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.actionId);
    });
    item.addEventListener("dragend", () => {
      item.classList.remove("dragging");
      dragged = null;
    });
  }
  list.addEventListener("dragover", (event) => {
    if (!dragged) return;
    event.preventDefault();
    const over = event.target instanceof Element ? event.target.closest("li[data-action-id]") : null;
    if (!over || over === dragged) return;
    const box = over.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("drop", (event) => {
    if (!dragged) return;
    event.preventDefault();
    const order = items().map((item) => item.dataset.actionId).join(",");
    if (order === form.elements.order.value) return;
    form.elements.order.value = order;
    list.classList.add("saving");
    form.submit();
  });
});
