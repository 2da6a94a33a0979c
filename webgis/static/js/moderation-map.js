/* A suggestion's map on the moderation page: dragging the marker (or clicking the
 * map) writes the point into the accept form's latitude and longitude fields, and
 * typing in them moves the marker. Without scripts the fields alone do the job. */
(function () {
  "use strict";
  var mapElement = document.querySelector(".folium-map");
  var latitude = document.getElementById("accept-latitude");
  var longitude = document.getElementById("accept-longitude");
  if (!mapElement || !window[mapElement.id] || !latitude || !longitude) { return; }
  var map = window[mapElement.id];
  var marker = null;
  map.eachLayer(function (layer) {
    if (layer instanceof L.Marker && layer.options.draggable) { marker = layer; }
  });
  if (!marker) { return; }

  /* Six decimals: about ten centimetres, more than a point needs. */
  function write(latlng) {
    latitude.value = latlng.lat.toFixed(6);
    longitude.value = latlng.lng.toFixed(6);
    latitude.dispatchEvent(new Event("change", { bubbles: true }));
  }

  marker.on("dragend", function () { write(marker.getLatLng()); });
  map.on("click", function (event) {
    marker.setLatLng(event.latlng);
    write(event.latlng);
  });
  function typed() {
    var lat = parseFloat(latitude.value), lng = parseFloat(longitude.value);
    if (isFinite(lat) && isFinite(lng)) { marker.setLatLng([lat, lng]); }
  }
  latitude.addEventListener("input", typed);
  longitude.addEventListener("input", typed);
}());
