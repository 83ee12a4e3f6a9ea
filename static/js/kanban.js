/* Live pipeline (issue 16): drag a card to another stage, or pick the stage in the card's menu (phones,
   keyboards). The move goes through the opportunity API's `transition`, the same service as the
   detail page, so every rule still applies: a refused move snaps back and the reason is shown. After a
   move the board is fetched again, so counts, amounts and forecasts stay the server's. */
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function board() { return document.querySelector("[data-kanban]"); }

  function say(text, ok, link) {
    var box = document.querySelector("[data-kanban-status]");
    if (!box) return;
    box.textContent = "";
    var div = document.createElement("div");
    div.className = "alert " + (ok ? "alert-success" : "alert-danger");
    div.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      a.className = "ms-2";
      div.appendChild(a);
    }
    box.appendChild(div);
  }

  function stageName(code) {
    var head = document.getElementById("stage-" + code);
    if (head) return head.firstChild.textContent.trim();
    var opt = document.querySelector("[data-move] option[value='" + code + "']");
    return opt ? opt.textContent : code;
  }

  function refresh() {
    return fetch(window.location.href, {credentials: "same-origin", headers: {Accept: "text/html"}})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["[data-kanban]", ".kanban-summary"].forEach(function (sel) {
          var fresh = doc.querySelector(sel);
          var old = document.querySelector(sel);
          if (fresh && old) old.replaceWith(fresh);
        });
        wire();
      });
  }

  function move(card, to, restore) {
    var from = card.getAttribute("data-stage");
    if (!to || to === from) { restore(); return; }
    var b = board();
    card.classList.add("kanban-moving");
    fetch(card.getAttribute("data-move-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify({stage: to})
    })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (d) { return {ok: r.ok, d: d}; });
      })
      .then(function (res) {
        card.classList.remove("kanban-moving");
        if (res.ok) {
          refresh().then(function () { say(b.getAttribute("data-msg-moved") + stageName(to), true); });
          return;
        }
        restore();
        var detail = (res.d && res.d.detail) || (res.d && res.d.stage && res.d.stage[0]) || "";
        var needsForm = res.d && (res.d.field === "reason" || res.d.field === "outcome_on");
        var link = needsForm ? {href: card.querySelector("a").getAttribute("href"), text: b.getAttribute("data-msg-open")} : null;
        say(b.getAttribute("data-msg-failed") + detail, false, link);
      })
      .catch(function () {
        card.classList.remove("kanban-moving");
        restore();
        say(b.getAttribute("data-msg-network"), false);
      });
  }

  var dragged = null;
  var origin = null;

  function wire() {
    var b = board();
    if (!b || b.dataset.wired === "1") return;
    b.dataset.wired = "1";
    b.addEventListener("dragstart", function (e) {
      var card = e.target.closest && e.target.closest("[data-card]");
      if (!card) return;
      dragged = card;
      origin = {parent: card.parentNode, next: card.nextSibling};
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", card.getAttribute("data-id"));
      card.classList.add("kanban-dragging");
    });
    b.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("kanban-dragging");
      b.querySelectorAll(".kanban-over").forEach(function (el) { el.classList.remove("kanban-over"); });
    });
    b.addEventListener("dragover", function (e) {
      var col = e.target.closest && e.target.closest(".kanban-column");
      if (!col || !dragged) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      b.querySelectorAll(".kanban-over").forEach(function (el) { if (el !== col) el.classList.remove("kanban-over"); });
      col.classList.add("kanban-over");
    });
    b.addEventListener("drop", function (e) {
      var col = e.target.closest && e.target.closest(".kanban-column");
      if (!col || !dragged) return;
      e.preventDefault();
      col.classList.remove("kanban-over");
      var card = dragged;
      var back = origin;
      dragged = null;
      var zone = col.querySelector("[data-dropzone]");
      zone.insertBefore(card, zone.firstChild);
      move(card, col.getAttribute("data-stage"), function () {
        back.parent.insertBefore(card, back.next);
      });
    });
    b.addEventListener("change", function (e) {
      var select = e.target.closest && e.target.closest("[data-move]");
      if (!select) return;
      var card = select.closest("[data-card]");
      move(card, select.value, function () { select.value = card.getAttribute("data-stage"); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
