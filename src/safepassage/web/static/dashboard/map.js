/* Coordinators' map: the served scenarios' places (/api/v1/places) coloured by the corridor's
 * live state (/api/v1/state/{corridor}), with incidents and estimated convoy positions, over
 * the basemap when the server has one. Live from /api/v1/state/{corridor}/stream, else polled. The token stays in the tab's session storage (as on
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

  function draw(corridor, state) {
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
    var box = $("map");
    box.dataset.updates = String(Number(box.dataset.updates || 0) + 1);
  }

  function refresh() {
    var corridor = $("corridor").value;
    if (!corridor) return Promise.resolve();
    return get("/api/v1/state/" + encodeURIComponent(corridor)).then(function (state) {
      draw(corridor, state);
    }).catch(function (err) { say(String(err.message || err)); });
  }

  // Live: server-sent events read with fetch (an EventSource cannot send the token). When the
  // stream cannot be had or breaks, the page polls every 30 s and tries the stream again.
  var stream = null;

  function listen(corridor) {
    if (stream) stream.abort();
    var controller = new AbortController();
    stream = controller;
    $("map").dataset.live = "connecting";
    fetch("/api/v1/state/" + encodeURIComponent(corridor) + "/stream", {
      headers: { Authorization: "Bearer " + sessionStorage.getItem("sp-token") },
      signal: controller.signal,
    }).then(function (res) {
      if (!res.ok || !res.body) throw new Error("stream: " + res.status);
      $("map").dataset.live = "stream";
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) throw new Error("stream ended");
          buffer += decoder.decode(chunk.value, { stream: true });
          var parts = buffer.split("\n\n");
          buffer = parts.pop();
          parts.forEach(function (message) {
            var data = message.split("\n").filter(function (l) { return l.indexOf("data: ") === 0; })
              .map(function (l) { return l.slice(6); }).join("\n");
            if (data && corridor === $("corridor").value) draw(corridor, JSON.parse(data));
          });
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      if (controller.signal.aborted) return;
      $("map").dataset.live = "polling";
      setTimeout(function () { if (stream === controller) listen(corridor); }, 30000);
    });
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
      timer = setInterval(function () { if ($("map").dataset.live !== "stream") refresh(); }, 30000);
      return refresh().then(function () { listen($("corridor").value); });
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
    $("corridor").addEventListener("change", function () { refresh().then(function () { listen($("corridor").value); }); });
    if (sessionStorage.getItem("sp-token")) show();
  });
})();
