/* The finder without JavaScript is a plain GET form; this only adds conveniences:
 * click the map (or use the device's location) to sort by distance from a point,
 * print the list, and on the suggestion form, click the map to place the marker. */
(function () {
  "use strict";
  var mapElement = document.querySelector(".folium-map");
  var map = mapElement && window[mapElement.id];

  function fill(latInput, lonInput, latlng) {
    latInput.value = latlng.lat.toFixed(6);
    lonInput.value = latlng.lng.toFixed(6);
  }

  var form = document.getElementById("finder-form");
  if (form) {
    // Leave empty filters out of the address, so a shared link stays short.
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name && !el.value && el.tagName !== "BUTTON") { el.disabled = true; }
      });
    });
  }
  if (form && form.elements.lat) {
    var searchFrom = function (latlng) {
      fill(form.elements.lat, form.elements.lon, latlng);
      form.elements.from.value = "";
      form.submit();
    };
    if (map) { map.on("click", function (event) { searchFrom(event.latlng); }); }
    document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });
    var locate = form.querySelector(".locate");
    if (locate && navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (position) {
          searchFrom({ lat: position.coords.latitude, lng: position.coords.longitude });
        });
      });
    }
  }

  var printLink = document.querySelector(".print-link");
  if (printLink) {
    printLink.hidden = false;
    printLink.addEventListener("click", function (event) {
      event.preventDefault();
      window.print();
    });
  }

  var suggest = document.getElementById("suggest-form");
  if (suggest && map) {
    var marker = null;
    map.on("click", function (event) {
      fill(suggest.elements.latitude, suggest.elements.longitude, event.latlng);
      if (marker) { marker.setLatLng(event.latlng); } else {
        marker = L.marker(event.latlng, { title: document.title }).addTo(map);
      }
    });
  }
}());
