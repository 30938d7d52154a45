// Keeps an open event page in step with the ceremony without a reload: it polls the event's tiny status JSON and,
// when the phase, the live stream or the recording changed, fetches the page again and swaps the event in place
// (countdown → live player → recording). The server renders every state; this script only decides when to ask.
(function () {
  "use strict";
  var article = document.querySelector("article.event-page[data-status-url]");
  if (!article || !window.fetch) { return; }
  var EVERY_MS = 3000;
  var url = article.getAttribute("data-status-url");
  var shown = article.getAttribute("data-state");
  function key(state) { return state.phase + "|" + state.stream_url + "|" + (state.recording === null ? "" : state.recording); }
  function swap() {
    return fetch(window.location.pathname, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("article.event-page");
        if (!fresh) { return; }
        var live = document.querySelector("article.event-page");
        var incoming = document.importNode(fresh, true);
        // keep the tribute block the visitor is using (its script, its counts) instead of a fresh copy
        var tributes = live.querySelector(".tributes"), placeholder = incoming.querySelector(".tributes");
        if (tributes && placeholder) { placeholder.replaceWith(tributes); }
        live.replaceWith(incoming);
        article = document.querySelector("article.event-page");
        shown = article.getAttribute("data-state");
        if (window.streamkitPlayer) { window.streamkitPlayer.attach(article); }
      });
  }
  function poll() {
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (state) { return key(state) !== shown ? swap() : null; })
      .catch(function () {})  // a missed poll is retried on the next one
      .then(function () { window.setTimeout(poll, EVERY_MS); });
  }
  window.setTimeout(poll, EVERY_MS);
})();
