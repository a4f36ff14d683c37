// Keeps a server-side draft of a measure form while it is being filled in, so that a reload or a
// dropped connection loses nothing. Without JavaScript the "Save and finish later" button does it.
(function () {
  "use strict";
  document.querySelectorAll("form.answers").forEach(function (form) {
    var timer = null;
    function save() {
      var data = new FormData(form);
      data.set("action", "draft");
      fetch(form.getAttribute("action") || window.location.href, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-Rapport-Autosave": "1" },
      }).catch(function () { /* the next change tries again */ });
    }
    function later(delay) {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, delay);
    }
    form.addEventListener("change", function () { later(300); });
    form.addEventListener("input", function (event) {
      if (event.target.tagName === "TEXTAREA") { later(1500); }
    });
    form.addEventListener("submit", function () { window.clearTimeout(timer); });
  });
})();
