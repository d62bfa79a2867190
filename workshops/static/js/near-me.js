// "Use my location": asks the browser for the position and sorts the listing by distance
// (?near=lat,lon). Without JavaScript or geolocation the button stays hidden and the
// neighbourhood picker does the same job. Nothing leaves the browser but the query string.
(function () {
  "use strict";
  if (!("geolocation" in navigator)) return;
  document.querySelectorAll("form[data-near-me]").forEach(function (form) {
    var status = form.querySelector("[data-near-me-status]");
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.near.value = position.coords.latitude.toFixed(5) + "," +
          position.coords.longitude.toFixed(5);
        form.submit();
      }, function () {
        status.textContent = form.getAttribute("data-error");
      }, { maximumAge: 600000, timeout: 15000 });
    });
  });
  // Wide screens have room for the filters beside the results: show them unfolded.
  var filters = document.querySelector("details.filters-fold");
  if (filters && window.matchMedia("(min-width: 56rem)").matches) filters.open = true;
})();
