/* Settlement export page: follow the job's progress until the file is ready (no inline script: CSP). */
(function () {
  "use strict";
  var box = document.getElementById("export-job");
  if (!box) return;
  var url = box.getAttribute("data-poll-url");
  function poll() {
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      document.getElementById("progress").textContent = d.progress;
      document.getElementById("bar").value = d.progress;
      if (d.download) { window.location.reload(); return; }
      if (d.status === "failed") { document.getElementById("error").textContent = d.error; return; }
      window.setTimeout(poll, 1500);
    }).catch(function () { window.setTimeout(poll, 5000); });
  }
  poll();
})();
