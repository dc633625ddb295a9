// The meeting room, live. The page embeds the room's state (room-state-data, the same snapshot
// the socket sends) and renders it; the socket /ws/meetings/<id>/ then sends a snapshot at
// connection and events {seq, topic, data} after every committed change. Events are applied in
// sequence order; on a gap, or an event whose data does not carry the part it changed, the page
// asks for a new snapshot ({"type": "resync"}). The socket reconnects with a growing delay and
// resynchronises on reconnection. Forms are sent with fetch (header X-Room: 1); their effect
// arrives over the socket like everyone else's. No framework; text only through textContent.
(function () {
  "use strict";
  var root = document.getElementById("room");
  if (!root) { return; }

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var state = readJson("room-state-data");
  var labels = readJson("room-labels");
  var urls = readJson("room-urls");
  var csrf = (document.getElementById("room-csrf") || {}).textContent || "";
  var text = labels.text;
  var receipts = {};     // vote id -> receipt code shown to this browser after casting
  var pending = [];      // events that arrived while a snapshot was awaited
  var awaiting = false;  // a resync was asked for
  var socket = null;
  var delay = 1000;
  var stopped = false;
  var clockOffset = 0;   // server time - browser time, ms

  // --- small DOM helpers -------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key === "text") { node.textContent = value; }
      else if (key === "className") { node.className = value; }
      else { node.setAttribute(key, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) { while (node && node.firstChild) { node.removeChild(node.firstChild); } return node; }

  function url(name, id) { return urls[name].replace(urls.placeholder, id); }

  function form(action, fields, button, extraClass) {
    var children = [el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrf })];
    Object.keys(fields || {}).forEach(function (name) {
      children.push(el("input", { type: "hidden", name: name, value: fields[name] }));
    });
    children.push(el("button", { type: "submit", className: "btn small " + (extraClass || ""), text: button }));
    return el("form", { method: "post", action: action, "data-room-form": true, className: "inline" }, children);
  }

  function message(textValue, kind) {
    var list = document.getElementById("room-messages");
    clear(list).appendChild(el("li", { className: "message " + (kind || "info"), text: textValue }));
  }

  function optionLabel(vote, position) {
    var found = (vote.options || []).filter(function (o) { return o.position === position; })[0];
    return found ? found.label : String(position);
  }

  // --- rendering ---------------------------------------------------------------------------
  function renderMeeting() {
    var badge = document.getElementById("room-state");
    badge.textContent = labels.meeting_state[state.meeting.state] || state.meeting.state;
    badge.className = "badge" + (state.meeting.state === "in_session" ? " ok" : "");
    badge.setAttribute("data-state", state.meeting.state);
    var open = document.getElementById("room-open-session");
    var close = document.getElementById("room-close-session");
    if (open) { open.hidden = state.meeting.state !== "convened"; }
    if (close) { close.hidden = state.meeting.state !== "in_session"; }
  }

  function renderAgenda() {
    var list = clear(document.getElementById("room-agenda-list"));
    var current = state.meeting.current_item;
    var currentTitle = null;
    state.agenda.forEach(function (item) {
      var isCurrent = item.id === current;
      if (isCurrent) { currentTitle = item.position + ". " + item.title; }
      var li = el("li", { className: isCurrent ? "current" : "", "data-item": item.id }, [
        item.title,
        item.presenter ? el("span", { className: "muted", text: " — " + item.presenter }) : null,
      ]);
      if (state.me.organizer && !isCurrent && state.meeting.state === "in_session") {
        li.appendChild(form(urls.item, { item: item.id }, text.take_up, "secondary"));
      }
      list.appendChild(li);
    });
    document.getElementById("room-current-item").textContent =
      currentTitle ? text.current + ": " + currentTitle : text.no_item;
  }

  function speakerLine(row) {
    return row.name + (row.kind === "point_of_order" ? " (" + labels.speaker_kind.point_of_order + ")" : "");
  }

  function renderSpeakers() {
    var speaking = clear(document.getElementById("room-speaking"));
    var current = state.speakers.speaking;
    if (current) {
      speaking.appendChild(el("strong", { text: speakerLine(current) }));
      speaking.appendChild(el("span", { className: "room-timer", id: "room-timer", "data-ends": current.ends_at || "" }));
      if (state.me.organizer || current.user === state.me.user_id) {
        speaking.appendChild(form(url("end", current.id), {}, text.end_turn, "secondary"));
      }
    } else {
      speaking.appendChild(el("span", { className: "muted", text: text.no_speaker }));
    }
    var queue = clear(document.getElementById("room-queue"));
    if (!state.speakers.queue.length) {
      queue.appendChild(el("li", { className: "muted", text: text.queue_empty }));
    }
    state.speakers.queue.forEach(function (row) {
      var li = el("li", { "data-request": row.id }, [speakerLine(row)]);
      if (state.me.organizer) {
        li.appendChild(form(urls.floor, { request: row.id }, text.give_floor));
        li.appendChild(form(url("withdraw", row.id), {}, text.remove, "secondary"));
      } else if (row.user === state.me.user_id) {
        li.appendChild(form(url("withdraw", row.id), {}, text.withdraw, "secondary"));
      }
      queue.appendChild(li);
    });
    tick();
  }

  function tick() {
    var timer = document.getElementById("room-timer");
    if (!timer || !timer.getAttribute("data-ends")) { return; }
    var left = Math.round((Date.parse(timer.getAttribute("data-ends")) - (Date.now() + clockOffset)) / 1000);
    var over = left < 0;
    var seconds = Math.abs(left);
    var shown = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
    timer.textContent = (over ? text.overtime : text.time_left) + " " + shown;
    timer.className = "room-timer" + (over ? " over" : "");
  }

  function renderVote() {
    var body = clear(document.getElementById("room-vote-body"));
    var vote = state.vote;
    if (!vote) {
      body.appendChild(el("p", { className: "muted", text: text.no_vote }));
      return;
    }
    body.setAttribute("data-vote", vote.id);
    body.appendChild(el("p", {}, [el("strong", { text: vote.question })]));
    body.appendChild(el("p", { className: "muted", text: (labels.vote_kind[vote.kind] || vote.kind) + " · " + (labels.vote_method[vote.method] || vote.method) }));
    if (vote.method !== "show_of_hands" && vote.ballots !== undefined) {
      body.appendChild(el("p", { className: "muted", id: "room-ballots", text: text.ballots + ": " + vote.ballots + " / " + vote.eligible }));
    }
    if (vote.has_voted) {
      body.appendChild(el("p", { className: "message success", id: "room-voted", text: text.voted }));
      if (receipts[vote.id]) {
        body.appendChild(el("p", { text: text.receipt }));
        body.appendChild(el("p", { className: "room-receipt", id: "room-receipt", text: receipts[vote.id] }));
      }
    } else if (vote.may_vote) {
      var multiple = vote.kind === "election";
      var items = (vote.options || []).map(function (option) {
        return el("li", {}, [el("label", {}, [
          el("input", { type: multiple ? "checkbox" : "radio", name: "choice", value: String(option.position), required: !multiple }),
          " " + option.label,
        ])]);
      });
      var ballot = el("form", { method: "post", action: url("cast", vote.id), "data-room-form": true, id: "room-ballot" }, [
        el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrf }),
        el("ul", { className: "room-options" }, items),
        multiple ? el("p", { className: "muted", text: text.choose_up_to.replace("%(seats)s", vote.seats) + " " + text.blank_hint }) : null,
        el("button", { type: "submit", className: "btn", text: text.cast }),
      ]);
      body.appendChild(ballot);
    } else if (state.me.participant_id && vote.method !== "show_of_hands") {
      body.appendChild(el("p", { className: "muted", text: vote.reason || text.may_not_vote }));
    }
    if (state.me.organizer) {
      if (vote.method === "show_of_hands") {
        var rows = (vote.options || []).map(function (option) {
          return el("li", {}, [el("label", {}, [
            option.label + " ",
            el("input", { type: "number", min: "0", name: "hands_" + option.position, className: "room-hands", required: true }),
          ])]);
        });
        body.appendChild(el("form", { method: "post", action: url("hands", vote.id), "data-room-form": true }, [
          el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrf }),
          el("p", { text: text.hands }),
          el("ul", { className: "room-options" }, rows),
          el("button", { type: "submit", className: "btn secondary small", text: text.record_hands }),
        ]));
      }
      var closeForm = form(url("close", vote.id), {}, text.close_vote);
      closeForm.id = "room-vote-close";
      body.appendChild(closeForm);
    }
  }

  function renderResults() {
    var body = clear(document.getElementById("room-results-body"));
    var vote = state.results;
    if (!vote || !vote.result) {
      body.appendChild(el("p", { className: "muted", text: text.no_results }));
      return;
    }
    var result = vote.result;
    body.setAttribute("data-vote", vote.id);
    body.appendChild(el("p", {}, [el("strong", { text: vote.question })]));
    body.appendChild(el("p", { id: "room-outcome", className: "badge " + (result.outcome === "passed" || result.outcome === "elected" ? "ok" : "off"), "data-outcome": result.outcome, text: labels.outcome[result.outcome] || result.outcome }));
    var rows = (result.options || []).map(function (option) {
      return el("tr", { "data-position": String(option.position) }, [
        el("td", { text: option.label }),
        el("td", { text: String(option.votes) }),
        el("td", { text: option.elected ? "✓" : "" }),
      ]);
    });
    if (result.blank) { rows.push(el("tr", {}, [el("td", { text: text.blank }), el("td", { text: String(result.blank) }), el("td")])); }
    body.appendChild(el("table", { className: "table compact" }, [el("tbody", {}, rows)]));
    body.appendChild(el("p", { className: "muted", text: text.required + ": " + result.required + " · " + text.base + ": " + result.base_size + " · " + text.ballots + ": " + result.ballots }));
    if (vote.receipts && vote.receipts.length) {
      body.appendChild(el("p", { text: text.receipts }));
      body.appendChild(el("ul", { className: "room-receipts plain" }, vote.receipts.map(function (code) {
        return el("li", { text: code, className: code === receipts[vote.id] ? "current" : "" });
      })));
    }
  }

  function renderQuorum() {
    var quorum = state.presence.quorum || {};
    var line = document.getElementById("room-quorum");
    clear(line);
    line.appendChild(el("strong", { text: text.present + ": " + quorum.present + " / " + quorum.base_size }));
    line.appendChild(document.createTextNode(" (" + quorum.required + " " + text.of_needed + ") "));
    line.appendChild(el("span", { id: "room-quorum-badge", className: "badge " + (quorum.met ? "ok" : "off"), text: quorum.met ? text.quorum_met : text.quorum_not_met }));
  }

  function presenceRow(row) {
    var where = row.present ? (labels.presence[row.presence] || "") : labels.presence[""];
    var tr = el("tr", { "data-participant": row.id }, [
      el("td", { text: row.name }),
      el("td", { className: row.present ? "" : "muted", text: where }),
    ]);
    if (state.me.organizer) {
      var cell = el("td");
      if (!row.present || row.presence !== "room") { cell.appendChild(form(url("presence", row.id), { presence: "room" }, text.in_room, "secondary")); }
      if (!row.present || row.presence !== "remote") { cell.appendChild(form(url("presence", row.id), { presence: "remote" }, text.remote, "secondary")); }
      if (row.present) { cell.appendChild(form(url("presence", row.id), { presence: "" }, text.gone, "secondary")); }
      tr.appendChild(cell);
    }
    return tr;
  }

  function renderPresence() {
    renderQuorum();
    var list = clear(document.getElementById("room-presence-list"));
    (state.presence.participants || []).forEach(function (row) { list.appendChild(presenceRow(row)); });
  }

  // A presence event carries the quorum and the one row that changed: replace that row only
  // (a thousand rows are not redrawn at every check-in). False when the row is unknown.
  function applyPresenceRow(row) {
    var rows = state.presence.participants || [];
    var index = -1;
    for (var i = 0; i < rows.length; i++) { if (rows[i].id === row.id) { index = i; break; } }
    if (index < 0) { return false; }
    rows[index] = row;
    if (row.id === state.me.participant_id) { state.me.present = row.present; state.me.presence = row.presence; }
    var list = document.getElementById("room-presence-list");
    var old = list.querySelector('tr[data-participant="' + row.id + '"]');
    if (old) { list.replaceChild(presenceRow(row), old); } else { renderPresence(); }
    return true;
  }

  function renderAll() {
    renderMeeting(); renderAgenda(); renderSpeakers(); renderVote(); renderResults(); renderPresence();
  }

  // --- applying what the server sends ------------------------------------------------------
  function resync() {
    if (awaiting) { return; }
    awaiting = true;
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify({ type: "resync" })); }
  }

  function applySnapshot(snapshot) {
    state = snapshot;
    clockOffset = Date.parse(snapshot.server_time) - Date.now();
    awaiting = false;
    var later = pending.filter(function (e) { return e.seq > state.seq; }).sort(function (a, b) { return a.seq - b.seq; });
    pending = [];
    renderAll();
    later.forEach(onEvent);
  }

  // One topic's data into the state; false when the data does not say enough.
  function apply(topic, data) {
    if (topic === "meeting") {
      if (!("state" in data)) { return false; }
      Object.assign(state.meeting, data);
      renderMeeting(); renderAgenda();
    } else if (topic === "agenda") {
      if ("current_item" in data) {
        state.meeting.current_item = data.current_item;
      } else if (data.order) {
        var byId = {};
        state.agenda.forEach(function (item) { byId[item.id] = item; });
        if (data.order.some(function (id) { return !byId[id]; }) || data.order.length !== state.agenda.length) { return false; }
        state.agenda = data.order.map(function (id, index) { byId[id].position = index + 1; return byId[id]; });
      } else {
        return false;
      }
      renderAgenda();
    } else if (topic === "speakers") {
      if (!data.queue) { return false; }
      state.speakers = data;
      renderSpeakers();
    } else if (topic === "presence") {
      // An invitation added or withdrawn says nothing more: resync.
      if (!data.quorum || !data.participant) { return false; }
      if (!applyPresenceRow(data.participant)) { return false; }
      state.presence.quorum = data.quorum;
      renderQuorum();
    } else if (topic === "vote") {
      if (!data.state) { return false; }
      if (data.state === "open") {
        var same = state.vote && state.vote.id === data.id;
        var mine = same ? { may_vote: state.vote.may_vote, has_voted: state.vote.has_voted, reason: state.vote.reason }
          : { may_vote: state.me.voting && state.me.present && data.method !== "show_of_hands", has_voted: false, reason: "" };
        state.vote = Object.assign({}, data, mine);
        renderVote();
      } else if (data.state === "closed") {
        if (state.vote && state.vote.id === data.id) { state.vote = null; }
        var known = state.results && state.results.id === data.id ? state.results.receipts : null;
        state.results = Object.assign({}, data, { receipts: known });
        renderVote(); renderResults();
        // The receipts of a secret ballot are in the snapshot only: a voter fetches them.
        if (data.method === "secret" && receipts[data.id] && !known) { return false; }
      }
    }
    return true;
  }

  function onEvent(event) {
    if (awaiting) { pending.push(event); return; }
    if (event.seq <= state.seq) { return; }  // already in the state
    if (event.seq !== state.seq + 1) { pending.push(event); resync(); return; }
    state.seq = event.seq;
    if (!apply(event.topic, event.data || {})) { resync(); }
  }

  function setLive(ok) {
    var badge = document.getElementById("room-live");
    badge.textContent = ok ? text.live_ok : text.live_lost;
    badge.className = "badge " + (ok ? "ok" : "off");
    root.setAttribute("data-live", ok ? "1" : "0");
  }

  function connect() {
    if (!window.WebSocket || stopped) { return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + root.getAttribute("data-socket-path"));
    // The server sends a snapshot at every connection: whatever was missed is in it.
    awaiting = true;
    socket.onopen = function () { delay = 1000; setLive(true); };
    socket.onmessage = function (message) {
      var data = JSON.parse(message.data);
      if (data.type === "snapshot") { applySnapshot(data); }
      else if (data.type === "event") { onEvent(data); }
    };
    socket.onclose = function (event) {
      setLive(false);
      if (event.code === 4401 || event.code === 4403) {
        stopped = true;
        message(text.signed_out, "error");
        return;
      }
      // A little randomness so that a thousand screens do not come back in the same instant.
      window.setTimeout(connect, delay + Math.random() * 500);
      delay = Math.min(delay * 2, 30000);
    };
  }

  // --- forms -------------------------------------------------------------------------------
  // A check that changes nothing (the receipt check): GET, the answer shown as a message.
  document.addEventListener("submit", function (event) {
    var target = event.target;
    if (!target.hasAttribute || !target.hasAttribute("data-room-check") || !window.fetch) { return; }
    event.preventDefault();
    var query = new URLSearchParams(new FormData(target)).toString();
    window.fetch(target.action + "?" + query, {
      credentials: "same-origin", headers: { "X-Room": "1" },
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false, message: response.statusText }; });
    }).then(function (answer) {
      message(answer.message, answer.ok && answer.counted ? "success" : "error");
    }).catch(function () { message(text.live_lost, "error"); });
  });

  document.addEventListener("submit", function (event) {
    var target = event.target;
    if (!target.hasAttribute || !target.hasAttribute("data-room-form") || !window.fetch) { return; }
    event.preventDefault();
    var buttons = target.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    var body = new FormData(target);
    window.fetch(target.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Room": "1", "X-CSRFToken": csrf },
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false, message: response.statusText }; });
    }).then(function (answer) {
      buttons.forEach(function (b) { b.disabled = false; });
      message(answer.message, answer.ok ? "success" : "error");
      if (!answer.ok) { return; }
      if (target.id === "room-ballot" && state.vote) {
        if (answer.receipt) { receipts[state.vote.id] = answer.receipt; }
        state.vote.has_voted = true;
        state.vote.may_vote = false;
        renderVote();
      }
      if (target.hasAttribute("data-reset")) { target.reset(); }
      // Drafts are not pushed live: the organizer's own list is refreshed by a snapshot.
      if (target.querySelector("input[name=vote]")) { target.closest("li").remove(); }
    }).catch(function () {
      buttons.forEach(function (b) { b.disabled = false; });
      message(text.live_lost, "error");
    });
  });

  renderAll();
  setLive(false);
  window.setInterval(tick, 1000);
  connect();
})();
