// Attaches live HLS (native where the browser has it, hls.js otherwise) and makes chapter buttons seek.
(function () {
  "use strict";
  var video = document.getElementById("player");
  if (!video) { return; }
  var hlsUrl = video.getAttribute("data-hls");
  if (hlsUrl) {
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = hlsUrl;
    } else if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls();
      hls.loadSource(hlsUrl);
      hls.attachMedia(video);
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
