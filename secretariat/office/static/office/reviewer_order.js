// The ordered review circuit on the outgoing draft form (reviewers give their opinion one after
// the other). Without this script every candidate has a place box (1, 2, 3…; empty = not a
// reviewer), which is what the server reads. With it, each candidate gets a tick box and up /
// down buttons; ticked reviewers stay at the top in their order, and the script keeps the place
// boxes (now hidden) numbered 1, 2, 3… in the order shown, so what is sent is what is seen.
(function () {
  "use strict";

  function setUp(root) {
    var list = root.querySelector(".reviewer-order-list");
    if (!list) { return; }
    var labels = {
      up: root.getAttribute("data-label-up"),
      down: root.getAttribute("data-label-down"),
      choose: root.getAttribute("data-label-choose")
    };

    function items() { return Array.prototype.slice.call(list.children); }
    function tickOf(item) { return item.querySelector(".reviewer-order-tick"); }
    function chosen() { return items().filter(function (item) { return tickOf(item).checked; }); }

    function button(text, label, direction) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "btn secondary small reviewer-order-move";
      b.textContent = text;
      b.title = label;
      b.setAttribute("aria-label", label);
      b.setAttribute("data-move", direction);
      return b;
    }

    function renumber() {
      var picked = chosen();
      items().forEach(function (item) {
        var place = picked.indexOf(item);
        var on = place !== -1;
        item.querySelector(".reviewer-order-position").value = on ? String(place + 1) : "";
        item.querySelector(".reviewer-order-place").textContent = on ? (place + 1) + "." : "";
        item.classList.toggle("is-chosen", on);
        item.querySelector("[data-move=up]").disabled = !on || place === 0;
        item.querySelector("[data-move=down]").disabled = !on || place === picked.length - 1;
      });
    }

    // Unticked candidates keep the order the page gave them, below the ticked ones.
    function placeUnchosen(item) {
      var index = Number(item.getAttribute("data-index"));
      var next = items().filter(function (other) {
        return other !== item && !tickOf(other).checked &&
          Number(other.getAttribute("data-index")) > index;
      })[0];
      list.insertBefore(item, next || null);
    }

    items().forEach(function (item, index) {
      item.setAttribute("data-index", String(index));
      var number = item.querySelector(".reviewer-order-position");
      var name = item.querySelector(".reviewer-order-name").textContent;
      number.hidden = true;
      var tick = document.createElement("input");
      tick.type = "checkbox";
      tick.className = "reviewer-order-tick";
      tick.checked = number.value.trim() !== "";
      tick.setAttribute("aria-label", labels.choose + ": " + name);
      number.parentNode.insertBefore(tick, number);
      var place = document.createElement("span");
      place.className = "reviewer-order-place";
      place.setAttribute("aria-hidden", "true");
      number.parentNode.insertBefore(place, number);
      item.appendChild(button("\u2191", labels.up + ": " + name, "up"));
      item.appendChild(button("\u2193", labels.down + ": " + name, "down"));
    });

    list.addEventListener("change", function (event) {
      var tick = event.target;
      if (!tick.classList || !tick.classList.contains("reviewer-order-tick")) { return; }
      var item = tick.closest(".reviewer-order-item");
      if (tick.checked) {
        // A newly ticked reviewer comes last in the circuit.
        var picked = chosen().filter(function (other) { return other !== item; });
        var last = picked[picked.length - 1];
        list.insertBefore(item, last ? last.nextSibling : list.firstChild);
      } else {
        placeUnchosen(item);
      }
      renumber();
      tick.focus();
    });

    list.addEventListener("click", function (event) {
      var move = event.target.closest ? event.target.closest("[data-move]") : null;
      if (!move || move.disabled) { return; }
      var item = move.closest(".reviewer-order-item");
      var picked = chosen();
      var place = picked.indexOf(item);
      if (move.getAttribute("data-move") === "up" && place > 0) {
        list.insertBefore(item, picked[place - 1]);
      } else if (move.getAttribute("data-move") === "down" && place < picked.length - 1) {
        list.insertBefore(item, picked[place + 1].nextSibling);
      }
      renumber();
      // Keep the keyboard where it was; at the top or bottom, on the button still usable.
      var other = item.querySelector(move.getAttribute("data-move") === "up" ? "[data-move=down]" : "[data-move=up]");
      (move.disabled ? other : move).focus();
    });

    var noJs = root.querySelector("[data-nojs-hint]");
    var withJs = root.querySelector("[data-js-hint]");
    if (noJs) { noJs.hidden = true; }
    if (withJs) { withJs.hidden = false; }
    renumber();
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-reviewer-order]"), setUp);
})();
