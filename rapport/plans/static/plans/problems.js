// Drag a problem to reorder the list; the new order is posted to the server. Without
// JavaScript, the up/down buttons do the same one step at a time.
(function () {
  "use strict";
  const list = document.querySelector(".problem-list[data-reorder-url]");
  if (!list || !list.dataset.reorderUrl) return;
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  let dragged = null;

  function order() {
    return Array.from(list.querySelectorAll(".problem")).map((li) => li.dataset.problemId);
  }

  function save() {
    const body = new URLSearchParams({ order: order().join(",") });
    fetch(list.dataset.reorderUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf ? csrf.value : "", Accept: "application/json" },
      body: body,
      credentials: "same-origin",
    }).then((response) => {
      if (response.ok) window.location.reload();
    });
  }

  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest(".problem");
    if (dragged) dragged.classList.add("dragging");
  });
  list.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
  });
  list.addEventListener("dragover", (event) => {
    event.preventDefault();
    const over = event.target.closest(".problem");
    if (!dragged || !over || over === dragged) return;
    const box = over.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("drop", (event) => {
    event.preventDefault();
    const before = list.dataset.lastOrder;
    const now = order().join(",");
    if (now !== before) {
      list.dataset.lastOrder = now;
      save();
    }
  });
  list.dataset.lastOrder = order().join(",");
})();
