// Attaches live HLS (hls.js where MediaSource exists, native HLS otherwise) and makes chapter buttons seek.
// event-live.js calls window.streamkitPlayer.attach again after it swapped the event's content in place.
(function () {
  "use strict";
  var current = null;  // the hls.js instance of the player on the page, destroyed before the next one
  function attach(root) {
    if (current) { current.destroy(); current = null; }
    var video = root.querySelector("#player");
    if (!video) { return; }
    var hlsUrl = video.getAttribute("data-hls");
    if (hlsUrl) {
      // hls.js first (the order its README gives): the same engine everywhere MediaSource exists; native HLS
      // (iOS Safari without MediaSource) otherwise.
      if (window.Hls && window.Hls.isSupported()) {
        current = new window.Hls({ liveSyncDurationCount: 2 });
        current.loadSource(hlsUrl);
        current.attachMedia(video);
        current.on(window.Hls.Events.MANIFEST_PARSED, function () { video.play().catch(function () {}); });
      } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
        video.src = hlsUrl;
      }
    }
    var buttons = root.querySelectorAll("[data-seek]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function (event) {
        video.currentTime = parseFloat(event.currentTarget.getAttribute("data-seek"));
        video.play();
      });
    }
  }
  window.streamkitPlayer = { attach: attach };
  attach(document);
})();
