// Uploads a video with tus (resumable, in chunks), then follows its transcode until it is published.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.tus) { return; }
  var token = form.querySelector("input[name=csrf_token]").value;
  var panel = document.getElementById("upload-progress");
  var bar = document.getElementById("upload-bar");
  var percent = document.getElementById("upload-percent");
  var label = document.getElementById("upload-label");
  var message = document.getElementById("upload-message");
  var entry = document.getElementById("upload-entry");
  var button = document.getElementById("upload-start");

  function show(fraction, text) {
    var value = Math.round(fraction * 100);
    bar.value = value;
    percent.textContent = value + "%";
    if (text) { label.textContent = text; }
  }

  function clearErrors() {
    var old = form.querySelectorAll(".error-msg");
    for (var i = 0; i < old.length; i++) { old[i].parentNode.classList.remove("invalid"); old[i].remove(); }
  }

  function fieldError(name, text) {
    var input = form.querySelector("[name=" + name + "]");
    var box = input ? input.closest(".field") : form;
    var p = document.createElement("p");
    p.className = "error-msg";
    p.setAttribute("role", "alert");
    p.textContent = text;
    box.classList.add("invalid");
    box.appendChild(p);
  }

  function follow(statusUrl) {
    fetch(statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        show(state.status === "transcoding" ? state.progress : (state.status === "published" ? 1 : 0), state.label);
        message.textContent = state.message || "";
        if (state.status === "published") {
          entry.querySelector("a").href = state.entry_url;
          entry.hidden = false;
          button.disabled = false;
        } else if (state.status === "refused" || state.status === "failed") {
          button.disabled = false;
        } else {
          window.setTimeout(function () { follow(statusUrl); }, 1000);
        }
      })
      .catch(function () { window.setTimeout(function () { follow(statusUrl); }, 3000); });
  }

  function send(file, ticket, endpoint) {
    var upload = new window.tus.Upload(file, {
      endpoint: endpoint,
      chunkSize: parseInt(form.getAttribute("data-chunk-bytes"), 10),
      retryDelays: [0, 1000, 3000, 5000, 10000],
      headers: { "X-CSRFToken": token },
      metadata: { filename: file.name, filetype: file.type, ticket: ticket },
      removeFingerprintOnSuccess: true,
      onProgress: function (sent, total) { show(total ? sent / total : 0); },
      onError: function (error) {
        var reason = (error && error.originalResponse && error.originalResponse.getStatus()) || String(error);
        message.textContent = form.getAttribute("data-failed").replace("REASON", reason);
        button.disabled = false;
      },
      onSuccess: function () {
        var id = upload.url.split("/").pop();
        follow(form.getAttribute("data-status-url").replace("UPLOAD_ID", id));
      }
    });
    // the same file chosen again after a lost connection or a closed tab continues where it stopped
    upload.findPreviousUploads().then(function (previous) {
      if (previous.length) { upload.resumeFromPreviousUpload(previous[0]); }
      upload.start();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    entry.hidden = true;
    message.textContent = "";
    var file = document.getElementById("video").files[0];
    if (!file) { fieldError("video", form.getAttribute("data-no-file")); return; }
    if (file.size > parseInt(form.getAttribute("data-max-bytes"), 10)) {
      fieldError("video", form.getAttribute("data-too-large"));
      return;
    }
    var data = new FormData(form);
    data.delete("video");
    button.disabled = true;
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": token } })
      .then(function (response) { return response.json().then(function (body) { return [response.ok, body]; }); })
      .then(function (answer) {
        if (!answer[0]) {
          var errors = answer[1].errors || {};
          Object.keys(errors).forEach(function (name) { fieldError(name, errors[name][0]); });
          button.disabled = false;
          return;
        }
        panel.hidden = false;
        show(0);
        send(file, answer[1].ticket, answer[1].endpoint);
      })
      .catch(function (error) { message.textContent = String(error); button.disabled = false; });
  });
})();
