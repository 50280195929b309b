// dialtone console: the only script. It keeps live blocks live with
// server-sent events and stops a form from being submitted twice (the
// top-up's Idempotency-Key would make a second submit harmless anyway).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-live]").forEach(function (el) {
    if (!window.EventSource) return;
    var es = new EventSource(el.getAttribute("data-live"));
    es.onmessage = function (ev) { el.innerHTML = ev.data; el.setAttribute("data-updated", Date.now()); };
    es.addEventListener("failed", function () { es.close(); });
  });
  document.querySelectorAll("form[method=post]").forEach(function (f) {
    f.addEventListener("submit", function () {
      f.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
});
