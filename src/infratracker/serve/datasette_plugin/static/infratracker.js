/* Names for the controls Datasette 0.65.5 draws without a label (its filter, sort and SQL
   forms), and keyboard access to boxes that scroll sideways: what screen readers and keyboard
   users need, and what axe-core reports as critical or serious when it is missing. */
function infratrackerLabel() {
  var names = {
    'select[name="_filter_column"]': "Column to filter on",
    'select[name="_filter_op"]': "How to compare",
    "input.filter-value": "Value to compare with",
    "#sort_by": "Sort by",
    'textarea[name="sql"]': "SQL query",
    "#sql-editor": "SQL query",
    "textarea": "SQL query"
  };
  Object.keys(names).forEach(function (selector) {
    document.querySelectorAll(selector).forEach(function (el) {
      if (!el.getAttribute("aria-label") && !(el.id && document.querySelector('label[for="' + el.id + '"]'))) {
        el.setAttribute("aria-label", names[selector]);
      }
    });
  });
  document.querySelectorAll(".table-wrapper:not([tabindex])").forEach(function (box) {
    if (!box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", "Table; scroll sideways for more columns");
    }
  });
}
document.addEventListener("DOMContentLoaded", function () {
  infratrackerLabel();
  // The SQL editor (CodeMirror) adds its own input field after the page has loaded.
  new MutationObserver(infratrackerLabel).observe(document.body, {childList: true, subtree: true});
});
