// Staff are signed out after a time without activity (settings.RAPPORT_STAFF_IDLE_TIMEOUT). This
// warns before that moment with a button that keeps the session (a POST that counts as activity,
// the page and its forms untouched). If the moment passes anyway, the text typed into the page's
// text boxes is kept in this tab's sessionStorage (gone when the tab closes; never localStorage,
// which outlives the session) and put back after signing in again, on the same page.
(function () {
  "use strict";
  var KEY = "rapport-unsent:" + location.pathname;
  var box = document.getElementById("idle-warning");
  var restored = document.getElementById("idle-restored");
  if (!box) { return; }
  var seconds = function (name) { return Number(box.dataset[name]) * 1000; };
  var deadline = Date.now() + seconds("left");
  var timer = null;
  var before = null;  // what had focus when the warning took it

  function show(part) {
    box.hidden = false;
    box.querySelectorAll(".idle-soon").forEach(function (el) { el.hidden = part !== "soon"; });
    box.querySelectorAll(".idle-ended").forEach(function (el) { el.hidden = part !== "ended"; });
  }

  function hide() {
    box.hidden = true;
    if (before && document.contains(before)) { before.focus(); }
    before = null;
  }

  function keep() {
    var typed = {};
    var any = false;
    document.querySelectorAll("main form textarea[name]").forEach(function (field) {
      if (field.value.trim() && !box.contains(field)) {
        typed[field.form.getAttribute("action") + "|" + field.name] = field.value;
        any = true;
      }
    });
    if (any) { sessionStorage.setItem(KEY, JSON.stringify(typed)); }
  }

  function restore() {
    var saved = sessionStorage.getItem(KEY);
    if (!saved) { return; }
    sessionStorage.removeItem(KEY);
    var typed = JSON.parse(saved);
    var back = false;
    document.querySelectorAll("main form textarea[name]").forEach(function (field) {
      var text = typed[field.form.getAttribute("action") + "|" + field.name];
      if (text && !field.value.trim()) {
        field.value = text;
        back = true;
      }
    });
    if (back && restored) { restored.hidden = false; }
  }

  function tick() {
    var left = deadline - Date.now();
    if (left <= 0) {
      keep();
      var signIn = box.querySelector(".idle-ended a");
      signIn.href = signIn.pathname + "?next=" + encodeURIComponent(location.pathname + location.search);
      show("ended");
      signIn.focus();  // said by a screen reader, and one key from signing in again
      return;
    }
    if (left <= seconds("warn") && box.hidden) {
      before = document.activeElement;
      show("soon");
      box.querySelector(".idle-soon button").focus();
    }
    timer = setTimeout(tick, Math.min(1000, left));
  }

  box.querySelector("form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual",
    }).then(function (response) {
      if (response.status === 204) {
        deadline = Date.now() + seconds("limit");
        hide();
      } else {
        deadline = Date.now();  // already ended on the server
      }
    }, function () { /* offline: the warning stays, the button can be pressed again */ });
  });

  // A request made without reloading the page counts as activity, to the minute.
  document.body.addEventListener("htmx:afterRequest", function () {
    deadline = Math.max(deadline, Date.now() + seconds("limit") - seconds("slack"));
  });
  // Sending a form, or signing out, leaves nothing typed behind in the tab; a form sent after
  // the end is refused (the sign-in page comes instead), so its text is kept for after.
  document.addEventListener("submit", function (event) {
    if (box.contains(event.target)) { return; }
    if (Date.now() >= deadline && !event.target.closest("header")) {
      keep();
    } else {
      sessionStorage.removeItem(KEY);
    }
  });

  restore();
  clearTimeout(timer);
  tick();
}());
