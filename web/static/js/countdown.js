// Ticks every countdown on the page once a second; the server renders the start time as a fallback.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function render(node) {
    var start = Date.parse(node.getAttribute("data-start") + (/[zZ+]/.test(node.getAttribute("data-start").slice(10)) ? "" : "Z"));
    var out = node.querySelector(".remaining");
    var left = Math.floor((start - Date.now()) / 1000);
    if (isNaN(start) || !out) { return; }
    if (left <= 0) { out.textContent = node.getAttribute("data-started"); return; }
    var days = Math.floor(left / 86400);
    var rest = left % 86400;
    var text = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
    out.textContent = (days > 0 ? days + node.getAttribute("data-day") + " " : "") + text;
  }
  function tick() {
    var nodes = document.querySelectorAll(".countdown[data-start]");
    for (var i = 0; i < nodes.length; i++) { render(nodes[i]); }
  }
  tick();
  setInterval(tick, 1000);
})();
