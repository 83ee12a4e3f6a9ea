/* The quote builder: list and floor price shown from the price book (the server re-reads them; nothing
   here is trusted), running totals in fen (integers, no float money), per-line and overall discount,
   "add a line" (Django formset). */
(function () {
  "use strict";
  var form = document.getElementById("quote-form");
  if (!form) return;
  var body = document.querySelector("#quote-lines tbody");
  var totalForms = form.querySelector("input[name$='-TOTAL_FORMS']");

  function fen(text) {
    var s = String(text || "").trim();
    if (!/^\d+(\.\d{0,2})?$/.test(s)) return null;
    var parts = s.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }
  function yuan(f) {
    var neg = f < 0; f = Math.abs(f);
    var int = String(Math.floor(f / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (neg ? "-" : "") + "¥" + int + "." + String(f % 100).padStart(2, "0");
  }
  function qtyHundredths(text) { return fen(text); } /* quantity has two decimals, like money */

  function recalc() {
    var listTotal = 0, quotedTotal = 0, below = false;
    body.querySelectorAll("tr.quote-line").forEach(function (row) {
      var opt = row.querySelector(".line-product").selectedOptions[0];
      var list = opt && opt.dataset.list ? fen(opt.dataset.list) : null;
      var floor = opt && opt.dataset.floor ? fen(opt.dataset.floor) : null;
      row.querySelector(".line-list").textContent = list === null ? "—" : yuan(list);
      row.querySelector(".line-floor").textContent = floor === null ? "—" : yuan(floor);
      var q = qtyHundredths(row.querySelector(".line-qty").value);
      var priceInput = row.querySelector(".line-price");
      var discInput = row.querySelector(".line-discount");
      var price = fen(priceInput.value);
      if (price === null && list !== null) {
        var d = fen(discInput.value);  /* 12.5% -> 1250 */
        price = d === null ? list : Math.round(list * (10000 - d) / 10000);
      }
      if (list === null || q === null || price === null) {
        row.querySelector(".line-amount").textContent = "—";
        return;
      }
      var amount = Math.round(q * price / 100);
      listTotal += Math.round(q * list / 100);
      quotedTotal += amount;
      if (price < list) below = true;
      row.querySelector(".line-amount").textContent = yuan(amount);
      row.classList.toggle("below-floor", floor !== null && price < floor);
    });
    document.getElementById("total-list").textContent = yuan(listTotal);
    document.getElementById("total-quoted").textContent = yuan(quotedTotal);
    var pct = listTotal ? (1 - quotedTotal / listTotal) * 100 : 0;
    document.getElementById("total-discount").textContent = pct.toFixed(2) + "%";
    document.getElementById("below-list-note").hidden = !below;
  }

  document.getElementById("add-line").addEventListener("click", function () {
    var rows = body.querySelectorAll("tr.quote-line");
    var last = rows[rows.length - 1];
    var n = parseInt(totalForms.value, 10);
    var clone = last.cloneNode(true);
    clone.querySelectorAll("select, input").forEach(function (el) {
      el.name = el.name.replace(/-\d+-/, "-" + n + "-");
      if (el.id) el.id = el.id.replace(/-\d+-/, "-" + n + "-");
      if (el.tagName === "SELECT") el.selectedIndex = 0; else el.value = "";
    });
    clone.querySelectorAll(".errorlist").forEach(function (el) { el.remove(); });
    clone.querySelector(".line-no").textContent = String(n + 1);
    body.appendChild(clone);
    totalForms.value = String(n + 1);
    recalc();
  });
  document.getElementById("apply-overall").addEventListener("click", function () {
    var d = document.getElementById("overall-discount").value;
    body.querySelectorAll("tr.quote-line").forEach(function (row) {
      row.querySelector(".line-price").value = "";
      row.querySelector(".line-discount").value = d;
    });
    recalc();
  });
  body.addEventListener("input", recalc);
  body.addEventListener("change", recalc);
  recalc();
})();
