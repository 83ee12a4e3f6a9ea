/* Site-wide behaviour, no inline scripts (the pages run under a Content Security Policy). */
(function () {
  "use strict";

  // Unread notifications: fetched after the page loads so it costs every page no database query.
  // No badge at all when nothing is unread.
  function loadUnread() {
    var link = document.getElementById("nav-notifications");
    if (!link || !window.fetch) return;
    fetch(link.getAttribute("data-unread-url"), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (d && d.unread) {
          var b = link.querySelector("[data-unread]");
          b.textContent = d.unread > 99 ? "99+" : String(d.unread);
          b.hidden = false;
        }
      })
      .catch(function () {});
  }

  // Confirmation before an irreversible action: <form data-confirm="…"> or a submit button with
  // data-confirm. Without JavaScript the form simply submits (the server checks everything again).
  function confirmModal() {
    var el = document.getElementById("app-confirm");
    if (el) return el;
    el = document.createElement("div");
    el.className = "modal modal-blur fade";
    el.id = "app-confirm";
    el.tabIndex = -1;
    el.setAttribute("role", "dialog");
    el.setAttribute("aria-modal", "true");
    el.setAttribute("aria-labelledby", "app-confirm-text");
    var yes = document.documentElement.getAttribute("lang") === "en" ? "Confirm" : "确认";
    var no = document.documentElement.getAttribute("lang") === "en" ? "Cancel" : "取消";
    el.innerHTML =
      '<div class="modal-dialog modal-sm modal-dialog-centered"><div class="modal-content">' +
      '<div class="modal-status bg-danger"></div>' +
      '<div class="modal-body text-center py-4"><i class="ti ti-alert-triangle text-danger icon-lg mb-2" aria-hidden="true"></i>' +
      '<p class="fs-3" id="app-confirm-text"></p></div>' +
      '<div class="modal-footer"><div class="w-100"><div class="row g-2">' +
      '<div class="col"><button type="button" class="btn w-100" data-bs-dismiss="modal"></button></div>' +
      '<div class="col"><button type="button" class="btn btn-danger w-100" data-confirm-yes></button></div>' +
      "</div></div></div></div></div>";
    el.querySelector("[data-bs-dismiss]").textContent = no;
    el.querySelector("[data-confirm-yes]").textContent = yes;
    document.body.appendChild(el);
    return el;
  }

  // Issue 17: every POST form sends once — its submit buttons are disabled once it is on its way
  // (after the browser has taken the pressed button's name/value into the submission).
  function disableAfterSubmit(form, event) {
    if ((form.getAttribute("method") || "").toLowerCase() !== "post") return;
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]").forEach(function (b) {
        b.disabled = true;
      });
    }, 0);
  }

  // A form marked hx-trigger="app:submit" is sent by htmx (inline approve/reject), after the same
  // confirmation; without htmx it submits as a plain form.
  function sendWithHtmx(form, event) {
    if (!window.htmx || form.getAttribute("hx-trigger") !== "app:submit") return false;
    event.preventDefault();
    delete form.dataset.confirmed;
    window.htmx.trigger(form, "app:submit");
    return true;
  }

  // Bootstrap's components come bundled in Tabler's script (window.tabler.bootstrap); a page that
  // loads Bootstrap itself has window.bootstrap.
  function bootstrapKit() {
    return window.bootstrap || (window.tabler && window.tabler.bootstrap) || null;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (!message || form.dataset.confirmed === "1") {
      if (!sendWithHtmx(form, event)) disableAfterSubmit(form, event);
      return;
    }
    var kit = bootstrapKit();
    if (!kit) {
      // No modal component: still ask, with the browser's own dialog.
      if (!window.confirm(message)) { event.preventDefault(); return; }
      if (!sendWithHtmx(form, event)) disableAfterSubmit(form, event);
      return;
    }
    event.preventDefault();
    var el = confirmModal();
    el.querySelector("#app-confirm-text").textContent = message;
    var modal = kit.Modal.getOrCreateInstance(el);
    var yes = el.querySelector("[data-confirm-yes]");
    var fresh = yes.cloneNode(true);
    yes.parentNode.replaceChild(fresh, yes);
    fresh.addEventListener("click", function () {
      form.dataset.confirmed = "1";
      modal.hide();
      if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
    });
    modal.show();
  });

  // Selects marked data-autosubmit submit their form on change (e.g. a month picker).
  document.addEventListener("change", function (event) {
    var t = event.target;
    if (t && t.hasAttribute && t.hasAttribute("data-autosubmit") && t.form) t.form.requestSubmit();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", loadUnread);
  } else {
    loadUnread();
  }
})();
