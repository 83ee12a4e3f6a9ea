/* Page behaviour without inline script (issue 17: Content-Security-Policy script-src 'self').
 * data-confirm="…"      on a form (asked on submit) or a button (asked on click)
 * data-autosubmit        on a select: submit its form when it changes
 * data-unread-url="…"    on the notifications link: fetch the unread count after the page loads
 * data-poll-url="…"      on a background job's card: follow its progress, reload when done
 * Every POST form disables its submit buttons once submitted, so a double click sends it once.
 */
(function () {
  "use strict";

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button[data-confirm], input[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
      e.preventDefault();
      return;
    }
    if ((form.getAttribute("method") || "").toLowerCase() !== "post") return;
    if (form.dataset.submitted === "1") { e.preventDefault(); return; }
    form.dataset.submitted = "1";
    // After the browser has taken the pressed button's name/value into the submission.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]").forEach(function (b) {
        b.disabled = true;
      });
    }, 0);
  });

  document.addEventListener("change", function (e) {
    if (e.target.hasAttribute && e.target.hasAttribute("data-autosubmit") && e.target.form) {
      e.target.form.submit();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var link = document.querySelector("[data-unread-url]");
    if (link) {
      fetch(link.getAttribute("data-unread-url"), {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) {
          if (d && d.unread) {
            var b = link.querySelector("[data-unread]");
            b.textContent = d.unread > 99 ? "99+" : d.unread;
            b.hidden = false;
          }
        })
        .catch(function () {});
    }
    var job = document.querySelector("[data-poll-url]");
    if (job) {
      (function poll() {
        fetch(job.getAttribute("data-poll-url")).then(function (r) { return r.json(); }).then(function (d) {
          var progress = document.getElementById("progress"), bar = document.getElementById("bar");
          if (progress) progress.textContent = d.progress;
          if (bar) bar.value = d.progress;
          if (d.done || d.download) { window.location.reload(); return; }
          if (d.status === "failed") { document.getElementById("error").textContent = d.error; return; }
          window.setTimeout(poll, 1500);
        });
      })();
    }
  });
})();
