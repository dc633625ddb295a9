/* WebAuthn ceremonies for Secretariat: register a security key, sign in with one.
 *
 * Own code, no third-party bundle (the data center is air-gapped). The server (py_webauthn)
 * sends options as JSON with binary fields in base64url; the browser API wants ArrayBuffers,
 * and its answers go back to the server in base64url again.
 *
 * Buttons: <button data-passkey="register|authenticate" data-begin-url data-complete-url
 *          [data-name-input="id of the key name input"]>
 * Errors go to the nearest [data-passkey-status] element.
 */
(function () {
  "use strict";

  // Django's JavaScript catalogue (/i18n/catalog.js) defines gettext; without it, English.
  var gettext = typeof window.gettext === "function" ? window.gettext : function (s) { return s; };

  function b64urlToBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function bufferToB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error(data.message || gettext("The server refused the request."));
        }
        return data;
      });
    });
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      return { type: c.type, id: b64urlToBuffer(c.id), transports: c.transports };
    });
  }

  function creationOptions(o) {
    var options = Object.assign({}, o, {
      challenge: b64urlToBuffer(o.challenge),
      user: Object.assign({}, o.user, { id: b64urlToBuffer(o.user.id) }),
      excludeCredentials: descriptors(o.excludeCredentials)
    });
    return { publicKey: options };
  }

  function requestOptions(o) {
    var options = Object.assign({}, o, {
      challenge: b64urlToBuffer(o.challenge),
      allowCredentials: descriptors(o.allowCredentials)
    });
    return { publicKey: options };
  }

  function registrationJSON(credential) {
    var r = credential.response;
    return {
      id: credential.id,
      rawId: bufferToB64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: bufferToB64url(r.clientDataJSON),
        attestationObject: bufferToB64url(r.attestationObject),
        transports: typeof r.getTransports === "function" ? r.getTransports() : []
      }
    };
  }

  function assertionJSON(credential) {
    var r = credential.response;
    return {
      id: credential.id,
      rawId: bufferToB64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: bufferToB64url(r.clientDataJSON),
        authenticatorData: bufferToB64url(r.authenticatorData),
        signature: bufferToB64url(r.signature),
        userHandle: r.userHandle ? bufferToB64url(r.userHandle) : undefined
      }
    };
  }

  function statusFor(button) {
    var scope = button.closest("section") || document;
    return scope.querySelector("[data-passkey-status]");
  }

  function show(status, message) {
    if (!status) { return; }
    status.textContent = message;
    status.hidden = !message;
  }

  function register(button, status) {
    var nameInput = document.getElementById(button.dataset.nameInput || "");
    var name = nameInput ? nameInput.value.trim() : "";
    return postJSON(button.dataset.beginUrl)
      .then(function (options) { return navigator.credentials.create(creationOptions(options)); })
      .then(function (credential) {
        return postJSON(button.dataset.completeUrl, {
          name: name, credential: registrationJSON(credential)
        });
      });
  }

  function authenticate(button, status) {
    return postJSON(button.dataset.beginUrl)
      .then(function (options) { return navigator.credentials.get(requestOptions(options)); })
      .then(function (credential) {
        return postJSON(button.dataset.completeUrl, { credential: assertionJSON(credential) });
      });
  }

  function onClick(event) {
    var button = event.currentTarget;
    var status = statusFor(button);
    if (!window.PublicKeyCredential || !navigator.credentials) {
      show(status, gettext("This browser does not support security keys."));
      return;
    }
    show(status, "");
    button.disabled = true;
    var ceremony = button.dataset.passkey === "register" ? register : authenticate;
    ceremony(button, status)
      .then(function (result) {
        window.location.assign(result.redirect || window.location.href);
      })
      .catch(function (error) {
        // NotAllowedError: the user cancelled or the key timed out; say so plainly.
        var message = error && error.name === "NotAllowedError"
          ? gettext("The security key operation was cancelled or timed out.")
          : (error && error.message) || gettext("The security key operation failed.");
        show(status, message);
        button.disabled = false;
      });
  }

  document.querySelectorAll("[data-passkey]").forEach(function (button) {
    button.addEventListener("click", onClick);
  });
})();
