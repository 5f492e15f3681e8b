/* Coordinators' map: the served scenarios' places (/api/v1/places) coloured by the corridor's
 * live state (/api/v1/state/{corridor}), with incidents and estimated convoy positions, over
 * the basemap when the server has one. Live from the stream, else polled (live.js). Values
 * reach the page as text and map data, never as markup. */
(function () {
  "use strict";
  var L = window.spLive;
  var $ = function (id) { return document.getElementById(id); };
  var places = null;
  var map = null;

  function say(text) { $("message").textContent = text; }

  function draw(corridor, state) {
    var data = L.liveData(places, state);
    if (!map) {
      var element = $("map");
      map = safepassageMap.create(element, {
        data: data,
        basemap: element.dataset.basemap || null,
        glyphs: "/static/glyphs/{fontstack}/{range}.pbf",
        coordinator: true,
        attribution: "",
        labels: { checkpoint: "checkpoint (size: confirmed vehicles an hour in the last hour)" },
      });
    } else {
      safepassageMap.setData($("map"), map, data);
    }
    var name = L.Names(places);
    var ended = state.window && state.window.end && new Date(state.window.end) < new Date();
    say((state.name || name(corridor)) + ", as of " + state.as_of.text + ": " +
      (state.status ? "last status said " + state.status.said + " (" + state.status.said_by + ", " +
        state.status.as_of.text + (state.status.stale ? "; not renewed: unknown since " + state.status.unknown_since.text : "") +
        ")" : "no status reported") +
      (ended ? "; the agreed window ended " + state.window.end_at.text : ""));
    var box = $("map");
    box.dataset.updates = String(Number(box.dataset.updates || 0) + 1);
  }

  var feed = null;  // L.follow of the corridor chosen, made once the page is loaded
  function refresh() { return feed.refresh(); }
  function listen() { feed.listen(); }

  function show() {
    var lang = $("lang").value;
    return L.get("/api/v1/places?lang=" + encodeURIComponent(lang)).then(function (collection) {
      places = collection;
      return L.get("/api/v1/state");
    }).then(function (list) {
      L.fillCorridors($("corridor"), list, L.Names(places));
      if (!list.corridors.length) { say("No corridor in the log yet."); return null; }
      if (map) { map.remove(); map = null; $("map").textContent = ""; delete $("map").dataset.state; }
      return refresh().then(listen);
    }).catch(function (err) { say(String(err.message || err)); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    feed = L.follow($("corridor"), draw, say, $("map"));
    L.tokenFromFragment();
    window.addEventListener("hashchange", function () { if (L.tokenFromFragment()) show(); });
    $("sign-in").addEventListener("submit", function (ev) {
      ev.preventDefault();
      L.signIn($("token").value.trim());
      $("token").value = "";
      show();
    });
    $("corridor").addEventListener("change", function () { refresh().then(listen); });
    if (L.token()) show();
  });
})();
