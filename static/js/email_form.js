// The case page's e-mail form: a canned reply chosen in the select is fetched with its
// placeholders filled by the server and inserted where the cursor is (at the top of the
// text before the text was touched, above a quoted message); a reply form swapped in by
// htmx gets the cursor. No inline script: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  function insert(area, text) {
    const value = area.value;
    const at = area.dataset.touched === "1" ? area.selectionStart : 0;
    const before = value.slice(0, at);
    const after = value.slice(at);
    const glueBefore = before && !before.endsWith("\n") ? "\n\n" : "";
    const glueAfter = after.trim() ? (after.startsWith("\n") ? "\n" : "\n\n") : "";
    area.value = before + glueBefore + text + glueAfter + after;
    const cursor = (before + glueBefore + text).length;
    area.focus();
    area.setSelectionRange(cursor, cursor);
    area.dataset.touched = "1";
  }

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("textarea")) {
      event.target.dataset.touched = "1";
    }
  });

  document.addEventListener("change", function (event) {
    const select = event.target;
    if (!select.matches || !select.matches("select[data-canned-target]") || !select.value) return;
    const area = document.querySelector(select.dataset.cannedTarget);
    if (!area) return;
    select.disabled = true;
    fetch(select.value, { credentials: "same-origin", headers: { Accept: "text/plain" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + response.statusText);
        return response.text();
      })
      .then(function (text) {
        insert(area, text);
      })
      .catch(function (error) {
        console.warn("canned reply not inserted:", error);
      })
      .finally(function () {
        select.disabled = false;
        select.value = "";
      });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail || !event.detail.target || event.detail.target.id !== "email-form") return;
    const area = document.querySelector("#email-form textarea");
    if (area && document.querySelector("#email-form [data-testid=replying]")) {
      area.focus();
      area.setSelectionRange(0, 0);
      area.scrollTop = 0;
    }
  });
})();
