// Commission plan editor (commissions/plan_edit.html): a section's add button ("添加分段", "添加档位",
// "添加类别" …) adds a row (band, step, category, class, grade) from the section's <template> (Django
// formset empty_form), keeping the formset's TOTAL_FORMS count right. Removing a row is the row's own
// delete checkbox, which works without JavaScript.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-band]");
    if (!button) return;
    var prefix = button.getAttribute("data-add-band");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.querySelector('template[data-band-template="' + prefix + '"]');
    var rows = document.querySelector('[data-band-rows="' + prefix + '"]');
    if (!total || !template || !rows) return;
    var index = parseInt(total.value, 10) || 0;
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var first = rows.lastElementChild && rows.lastElementChild.querySelector("input[type=text]");
    if (first) first.focus();
  });
})();
