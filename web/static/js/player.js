// Attaches live HLS (hls.js where MediaSource exists, native HLS otherwise) and makes chapter buttons seek.
(function () {
  "use strict";
  var video = document.getElementById("player");
  if (!video) { return; }
  var hlsUrl = video.getAttribute("data-hls");
  if (hlsUrl) {
    // hls.js first (the order its README gives): the same engine everywhere MediaSource exists; native HLS
    // (iOS Safari without MediaSource) otherwise.
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls();
      hls.loadSource(hlsUrl);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = hlsUrl;
    }
  }
  var buttons = document.querySelectorAll("[data-seek]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function (event) {
      video.currentTime = parseFloat(event.currentTarget.getAttribute("data-seek"));
      video.play();
    });
  }
})();
