/* Coordinators' map: the served scenarios' places (/api/v1/places) coloured by the corridor's
 * live state (/api/v1/state/{corridor}), with incidents and estimated convoy positions, over
 * the basemap when the server has one. The token stays in the tab's session storage (as on
 * the dashboard); values reach the page as text and map data, never as markup. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var places = null;
  var map = null;
  var timer = null;

  function get(path) {
    return fetch(path, { headers: { Authorization: "Bearer " + sessionStorage.getItem("sp-token") } })
      .then(function (r) {
        if (!r.ok) throw new Error(path + ": " + r.status + (r.status === 401 ? " (token refused)" : ""));
        return r.json();
      });
  }

  function say(text) { $("message").textContent = text; }

  function byId(collection) {
    var out = {};
    collection.features.forEach(function (f) { if (f.properties.id) out[f.properties.id] = f; });
    return out;
  }

  // What a checkpoint's colour says: never a green "open" for a window that has ended, a
  // corridor that is not open, or a checkpoint that has gone silent.
  function checkpointStatus(id, state, silent, ended) {
    var corridor = state.status && state.status.status;
    if (!state.checkpoints || !(id in state.checkpoints)) return "unknown";
    if (ended) return "ended";
    if (corridor === "closed") return "closed";
    if (corridor === "suspended") return "suspended";
    if (corridor !== "open") return "unknown";
    return silent[id] ? "silent" : "open";
  }

  function point(feature, props) {
    return { type: "Feature", geometry: feature.geometry, properties: props };
  }

  function between(a, b, share) {
    var p = a.geometry.coordinates, q = b.geometry.coordinates;
    return { type: "Point", coordinates: [p[0] + (q[0] - p[0]) * share, p[1] + (q[1] - p[1]) * share] };
  }

  function liveData(state) {
    var index = byId(places);
    var silent = {};
    (state.alerts || []).forEach(function (a) { if (a.kind === "checkpoint_silent") silent[a.checkpoint] = true; });
    var ended = state.window && state.window.end && new Date(state.window.end) < new Date();
    var features = places.features.map(function (f) {
      if (f.properties.kind !== "checkpoint") return f;
      var live = (state.checkpoints || {})[f.properties.id] || {};
      var props = Object.assign({}, f.properties, { status: checkpointStatus(f.properties.id, state, silent, ended) });
      if (typeof live.throughput_vph === "number") props.throughput_vph = live.throughput_vph;
      return point(f, props);
    });
    (state.incidents || []).forEach(function (inc) {
      var where = inc.place && index[inc.place];
      var geometry = where ? where.geometry : Array.isArray(inc.at) ? { type: "Point", coordinates: [inc.at[1], inc.at[0]] } : null;
      if (geometry) features.push({ type: "Feature", geometry: geometry, properties: { kind: "incident", name: String(inc.kind || "incident") } });
    });
    (state.convoys || []).forEach(function (c) {
      var pos = c.estimated_position;
      var geometry = null;
      if (pos && pos.between && index[pos.between[0]] && index[pos.between[1]]) {
        geometry = between(index[pos.between[0]], index[pos.between[1]], pos.share_of_leg || 0);
      } else if (index[c.last_waypoint]) {
        geometry = index[c.last_waypoint].geometry;
      }
      if (geometry) features.push({ type: "Feature", geometry: geometry, properties: { kind: "convoy", name: String(c.id) } });
    });
    return { type: "FeatureCollection", features: features };
  }

  function refresh() {
    var corridor = $("corridor").value;
    if (!corridor) return Promise.resolve();
    return get("/api/v1/state/" + encodeURIComponent(corridor)).then(function (state) {
      var data = liveData(state);
      if (!map) {
        var element = $("map");
        map = safepassageMap.create(element, {
          data: data,
          basemap: element.dataset.basemap || null,
          glyphs: "/static/glyphs/{fontstack}/{range}.pbf",
          coordinator: true,
          attribution: "",
        });
      } else {
        safepassageMap.setData($("map"), map, data);
      }
      var when = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
      var ended = state.window && state.window.end && new Date(state.window.end) < new Date();
      say("Corridor " + corridor + ", as of " + new Date().toLocaleString(undefined, when) + ": " +
        (state.status ? "last status reported " + state.status.status : "no status reported") +
        (ended ? "; the agreed window ended " + new Date(state.window.end).toLocaleString(undefined, when) : ""));
    }).catch(function (err) { say(String(err.message || err)); });
  }

  function show() {
    var lang = $("lang").value;
    return get("/api/v1/places?lang=" + encodeURIComponent(lang)).then(function (collection) {
      places = collection;
      return get("/api/v1/state");
    }).then(function (list) {
      var select = $("corridor");
      var chosen = select.value;
      select.textContent = "";
      list.corridors.forEach(function (c) {
        var o = document.createElement("option");
        o.value = o.textContent = c;
        select.appendChild(o);
      });
      if (chosen) select.value = chosen;
      if (!list.corridors.length) { say("No corridor in the log yet."); return null; }
      if (map) { map.remove(); map = null; $("map").textContent = ""; delete $("map").dataset.state; }
      clearInterval(timer);
      timer = setInterval(refresh, 30000);
      return refresh();
    }).catch(function (err) { say(String(err.message || err)); });
  }

  // A link with #token=... (opened or pasted into this tab): keep the token, clear the address.
  function tokenFromFragment() {
    var fragment = new URLSearchParams(location.hash.slice(1));
    if (!fragment.get("token")) return false;
    sessionStorage.setItem("sp-token", fragment.get("token"));
    history.replaceState(null, "", location.pathname);
    return true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    tokenFromFragment();
    window.addEventListener("hashchange", function () { if (tokenFromFragment()) show(); });
    $("sign-in").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var typed = $("token").value.trim();
      if (typed) sessionStorage.setItem("sp-token", typed);
      $("token").value = "";
      show();
    });
    $("corridor").addEventListener("change", refresh);
    if (sessionStorage.getItem("sp-token")) show();
  });
})();
