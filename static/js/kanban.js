/* Live pipeline (issue 16): drag a card to another stage, or pick the stage in the card's menu (phones,
   keyboards). With a mouse the browser's own drag and drop moves the card; with a finger or a pen the
   card's grip follows pointer events (phones do not start a native drag from a touch), scrolling the
   page when the finger nears the top or bottom edge, since on a phone the stages are stacked. The move goes through the opportunity API's `transition`, the same service as the
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
      if (touch) { e.preventDefault(); return; } // a finger is already moving it by its grip
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

  // --- touch and pen: the card's grip ([data-grip], touch-action: none) -------------------------------

  var touch = null; // {card, ghost, id, dx, dy, x, y, y0 (where it started), over, back}
  var EDGE = 64; // px from the window's top/bottom edge where the page scrolls during a drag

  function columnAt(x, y) {
    var el = document.elementFromPoint(x, y);
    var col = el && el.closest ? el.closest(".kanban-column") : null;
    return col && board() && board().contains(col) ? col : null;
  }

  function hover() {
    var col = columnAt(touch.x, touch.y);
    if (col !== touch.over) {
      if (touch.over) touch.over.classList.remove("kanban-over");
      if (col) col.classList.add("kanban-over");
      touch.over = col;
    }
  }

  function place() {
    touch.ghost.style.left = (touch.x - touch.dx) + "px";
    touch.ghost.style.top = (touch.y - touch.dy) + "px";
  }

  function edgeScroll() {
    if (!touch) return;
    // Only once the finger has travelled towards that edge (a card picked up near it stays put).
    var up = touch.y < EDGE && touch.y < touch.y0 - 16;
    var down = touch.y > window.innerHeight - EDGE && touch.y > touch.y0 + 16;
    var step = up ? -12 : down ? 12 : 0;
    if (step) {
      window.scrollBy({top: step, behavior: "instant"}); // not the page's smooth scrolling
      hover();
    }
    window.requestAnimationFrame(edgeScroll);
  }

  function touchStart(e) {
    var grip = e.target.closest && e.target.closest("[data-grip]");
    if (!grip || e.pointerType === "mouse" || touch || !e.isPrimary) return;
    var card = grip.closest("[data-card]");
    if (!card || !board() || !board().contains(card)) return;
    e.preventDefault();
    try { grip.setPointerCapture(e.pointerId); } catch (err) { /* a synthetic pointer: no capture */ }
    var rect = card.getBoundingClientRect();
    var ghost = card.cloneNode(true);
    ghost.removeAttribute("data-card");
    ghost.removeAttribute("draggable");
    ghost.setAttribute("aria-hidden", "true");
    ghost.classList.add("kanban-ghost");
    ghost.style.width = rect.width + "px";
    document.body.appendChild(ghost);
    card.classList.add("kanban-dragging");
    touch = {
      card: card, ghost: ghost, id: e.pointerId, dx: e.clientX - rect.left, dy: e.clientY - rect.top,
      x: e.clientX, y: e.clientY, y0: e.clientY, over: null, back: {parent: card.parentNode, next: card.nextSibling}
    };
    place();
    hover();
    window.requestAnimationFrame(edgeScroll);
  }

  function touchMove(e) {
    if (!touch || e.pointerId !== touch.id) return;
    e.preventDefault();
    touch.x = e.clientX;
    touch.y = e.clientY;
    place();
    hover();
  }

  function touchEnd(e) {
    if (!touch || e.pointerId !== touch.id) return;
    var t = touch;
    touch = null;
    t.ghost.remove();
    t.card.classList.remove("kanban-dragging");
    if (t.over) t.over.classList.remove("kanban-over");
    var col = e.type === "pointerup" ? columnAt(e.clientX, e.clientY) : null;
    if (!col || col.getAttribute("data-stage") === t.card.getAttribute("data-stage")) return;
    var zone = col.querySelector("[data-dropzone]");
    zone.insertBefore(t.card, zone.firstChild);
    move(t.card, col.getAttribute("data-stage"), function () {
      t.back.parent.insertBefore(t.card, t.back.next);
    });
  }

  // On the document, once: the board is replaced after every move.
  document.addEventListener("pointerdown", touchStart);
  document.addEventListener("pointermove", touchMove, {passive: false});
  document.addEventListener("pointerup", touchEnd);
  document.addEventListener("pointercancel", touchEnd);

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
