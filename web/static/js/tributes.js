// Posts a tribute with fetch and updates the counts in place; without this script the form posts and reloads.
// Each tap gets a fresh idempotency key, and a retry after a network failure sends the same key again, so the
// server counts the tap once however often it arrives.
(function () {
  "use strict";
  var RETRIES = 3;
  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }
  function send(form, body, attempt) {
    return fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" }
    }).catch(function (error) {
      if (attempt >= RETRIES) { throw error; }
      return new Promise(function (resolve) { setTimeout(resolve, 300 * (attempt + 1)); })
        .then(function () { return send(form, body, attempt + 1); });
    });
  }
  function enhance(form) {
    var status = form.parentNode.querySelector(".tribute-status");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = event.submitter;
      var body = new FormData(form);
      body.set("kind", button ? button.value : "flower");
      body.set("key", newKey());
      status.textContent = form.getAttribute("data-busy");
      send(form, body, 0).then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
        return (json ? response.json() : Promise.resolve(null)).then(function (answer) {
          if (answer && answer.counts) {
            Object.keys(answer.counts).forEach(function (kind) {
              var out = form.querySelector('.tribute-count[data-kind="' + kind + '"]');
              if (out) { out.textContent = answer.counts[kind]; }
            });
          }
          var word = response.ok ? "data-thanks" : (response.status === 429 ? "data-capped" : "data-failed");
          status.textContent = form.getAttribute(word);
        });
      }).catch(function () { status.textContent = form.getAttribute("data-failed"); });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("form.tribute-form"), enhance);
})();
