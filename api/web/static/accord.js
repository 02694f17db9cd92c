// Accord's one script. Every page works without it; it only helps:
// the replay slider moves the date, a copy field selects itself, the home page says when
// something new was recorded (by polling a tiny endpoint of the same origin).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var slider = document.getElementById("r-slider");
  if (slider) {
    var target = document.getElementById(slider.dataset.target);
    var start = new Date(slider.dataset.start + "T00:00:00Z");
    var toDate = function () {
      var d = new Date(start.getTime() + Number(slider.value) * 86400000);
      return d.toISOString().slice(0, 10);
    };
    slider.addEventListener("input", function () { target.value = toDate(); slider.setAttribute("aria-valuetext", target.value); });
    slider.addEventListener("change", function () { target.value = toDate(); target.form.submit(); });
  }
  document.querySelectorAll("input.copy").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
  var live = document.querySelector("[data-live]");
  if (live && window.fetch) {
    var seen = null;
    var poll = function () {
      fetch(live.dataset.live, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body) { return; }
          if (seen !== null && body.position > seen) {
            live.textContent = live.dataset.message || "New events were recorded: reload to see them.";
            live.hidden = false;
            live.setAttribute("role", "status");
            return;
          }
          seen = body.position;
          window.setTimeout(poll, 10000);
        })
        .catch(function () {});
    };
    poll();
  }
});
