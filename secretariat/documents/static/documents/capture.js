// Upload with a progress bar. Without JavaScript the form posts normally; with it, the upload
// goes through XMLHttpRequest so its progress can be shown. On success the server redirects to
// the new document (followed by the browser's XHR); on a refusal it answers 400 with the form
// and its messages, which replaces the form in place.
(function () {
  "use strict";

  function bind(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var row = form.querySelector("[data-progress]");
      var bar = row.querySelector("progress");
      var text = row.querySelector("[data-progress-text]");
      var button = form.querySelector("button[type=submit]");
      row.hidden = false;
      button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var percent = Math.round((e.loaded / e.total) * 100);
          bar.value = percent;
          text.textContent = percent + " %";
        }
      });
      xhr.addEventListener("load", function () {
        if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL.indexOf(form.action) === -1) {
          window.location.assign(xhr.responseURL);
          return;
        }
        var html = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var fresh = html.getElementById("capture-form");
        if (fresh) {
          form.replaceWith(fresh);
          bind(fresh);
        } else {
          document.open();
          document.write(xhr.responseText);
          document.close();
        }
      });
      xhr.addEventListener("error", function () {
        button.disabled = false;
        row.hidden = true;
      });
      xhr.send(new FormData(form));
    });
  }

  document.querySelectorAll("form[data-capture]").forEach(bind);
})();
