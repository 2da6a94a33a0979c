/* The city map's thematic layers, loaded for the part of the city in view.
 *
 * The page carries no features: each layer asks the server for what lies in the
 * map's box whenever the map stops moving, and the server answers with features or,
 * where they crowd, with groups of them (a count and their extent; clicking one
 * zooms to it). A feature's popup is fetched when it is clicked. Everything the
 * server sends is text put in with textContent, except the popup, which the server
 * renders escaped like any page. */
(function () {
  "use strict";

  function bboxOf(map) {
    var b = map.getBounds();
    // Zoomed far out, Leaflet reaches past the antimeridian; the server refuses that.
    return [Math.max(b.getWest(), -180), Math.max(b.getSouth(), -90),
            Math.min(b.getEast(), 180), Math.min(b.getNorth(), 90)]
      .map(function (n) { return n.toFixed(5); }).join(",");
  }

  function badge(className, colour, text) {
    var span = document.createElement("span");
    span.className = className;
    span.style.background = colour;
    span.setAttribute("aria-hidden", "true");
    span.textContent = text;
    return span;
  }

  function liveLayer(map, control, layer, labels) {
    var group = L.featureGroup();
    var asked = 0;
    var container = map.getContainer();
    group.addTo(map);
    control.addOverlay(group, layer.name);

    function openPopup(id, latlng) {
      fetch(layer.url + "/" + id, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          L.popup({ maxWidth: 320 }).setLatLng(latlng).setContent(html).openOn(map);
        })
        .catch(function () {
          L.popup().setLatLng(latlng).setContent(document.createTextNode(labels.failed))
            .openOn(map);
        });
    }

    function groupMarker(feature) {
      var p = feature.properties;
      var title = labels.group.replace("%(count)s", p.count);
      var marker = L.marker([feature.geometry.coordinates[1], feature.geometry.coordinates[0]], {
        icon: L.divIcon({
          html: badge("feature-group feature-" + layer.key, layer.colour, String(p.count)),
          className: "feature-icon", iconSize: [34, 34], iconAnchor: [17, 17]
        }),
        title: title, alt: title, keyboard: true
      });
      marker.on("click", function () {
        var b = p.bounds;
        map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: map.getZoom() + 3 });
      });
      return marker;
    }

    function featureMarker(feature) {
      var p = feature.properties;
      var css = "feature feature-" + layer.key + (p.approximate ? " approximate" : "");
      var latlng = [feature.geometry.coordinates[1], feature.geometry.coordinates[0]];
      var marker = L.marker(latlng, {
        icon: L.divIcon({
          html: badge(css, layer.colour, layer.symbol),
          className: "feature-icon", iconSize: [26, 26], iconAnchor: [13, 13]
        }),
        title: p.title, alt: p.title, keyboard: true
      });
      marker.on("click", function () { openPopup(feature.id, marker.getLatLng()); });
      return marker;
    }

    function featureShape(feature) {
      var css = "feature feature-" + layer.key;
      return L.geoJSON(feature, {
        style: { color: layer.colour, weight: 2, fillOpacity: 0.15, className: css }
      }).on("click", function (event) { openPopup(feature.id, event.latlng); });
    }

    function draw(data) {
      group.clearLayers();
      data.features.forEach(function (feature) {
        if (feature.properties.count > 1) {
          group.addLayer(groupMarker(feature));
        } else if (feature.geometry.type === "Point") {
          group.addLayer(featureMarker(feature));
        } else {
          group.addLayer(featureShape(feature));
        }
      });
      // Tests and assistive scripts can tell when a layer has been drawn.
      container.setAttribute("data-layer-" + layer.key, String(data.matched));
    }

    function load() {
      if (!map.hasLayer(group)) { return; }
      var mine = ++asked;
      var url = layer.url + "?bbox=" + bboxOf(map) + "&zoom=" + map.getZoom();
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) { if (mine === asked) { draw(data); } })
        .catch(function () { container.setAttribute("data-layer-" + layer.key, "failed"); });
    }

    map.on("moveend", load);
    group.on("add", load);
    // folium frames the map on the city (fitBounds) after this script, and that
    // move asks for the framed view; asking now would fetch the whole world too.
    setTimeout(function () { if (asked === 0) { load(); } }, 0);
  }

  window.MapaZasobow = window.MapaZasobow || {};
  window.MapaZasobow.liveLayers = function (map, control, config) {
    config.layers.forEach(function (layer) {
      liveLayer(map, control, layer, config.labels);
    });
  };
}());
