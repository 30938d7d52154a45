// Overlay page behaviour: follow the server-sent events of /overlays/events for this page's overlay.
// No inline script anywhere, so the pages work under a strict Content-Security-Policy.
(function () {
  "use strict";
  var body = document.body;
  var graphic = document.querySelector("[data-graphic]");
  var lines = Array.prototype.slice.call(document.querySelectorAll("[data-line]"));
  var digits = document.querySelector("[data-digits]");
  var timer = null;

  function setLines(texts) {
    lines.forEach(function (el, i) {
      var text = texts[i];
      el.textContent = text === undefined || text === "" ? el.dataset.default || "" : text;
    });
  }

  function formatRemaining(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function startCountdown(remainingMs, title) {
    if (!digits) { return; }
    if (timer !== null) { clearInterval(timer); }
    if (title !== undefined) { setLines([title]); }
    // count against this machine's monotonic clock from the moment the event arrived
    var end = performance.now() + remainingMs;
    function tick() {
      var left = Math.max(0, Math.ceil((end - performance.now()) / 1000));
      digits.textContent = formatRemaining(left);
      body.dataset.remaining = String(left);
      if (left === 0 && timer !== null) { clearInterval(timer); timer = null; }
    }
    tick();
    timer = setInterval(tick, 200);
  }

  function handle(event) {
    if (event.action === "set") {
      setLines(event.lines || []);
    } else if (event.action === "show") {
      graphic.classList.add("is-visible");
    } else if (event.action === "hide") {
      graphic.classList.remove("is-visible");
    } else if (event.action === "countdown") {
      startCountdown(event.remaining_ms, event.title);
      graphic.classList.add("is-visible");
    }
    body.dataset.lastEvent = String(event.id);
  }

  // EventSource reconnects by itself after a dropped stream, but gives up for good on an error answer, such as
  // the 503 of a server that holds all the streams it may: try again after the server's Retry-After (5 s).
  var RETRY_MS = 5000;

  function connect() {
    var source = new EventSource(body.dataset.events);
    source.onopen = function () { body.dataset.connected = "true"; };
    source.onerror = function () {
      body.dataset.connected = "false";
      if (source.readyState === EventSource.CLOSED) { setTimeout(connect, RETRY_MS); }
    };
    source.onmessage = function (message) { handle(JSON.parse(message.data)); };
  }

  connect();
})();
