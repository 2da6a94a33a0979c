/* Opening hours: the per-day editor writes OpenStreetMap's syntax into the field
 * above it as it is typed ("Mo-Fr 08:00-16:00; Sa 10:00-13:00; PH off"). The server
 * reads and normalises that text; it also reads changed rows when there is no
 * script (webgis/features/kinds.py, Hours.clean), which is why the hidden
 * "-shown" input is brought up to date here: the rows then count as written. */
(function () {
  "use strict";
  if (window.hoursEditorReady) { return; }
  window.hoursEditorReady = true;
  var DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  var OSM = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

  /* One day's row as the syntax writes it: 8.00 → 08:00, dashes, no spaces. */
  function tidy(text) {
    return text.trim()
      .replace(/[\u2012\u2013\u2014\u2212]/g, "-")
      .replace(/(^|[^\d:.])(\d{1,2})[.:](\d{2})(?![\d:.])/g, function (all, before, h, m) {
        return before + (h.length === 1 ? "0" + h : h) + ":" + m;
      })
      .replace(/\s*([,-])\s*/g, "$1");
  }

  function expression(rows, holidays, note) {
    var groups = [];
    rows.forEach(function (row, index) {
      var last = groups[groups.length - 1];
      if (last && last.row === row && last.to === index - 1) { last.to = index; }
      else { groups.push({ from: index, to: index, row: row }); }
    });
    var comment = note ? " \"" + note.replace(/"/g, "'") + "\"" : "";
    var rules = groups.filter(function (g) { return g.row; }).map(function (g) {
      var days = g.from === g.to ? OSM[g.from] : OSM[g.from] + "-" + OSM[g.to];
      return days + " " + g.row + comment;
    });
    if (holidays && rules.length) { rules.push("PH off"); }
    if (!rules.length && comment) { rules.push("unknown" + comment); }
    return rules.join("; ");
  }

  function attach(box) {
    var name = box.dataset.field;
    var form = box.closest("form");
    var syntax = form.elements[name];
    var shown = form.elements[name + "-shown"];
    var holidays = form.elements[name + "-ph"];
    var note = form.elements[name + "-note"];
    var rows = DAYS.map(function (day) { return form.elements[name + "-" + day]; });

    function state() {
      var parts = rows.map(function (input) { return input.value.trim(); });
      parts.push(holidays.checked ? "y" : "", note.value.trim());
      return parts.some(Boolean) ? parts.join("|") : "";
    }

    function write() {
      syntax.value = expression(
        rows.map(function (input) { return tidy(input.value); }),
        holidays.checked,
        note.value.trim()
      );
      shown.value = state();
      syntax.dispatchEvent(new Event("change"));
    }

    rows.concat([holidays, note]).forEach(function (input) {
      input.addEventListener("input", write);
      input.addEventListener("change", write);
    });
    /* What is typed in the syntax field is what counts from then on. */
    syntax.addEventListener("input", function () { shown.value = state(); });
  }

  function start() {
    document.querySelectorAll(".hours-editor[data-field]").forEach(attach);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
