// Behaviour shared by every page. It is loaded with `defer`, so the DOM is
// parsed when it runs. Pages work without it, because it only moves focus
// and makes Enter in a search box run that search.
"use strict";

(function () {
  // Move focus to the error summary, so that screen readers read it out and
  // keyboard users start from the list of problems.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
    return summary;
  }

  // A fragment link scrolls to the input but leaves its label above the
  // fold and does not focus it in every browser. Focus the field and scroll
  // its label, or its group's legend, into view instead.
  function focusField(event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) {
      return;
    }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) {
      return;
    }
    var fieldset = field.closest("fieldset");
    var legend = fieldset ? fieldset.querySelector("legend") : null;
    var label = document.querySelector("label[for='" + CSS.escape(field.id) + "']");
    var heading = legend || label;

    event.preventDefault();
    if (heading) {
      heading.scrollIntoView();
    }
    field.focus({ preventScroll: Boolean(heading) });
  }

  // Enter in a text field submits its form with the form's first submit
  // button, which sends the whole form. In a search box, Enter should run the
  // search instead: click the nearest submit button that shares a container
  // with the box, such as "Search ballots". Without this script, Enter in a
  // search box sends the form, and the page comes back with what was typed.
  function searchOnEnter(event) {
    var input = event.target;
    if (event.key !== "Enter" || !input.matches || !input.matches("input[type='search']") || !input.form) {
      return;
    }
    var container = input.parentElement;
    while (container && container !== input.form) {
      var button = container.querySelector("button[type='submit'], input[type='submit']");
      if (button) {
        event.preventDefault();
        button.click();
        return;
      }
      container = container.parentElement;
    }
  }

  var summary = focusErrorSummary();
  if (summary) {
    summary.addEventListener("click", focusField);
  }
  document.addEventListener("keydown", searchOnEnter);
})();
