// Accord's one script. Every page works without it; it only helps:
// the replay slider moves the date, a copy field selects itself, and the home page says when
// something new was recorded (the project's event stream, same origin).
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
    slider.setAttribute("aria-valuetext", target.value);
    slider.addEventListener("input", function () {
      target.value = toDate();
      slider.setAttribute("aria-valuetext", target.value);
    });
    slider.addEventListener("change", function () {
      target.value = toDate();
      target.form.submit();
    });
  }
  document.querySelectorAll("input.copy").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
  var live = document.querySelector("[data-live]");
  if (live && window.EventSource) {
    var source = new EventSource(live.dataset.live);
    source.onmessage = function () {
      live.textContent = live.dataset.message;
      live.hidden = false;
      live.setAttribute("role", "status");
      source.close();
    };
  }
});
