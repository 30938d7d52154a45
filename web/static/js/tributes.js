// Posts a tribute with fetch and updates the counts in place; without this script the form posts and reloads.
// Each tap gets a fresh idempotency key, and a retry after a network failure sends the same key again, so the
// server counts the tap once however often it arrives. While the page is visible, the counts are refreshed from
// the form's data-live address every data-poll seconds, so taps from other people show without a reload.
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
  function showCounts(form, counts) {
    Object.keys(counts).forEach(function (kind) {
      var out = form.querySelector('.tribute-count[data-kind="' + kind + '"]');
      // never show a number going down: a cached answer may be a moment older than this visitor's own tap
      if (out && Number(counts[kind]) > Number(out.textContent)) { out.textContent = counts[kind]; }
    });
  }
  function showTotals(section, live) {
    Array.prototype.forEach.call(section.querySelectorAll(".tribute-total"), function (out) {
      var name = out.getAttribute("data-total");
      var value = live[name];
      if (name === "campaign") {  // only the campaign the page was drawn with: another one needs a reload
        value = live.campaign && live.campaign.slug === out.getAttribute("data-campaign") ? live.campaign.count : null;
      }
      if (typeof value === "number" && value > Number(out.textContent)) { out.textContent = value; }
    });
  }
  function poll(form) {
    var section = form.parentNode;
    var every = Number(form.getAttribute("data-poll")) * 1000;
    var address = form.getAttribute("data-live");
    if (!address || !every) { return; }
    function refresh() {
      if (document.visibilityState === "hidden") { return; }
      fetch(address, { headers: { "Accept": "application/json" } }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (live) {
        if (live) { showCounts(form, live.counts); showTotals(section, live); }
      }).catch(function () { /* the next round tries again */ });
    }
    refresh();
    setInterval(refresh, every);
    document.addEventListener("visibilitychange", refresh);
  }
  function enhance(form) {
    var status = form.parentNode.querySelector(".tribute-status");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = event.submitter;
      // urlencoded, not multipart: the server answers such a post before its page framework (the fast path)
      var body = new URLSearchParams(new FormData(form));
      body.set("kind", button ? button.value : "flower");
      body.set("key", newKey());
      status.textContent = form.getAttribute("data-busy");
      send(form, body, 0).then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
        return (json ? response.json() : Promise.resolve(null)).then(function (answer) {
          if (answer && answer.counts) { showCounts(form, answer.counts); }
          var word = response.ok ? "data-thanks" : (response.status === 429 ? "data-capped" : "data-failed");
          status.textContent = form.getAttribute(word);
        });
      }).catch(function () { status.textContent = form.getAttribute("data-failed"); });
    });
    poll(form);
  }
  Array.prototype.forEach.call(document.querySelectorAll("form.tribute-form"), enhance);
})();
