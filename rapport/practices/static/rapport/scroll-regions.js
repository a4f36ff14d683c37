// A table wider than the screen scrolls sideways inside its box. Someone using only a keyboard
// can scroll that box only once it takes focus (WCAG 2.1.1), and a screen reader should say what
// the box holds, so a box that scrolls becomes a named, focusable region; one that fits does not
// add a stop to the Tab order.
(function () {
  "use strict";
  function nameOf(box) {
    var caption = box.querySelector("caption");
    if (caption) { return caption.textContent.trim(); }
    var section = box.closest("section, .card");
    var heading = section && section.querySelector("h2, h3");
    return heading ? heading.textContent.trim() : "";
  }
  function mark() {
    document.querySelectorAll(".table-wrap, table.report-table").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
        if (box.tagName !== "TABLE") {
          box.setAttribute("role", "region");
          var name = nameOf(box);
          if (name) { box.setAttribute("aria-label", name); }
        }
      } else if (box.hasAttribute("tabindex")) {
        box.removeAttribute("tabindex");
        if (box.tagName !== "TABLE") {
          box.removeAttribute("role");
          box.removeAttribute("aria-label");
        }
      }
    });
  }
  mark();
  document.addEventListener("htmx:afterSettle", mark);
  var timer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(mark, 150);
  });
})();
