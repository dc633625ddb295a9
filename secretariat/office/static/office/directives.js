// Live acknowledgement matrix of a directive: the server pushes "changed" over a WebSocket
// (/ws/office/directives/<id>/) after every committed change to a receiving unit; the page then
// reloads the matrix fragment through HTMX. The socket reconnects with a growing delay; without
// WebSockets the page simply stays as rendered.
(function () {
  "use strict";
  var section = document.getElementById("directive-matrix");
  if (!section || !window.WebSocket) { return; }
  var url = section.getAttribute("data-live-url");
  var socketPath = section.getAttribute("data-socket-path");
  var delay = 1000;
  var pending = null;

  function refresh() {
    pending = null;
    if (window.htmx) {
      window.htmx.ajax("GET", url, { target: "#directive-matrix", swap: "outerHTML" });
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + socketPath);
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (message) {
      var data = JSON.parse(message.data);
      // An escalation run or several units answering at once cause one reload, not one each.
      if (data.type === "changed" && pending === null) { pending = window.setTimeout(refresh, 300); }
    };
    socket.onclose = function (event) {
      // Signed out, or no longer allowed to see this directive: nothing to follow.
      if (event.code === 4401 || event.code === 4403) { return; }
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
