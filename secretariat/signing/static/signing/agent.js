/* Hands a signing session to the workstation signing agent (secretariat-agent) through its
 * loopback WebSocket, as the desktop signing tools officials already use do.
 *
 * Own code, no third-party bundle. Buttons (see signing/_agent_button.html):
 *   <button data-signing-agent data-mode="pdf|digest" data-port="8987"
 *           data-download data-upload | data-digest data-signature
 *           data-status-url [data-autostart]>
 * The URLs may be relative: they are made absolute against this page before they go to the
 * agent. Progress and answers go to the nearest [data-signing-agent-status] element. After the
 * agent's success the page polls the session's status URL until the server says "completed",
 * then reloads.
 */
(function () {
  "use strict";
  if (window.SecretariatSigningAgent) { return; }

  // Django's JavaScript catalogue (/i18n/catalog.js) defines gettext; without it, English.
  function gettext(text) {
    return typeof window.gettext === "function" ? window.gettext(text) : text;
  }

  var POLL_MS = 1000;
  var POLL_LIMIT = 60;

  function stepText(step) {
    switch (step) {
      case "pin": return gettext("Enter your token's PIN in the signing agent on your computer…");
      case "download": return gettext("The signing agent is fetching the document…");
      case "sign": return gettext("Your token is signing…");
      case "upload": return gettext("Sending the signed document to the server…");
      default: return "";
    }
  }

  function errorText(code, message) {
    switch (code) {
      case "pin_incorrect": return gettext("The PIN is incorrect. Try again.");
      case "pin_locked": return gettext("Your token is locked after too many wrong PINs. Ask for it to be unlocked.");
      case "pin_missing": return gettext("No PIN was entered in the signing agent.");
      case "token_not_found": return gettext("No USB token was found. Plug in your token and try again.");
      case "key_not_found": return gettext("Your signing key was not found on the token.");
      case "certificate_mismatch": return gettext("The certificate on this token is not the one registered for you.");
      case "module": return gettext("The signing agent cannot use your token (its driver is missing or not configured).");
      case "network": return gettext("The signing agent cannot reach the server.");
      case "busy": return gettext("The signing agent is busy with another signature. Wait for it to finish.");
      default: return message || gettext("The signature failed.");
    }
  }

  function absolute(url) {
    return url ? new URL(url, window.location.href).href : url;
  }

  function statusBox(button) {
    var box = button.closest("[data-signing-agent-box]");
    return (box && box.querySelector("[data-signing-agent-status]")) ||
      document.querySelector("[data-signing-agent-status]");
  }

  function show(button, text, kind) {
    var box = statusBox(button);
    if (!box) { return; }
    box.textContent = text;
    box.className = "message" + (kind ? " " + kind : "");
    box.hidden = !text;
  }

  function poll(button, count) {
    var url = button.getAttribute("data-status-url");
    if (!url) { window.location.reload(); return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .catch(function () { return {}; })
      .then(function (session) {
        if (session.state === "completed") {
          show(button, gettext("The document is signed."), "success");
          button.setAttribute("data-signing-agent-done", "");
          window.setTimeout(function () { window.location.reload(); }, 300);
        } else if (session.state === "expired") {
          show(button, gettext("The signing link has expired. Start the signature again."), "error");
          button.disabled = false;
        } else if (count < POLL_LIMIT) {
          window.setTimeout(function () { poll(button, count + 1); }, POLL_MS);
        } else {
          button.disabled = false;
        }
      });
  }

  function command(button) {
    var mode = button.getAttribute("data-mode") || "pdf";
    var message = { action: "sign", id: button.getAttribute("data-session") || "", mode: mode };
    if (mode === "digest") {
      message.digest = absolute(button.getAttribute("data-digest"));
      message.signature = absolute(button.getAttribute("data-signature"));
    } else {
      message.download = absolute(button.getAttribute("data-download"));
      message.upload = absolute(button.getAttribute("data-upload"));
    }
    return message;
  }

  function start(button) {
    if (button.disabled || button.hasAttribute("data-signing-agent-done")) { return; }
    button.disabled = true;
    var port = button.getAttribute("data-port") || "8987";
    var finished = false;
    var opened = false;
    show(button, gettext("Connecting to the signing agent on this computer…"));
    var socket;
    try {
      socket = new WebSocket("ws://127.0.0.1:" + port);
    } catch (e) {
      notRunning();
      return;
    }

    function notRunning() {
      finished = true;
      button.disabled = false;
      show(button, gettext("The signing agent is not running on this computer, or does not accept this site. Start “secretariat-agent serve” and try again."), "error");
    }

    socket.onopen = function () {
      opened = true;
      socket.send(JSON.stringify(command(button)));
    };
    socket.onerror = function () {
      if (!opened && !finished) { notRunning(); }
    };
    socket.onclose = function () {
      if (!finished) {
        if (!opened) { notRunning(); return; }
        finished = true;
        button.disabled = false;
        show(button, gettext("The signing agent stopped before the signature was finished."), "error");
      }
    };
    socket.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data.event === "progress") {
        show(button, stepText(data.step));
      } else if (data.event === "result") {
        finished = true;
        socket.close();
        var answer = data.answer || {};
        show(button, answer.Message || gettext("The signed document was received."), "success");
        poll(button, 0);
      } else if (data.event === "error") {
        finished = true;
        socket.close();
        button.disabled = false;
        var answer2 = data.answer || null;
        // The server's refusal is already in the official's language; the agent's own
        // errors are translated here from their code.
        show(button, answer2 && answer2.Message ? answer2.Message : errorText(data.code, data.message), "error");
      }
    };
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-signing-agent]") : null;
    if (button) {
      event.preventDefault();
      start(button);
    }
  });

  function autostart() {
    var buttons = document.querySelectorAll("[data-signing-agent][data-autostart]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].removeAttribute("data-autostart");
      start(buttons[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", autostart);
  } else {
    autostart();
  }
  // Pages that swap the button in later (HTMX) start it too.
  document.addEventListener("htmx:afterSettle", autostart);

  window.SecretariatSigningAgent = { start: start };
})();
