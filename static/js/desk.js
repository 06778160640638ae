// Small behaviours of every page, read from data- attributes (no inline script: the
// Content-Security-Policy forbids them, and a translated text inside confirm('…') broke on
// the first French apostrophe).
//   <form data-confirm="Text?">            asks before the form is sent (destructive or final)
//   <button data-confirm="Text?">          asks when this button sends its form
//   <select data-autosubmit>               sends its form when the choice changes
//   <input type="checkbox" data-check-all="name">  ticks every box named "name" of its form
//   <div class="progress" aria-valuenow="3" aria-valuemax="4"><div class="progress-bar">
//                                          the bar is drawn 75 % wide (no style attribute:
//                                          the policy allows no inline style)
(function () {
  "use strict";

  function drawProgressBars(root) {
    const bars = root.querySelectorAll ? root.querySelectorAll(".progress[aria-valuenow]") : [];
    bars.forEach(function (progress) {
      const bar = progress.querySelector(".progress-bar");
      if (!bar) return;
      const now = Number(progress.getAttribute("aria-valuenow")) || 0;
      const max = Number(progress.getAttribute("aria-valuemax")) || 0;
      const share = max > 0 ? Math.min(Math.max(now / max, 0), 1) : 0;
      bar.style.width = Math.round(share * 100) + "%";
    });
  }

  drawProgressBars(document);
  // Fragments htmx swaps in (the invoice run's progress, a case's credit) are drawn too.
  document.addEventListener("htmx:load", function (event) {
    const element = event.target;
    drawProgressBars(element.parentNode || element);
  });

  document.addEventListener(
    "submit",
    function (event) {
      const form = event.target;
      const button = event.submitter;
      const text = (button && button.dataset.confirm) || form.dataset.confirm;
      if (text && !window.confirm(text)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true,
  );

  document.addEventListener("change", function (event) {
    const field = event.target;
    if (field.matches("select[data-autosubmit]") && field.form) {
      field.form.requestSubmit();
    }
    if (field.matches("input[data-check-all]")) {
      const name = field.dataset.checkAll;
      const form = field.form || document;
      document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
        if (!box.disabled && (box.form === form || form === document)) box.checked = field.checked;
      });
    }
  });
})();
