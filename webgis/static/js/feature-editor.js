/* Feature form map: click to place a marker and drag to correct it; draw or edit an
 * area with Leaflet-Geoman. The geometry travels as GeoJSON in #f-geometry, so the
 * server validates exactly what was drawn and a failed submit shows it again. */
(function () {
  "use strict";
  var input = document.getElementById("f-geometry");
  var mapElement = document.querySelector(".folium-map");
  if (!input || !mapElement || !window[mapElement.id]) { return; }
  var map = window[mapElement.id];
  var kind = input.dataset.kind; // Point | Polygon | Geometry
  var shape = null;
  var drawing = false;

  function write() {
    input.value = shape ? JSON.stringify(shape.toGeoJSON().geometry) : "";
    input.dispatchEvent(new Event("change"));
  }

  function replace(layer) {
    if (shape) { map.removeLayer(shape); }
    shape = layer;
    if (shape) {
      shape.addTo(map);
      shape.on("dragend pm:edit pm:dragend", write);
    }
    write();
  }

  function marker(latlng) {
    return L.marker(latlng, { draggable: true, autoPan: true, keyboard: true,
                              title: input.getAttribute("aria-label") });
  }

  function load() {
    var text = input.value.trim();
    if (!text) { return; }
    try {
      var geometry = JSON.parse(text);
      if (geometry.type === "Point") {
        replace(marker([geometry.coordinates[1], geometry.coordinates[0]]));
      } else {
        var layer = L.geoJSON(geometry).getLayers()[0];
        replace(layer);
      }
    } catch (error) {
      /* Leave the text as it is: the server names what is wrong with it. */
    }
  }

  if (kind !== "Polygon") {
    map.on("click", function (event) {
      if (!drawing) { replace(marker(event.latlng)); }
    });
  }
  if (kind !== "Point" && map.pm) {
    map.pm.setLang(document.documentElement.lang === "uk" ? "ua" :
                   document.documentElement.lang === "en" ? "en" : "pl");
    map.pm.addControls({
      position: "topleft", drawMarker: false, drawCircleMarker: false,
      drawPolyline: false, drawCircle: false, drawText: false, cutPolygon: false,
      rotateMode: false, drawRectangle: true, drawPolygon: true,
      editMode: true, dragMode: true, removalMode: true
    });
    map.on("pm:drawstart", function () { drawing = true; });
    map.on("pm:drawend", function () { drawing = false; });
    map.on("pm:create", function (event) { replace(event.layer); });
    map.on("pm:remove", function () { shape = null; write(); });
  }
  input.addEventListener("change", function () {
    if (!input.value.trim() && shape) { map.removeLayer(shape); shape = null; }
  });
  load();

  /* The address lookup (address-lookup.js) places the point of a found address. */
  input.addEventListener("webgis:place", function (event) {
    var latlng = [event.detail.lat, event.detail.lon];
    if (kind !== "Polygon") { replace(marker(latlng)); }
    map.setView(latlng, Math.max(map.getZoom(), 17));
  });

  /* Fields that apply only to one kind (e.g. a need's priority) follow the choice. */
  var form = document.getElementById("feature-form");
  function toggle() {
    form.querySelectorAll(".depends").forEach(function (box) {
      var control = form.elements[box.dataset.whenField];
      box.hidden = !!control && control.value !== box.dataset.whenValue;
    });
  }
  form.addEventListener("change", toggle);
  toggle();
}());
