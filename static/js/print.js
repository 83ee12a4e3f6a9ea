/* The printable documents: the "print" button opens the browser's print dialog (save as PDF there). */
document.querySelectorAll("[data-print]").forEach(function (b) {
  b.addEventListener("click", function () { window.print(); });
});
