/* Lobby terminal: after data-idle-seconds without a touch or a key, go back to the
 * start page (or clear the form when already there), so the next person starts
 * afresh. Links that would leave the site (map attribution) become plain text. */
(function () {
  "use strict";
  var body = document.body;
  var seconds = parseInt(body.dataset.idleSeconds, 10) || 120;
  var start = body.dataset.start;
  var timer = null;

  function reset() {
    var here = window.location.pathname + window.location.search;
    if (here !== start) {
      window.location.assign(start);
      return;
    }
    document.querySelectorAll("form").forEach(function (form) { form.reset(); });
    window.scrollTo(0, 0);
    arm();
  }

  function arm() {
    window.clearTimeout(timer);
    timer = window.setTimeout(reset, seconds * 1000);
  }

  ["pointerdown", "keydown", "touchstart", "wheel", "input"].forEach(function (name) {
    document.addEventListener(name, arm, { passive: true });
  });
  arm();

  function stayOnSite() {
    document.querySelectorAll("a[href]").forEach(function (link) {
      if (link.origin !== window.location.origin || link.protocol !== window.location.protocol) {
        link.removeAttribute("href");
      }
    });
  }
  stayOnSite();
  // Leaflet writes its attribution links after the map loads.
  new MutationObserver(stayOnSite).observe(body, { childList: true, subtree: true });
}());
