// Live activity on the home page: the server pushes "an event you may see was recorded" over a
// WebSocket (/ws/activity/); the page then reloads its activity table through HTMX. The socket
// reconnects with a growing delay; without WebSockets the page simply stays as rendered.
(function () {
  "use strict";
  var section = document.getElementById("recent-activity");
  if (!section || !window.WebSocket) { return; }
  var url = section.getAttribute("data-live-url");
  var delay = 1000;
  var pending = null;

  function refresh() {
    pending = null;
    if (window.htmx) {
      window.htmx.ajax("GET", url, { target: "#recent-activity", swap: "outerHTML" });
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/activity/");
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (message) {
      var data = JSON.parse(message.data);
      // Bursts (an import records many events) cause one refresh, not one per event.
      if (data.type === "event" && pending === null) { pending = window.setTimeout(refresh, 300); }
    };
    socket.onclose = function (event) {
      if (event.code === 4401) { return; }  // signed out: nothing to follow
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
