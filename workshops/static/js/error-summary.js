// A form came back with problems: move the focus to its summary, so screen readers read it
// and the page shows it (GOV.UK's pattern). Without JavaScript the URL's #error-summary
// scrolls to it instead.
(function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
