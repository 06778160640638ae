// Small behaviours of every page, read from data- attributes (no inline script: the
// Content-Security-Policy forbids them, and a translated text inside confirm('…') broke on
// the first French apostrophe).
//   <form data-confirm="Text?">            asks before the form is sent (destructive or final)
//   <button data-confirm="Text?">          asks when this button sends its form
//   <select data-autosubmit>               sends its form when the choice changes
//   <input type="checkbox" data-check-all="name">  ticks every box named "name" of its form
(function () {
  "use strict";

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
