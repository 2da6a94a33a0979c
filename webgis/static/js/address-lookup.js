/* A feature form's address field and the city's address register (offline).
 * A typed address is looked up when the field changes: its point is set when the
 * form has none yet, and always by "find it on the map". A point clicked on the map
 * is offered the nearest address, which one button writes into the field. The
 * server answers JSON whose messages are already in the reader's language. */
(function () {
  "use strict";
  var box = document.getElementById("address-lookup");
  var field = document.getElementById("f-address");
  var geometry = document.getElementById("f-geometry");
  if (!box || !field || !geometry || !window.fetch) { return; }
  var status = box.querySelector(".address-status");
  var proposal = box.querySelector(".address-proposal");
  var precision = document.getElementById("f-location_precision");
  var placing = false; /* the point set is the address's own: offer nothing back */
  var asked = 0; /* only the answer to the latest click is shown */

  field.closest(".field").after(box);
  box.hidden = false;

  function ask(url) {
    return fetch(url, { headers: { Accept: "application/json" },
                        credentials: "same-origin" })
      .then(function (response) { return response.json(); });
  }

  function find(always) {
    var text = field.value.trim();
    if (!text) { return; }
    ask(box.dataset.geocode + "?q=" + encodeURIComponent(text)).then(function (found) {
      status.textContent = found.message;
      if (!found.found || !(always || !geometry.value.trim())) { return; }
      placing = true;
      geometry.dispatchEvent(new CustomEvent("webgis:place",
                                             { detail: { lat: found.lat, lon: found.lon } }));
      placing = false;
      if (precision) { precision.value = found.precision; }
    }).catch(function () { status.textContent = ""; });
  }

  box.querySelector(".address-find").addEventListener("click", function () { find(true); });
  field.addEventListener("change", function () { find(false); });

  geometry.addEventListener("change", function () {
    proposal.hidden = true;
    if (placing) { return; }
    var shape;
    try { shape = JSON.parse(geometry.value); } catch (error) { return; }
    if (!shape || shape.type !== "Point") { return; }
    var mine = ++asked;
    ask(box.dataset.reverse + "?lat=" + shape.coordinates[1] +
        "&lon=" + shape.coordinates[0]).then(function (found) {
      if (mine !== asked || !found.found) { return; }
      proposal.querySelector(".address-offer").textContent = found.message;
      proposal.dataset.address = found.address;
      proposal.hidden = false;
    }).catch(function () { proposal.hidden = true; });
  });

  proposal.querySelector(".address-use").addEventListener("click", function () {
    field.value = proposal.dataset.address;
    if (precision) { precision.value = "address"; }
    proposal.hidden = true;
    field.focus();
  });
}());
