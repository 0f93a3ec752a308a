// Application Metadata's editor: "Add a row" and each row's "Remove" (the page works without
// them: it always has one empty row, and emptying a row removes its pair). The server checks
// the limits; the page only keeps the add button from offering more rows than keys allowed.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const rows = document.querySelector(".metadata-rows");
  const add = document.getElementById("add-row");
  if (!rows || !add) return;
  const wire = (row) => {
    const remove = row.querySelector(".remove-row");
    if (!remove) return;
    remove.hidden = false;
    remove.addEventListener("click", () => {
      const others = rows.querySelectorAll(".metadata-row");
      if (others.length > 1) {
        row.remove();
      } else {
        row.querySelectorAll("input").forEach((input) => { input.value = ""; });
      }
    });
  };
  rows.querySelectorAll(".metadata-row").forEach(wire);
  add.hidden = false;
  add.addEventListener("click", () => {
    const last = rows.querySelector(".metadata-row:last-of-type");
    if (!last) return;
    const row = last.cloneNode(true);
    row.querySelectorAll("input").forEach((input) => {
      input.value = "";
      input.setAttribute("aria-label", input.name === "key" ? "New key" : "New value");
    });
    rows.appendChild(row);
    wire(row);
    row.querySelector("input").focus();
  });
});
