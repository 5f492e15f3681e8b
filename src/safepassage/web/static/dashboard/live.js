/* What the coordinators' pages (/dashboard and /dashboard/map) share: the token (kept in the
 * tab's session storage, taken from a #token=... fragment), reading the API, the live stream
 * with its fallback to polling, place names instead of ids, and the map's live features.
 *
 * The state (GET /api/v1/state/{corridor}) gives every figure per kind, unit, status and
 * source, with its time: totals, paces, queues and waits per checkpoint. Nothing here adds
 * figures of different statuses or sources; a figure is written from its fields, with the
 * place's name, never from its `text` (which names places by id). */
(function () {
  "use strict";

  var TOKEN = "sp-token";

  function token() { return sessionStorage.getItem(TOKEN); }

  // A link with #token=... (opened or pasted into this tab): keep the token, clear the address.
  function tokenFromFragment() {
    var fragment = new URLSearchParams(location.hash.slice(1));
    if (!fragment.get("token")) return false;
    sessionStorage.setItem(TOKEN, fragment.get("token"));
    history.replaceState(null, "", location.pathname + location.search);
    return true;
  }

  function signIn(typed) { if (typed) sessionStorage.setItem(TOKEN, typed); }

  function get(path) {
    return fetch(path, { headers: { Authorization: "Bearer " + token() } }).then(function (r) {
      if (!r.ok) throw new Error(path + ": " + r.status + (r.status === 401 ? " (token refused)" : ""));
      return r.json();
    });
  }

  // Live: server-sent events read with fetch (an EventSource cannot send the token). When the
  // stream cannot be had or breaks, `poll` runs every 30 s and the stream is tried again.
  // `mode(m)` is told "connecting", "stream" or "polling". Returns a function that stops it.
  function listen(corridor, onState, mode, poll) {
    var stopped = false;
    var controller = null;
    var timer = null;
    function connect() {
      if (stopped) return;
      controller = new AbortController();
      mode("connecting");
      fetch("/api/v1/state/" + encodeURIComponent(corridor) + "/stream", {
        headers: { Authorization: "Bearer " + token() },
        signal: controller.signal,
      }).then(function (res) {
        if (!res.ok || !res.body) throw new Error("stream: " + res.status);
        mode("stream");
        clearInterval(timer);
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
              if (data && !stopped) onState(JSON.parse(data));
            });
            return pump();
          });
        }
        return pump();
      }).catch(function () {
        if (stopped) return;
        mode("polling");
        clearInterval(timer);
        timer = setInterval(poll, 30000);
        setTimeout(connect, 30000);
      });
    }
    connect();
    return function () {
      stopped = true;
      clearInterval(timer);
      if (controller) controller.abort();
    };
  }

  // -- names -------------------------------------------------------------------------------
  // The served scenarios' places (/api/v1/places?lang=) name what the log calls by id; an id
  // no scenario names is made readable ("cp04-manhush" -> "cp04 manhush"), never shown raw.
  function Names(collection) {
    var names = {};
    ((collection && collection.features) || []).forEach(function (f) {
      if (f.properties.id && f.properties.name) names[f.properties.id] = f.properties.name;
    });
    return function (id) {
      if (id === null || id === undefined || id === "") return "";
      return names[id] || String(id).replace(/[-_]+/g, " ");
    };
  }

  // -- figures in words ------------------------------------------------------------------
  var UNIT = { people: "people", vehicles: "vehicles", buses: "buses" };
  var KIND = {
    killed: "killed", injured: "injured", missing: "missing", evacuated: "evacuated",
    crossed: "out through", arrived: "arrived at", sheltering: "sheltering", in_need: "in need",
    waiting: "waiting at", blocked: "blocked", seized: "seized",
  };
  var AT_PLACE = { crossed: true, arrived: true, waiting: true };
  var BASIS = {
    claimed: "claimed by a party to the conflict",
    reconstructed: "RECONSTRUCTED, not reported",
    assumed: "ASSUMED, not reported",
  };

  function count(n) { return Number(n).toLocaleString("en-GB"); }

  function value(f) {
    if (f.high === null || f.high === undefined) return "at least " + count(f.low || 0);
    if (f.low === null || f.low === undefined || f.qualifier === "as_many_as") return "as many as " + count(f.high);
    if (f.low !== f.high) return count(f.low) + " to " + count(f.high);
    return (f.qualifier === "about" ? "about " : "") + count(f.low);
  }

  function span(s) {
    if (s.kind === "stock") return "at " + s.end.text;
    if (s.kind === "cumulative") return "in all" + (s.start ? " since " + s.start.text : "") + " up to " + s.end.text;
    if (!s.start) return "reported " + s.end.text;
    return "from " + s.start.text + " to " + s.end.text;
  }

  function source(f) {
    var s = f.source.name + (f.source.party ? " (a party to the conflict)" : "");
    if (f.source.via) s += " via " + f.source.via;
    (f.also_said_by || []).forEach(function (o) { s += ", " + o.name; });
    return s;
  }

  // What a figure counts, where: "vehicles out through Manhush".
  function what(f, name) {
    var w = UNIT[f.what.unit] + " " + KIND[f.what.kind];
    if (!f.what.place) return w;
    return w + (AT_PLACE[f.what.kind] ? " " : " in ") + name(f.what.place);
  }

  // One figure: value, what, when, who, how far verified.
  function figure(f, name) {
    var basis = BASIS[f.basis] ? "; " + BASIS[f.basis] : "";
    var line = value(f) + " " + what(f, name) + ", " + span(f.span) + ": said by " + source(f) +
      basis + "; " + f.status.text;
    if (f.vehicles_without_people) line += " (people not reported for " + count(f.vehicles_without_people) + " vehicles of this source)";
    return line;
  }

  function pace(p, name) {
    var lo = Math.round(p.per_hour_low || 0), hi = p.per_hour_high === null ? null : Math.round(p.per_hour_high);
    var n = hi === null ? "at least " + count(lo) : lo === hi ? count(lo) : count(lo) + " to " + count(hi);
    return n + " " + UNIT[p.of.what.unit] + " an hour " + KIND[p.of.what.kind] + " " + name(p.of.what.place) +
      " (" + span(p.of.span) + "; " + source(p.of) + "; " + p.status.text + ")";
  }

  function minutes(m) {
    var h = Math.floor(m / 60), r = Math.round(m % 60);
    return h ? h + " h " + (r < 10 ? "0" : "") + r + " min" : r + " min";
  }

  function waitText(w, name) {
    var lo = w.minutes_low, hi = w.minutes_high;
    var n = hi === null ? "at least " + minutes(lo || 0) : lo === null ? "up to " + minutes(hi) :
      Math.round(lo) === Math.round(hi) ? "about " + minutes(lo) : minutes(lo) + " to " + minutes(hi);
    var q = w.queue_seen;
    return n + " at " + name(q.what.place) + ": " + value(q) + " " + UNIT[q.what.unit] + " queueing at " +
      q.as_of.text + ", at the pace of " + pace(w.pace, name);
  }

  function comparison(d, name) {
    var first = d.figures[0];
    var hi = d.high === null ? "no upper bound" : count(d.high);
    return "Sources differ on " + what(first, name) + ": from " + count(d.low || 0) + " to " + hi +
      " (" + d.figures.map(function (f) { return value(f) + " by " + source(f) + ", " + f.status.text; }).join("; ") +
      "); not added, not averaged";
  }

  // A moment in the corridor's zone with its date and the zone: "14 Mar 2022 13:00 Europe/Kyiv".
  function when(iso, zone) {
    if (!iso) return "not known";
    var d = new Date(iso);
    try {
      var parts = new Intl.DateTimeFormat("en-GB", {
        timeZone: zone || "UTC", day: "numeric", month: "short", year: "numeric",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      }).formatToParts(d);
      var p = {};
      parts.forEach(function (x) { p[x.type] = x.value; });
      return p.day + " " + p.month + " " + p.year + " " + p.hour + ":" + p.minute + " " + (zone || "UTC");
    } catch (err) {
      return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
    }
  }

  // -- the corridor's status, honestly -------------------------------------------------
  // Green OPEN only for a confirmed "open" whose window runs and which no incident on the
  // route contradicts; otherwise the words say what is wrong.
  function corridorStatus(state, now) {
    var s = state.status;
    if (!s) return { key: "unknown", words: "NO STATUS REPORTED" };
    if (s.stale) return { key: "unknown", words: "UNKNOWN SINCE " + s.unknown_since.text };
    var ended = state.window && new Date(state.window.end) < (now || new Date());
    if (s.status === "open") {
      if (ended) return { key: "warning", words: "OPEN, BUT THE WINDOW ENDED " + state.window.end_at.text };
      var contradicted = (state.alerts || []).some(function (a) { return a.kind === "status_contradicted"; });
      if (contradicted) return { key: "warning", words: "OPEN, CONTRADICTED BY AN INCIDENT" };
      if (s.verification !== "confirmed") return { key: "warning", words: "OPEN (NOT CONFIRMED)" };
      return { key: "open", words: "OPEN" };
    }
    return { key: s.status, words: String(s.status).toUpperCase() };
  }

  // -- the map's live features ---------------------------------------------------------
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

  // The pace a checkpoint's dot is sized by: vehicles an hour in the last hour as confirmed,
  // the largest of one confirmed source (never a sum across sources or with unconfirmed
  // paces); null when no confirmed pace (the dot is then drawn small).
  function confirmedPace(live) {
    var best = null;
    (live.paces || []).forEach(function (p) {
      if (p.of.what.unit !== "vehicles" || p.of.what.kind !== "crossed" || p.status.state !== "confirmed") return;
      var v = p.per_hour_high === null ? p.per_hour_low : p.per_hour_high;
      if (best === null || v > best) best = v;
    });
    return best === null ? null : Math.round(best);
  }

  function between(a, b, share) {
    var p = a.geometry.coordinates, q = b.geometry.coordinates;
    return { type: "Point", coordinates: [p[0] + (q[0] - p[0]) * share, p[1] + (q[1] - p[1]) * share] };
  }

  function liveData(places, state, now) {
    var index = byId(places);
    var name = Names(places);
    var silent = {};
    (state.alerts || []).forEach(function (a) { if (a.kind === "checkpoint_silent") silent[a.checkpoint] = true; });
    var ended = state.window && state.window.end && new Date(state.window.end) < (now || new Date());
    var features = places.features.map(function (f) {
      if (f.properties.kind !== "checkpoint") return f;
      var live = (state.checkpoints || {})[f.properties.id] || {};
      var props = Object.assign({}, f.properties, { status: checkpointStatus(f.properties.id, state, silent, ended) });
      delete props.throughput_vph;  // the scenario's capacity is no live figure
      var vph = confirmedPace(live);
      if (vph !== null) props.pace_vph = vph;
      return { type: "Feature", geometry: f.geometry, properties: props };
    });
    (state.incidents || []).forEach(function (inc) {
      var where = inc.place && index[inc.place];
      var geometry = where ? where.geometry : Array.isArray(inc.position) ? { type: "Point", coordinates: [inc.position[1], inc.position[0]] } : null;
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
      if (geometry) features.push({ type: "Feature", geometry: geometry, properties: { kind: "convoy", name: name(c.id) } });
    });
    return { type: "FeatureCollection", features: features };
  }

  // The corridor a page follows (the value of `select`): read at once, then followed live;
  // `box` says how (stream or polling) in its data-live.
  function follow(select, draw, say, box) {
    var stop = null;
    function refresh() {
      var corridor = select.value;
      if (!corridor) return Promise.resolve();
      return get("/api/v1/state/" + encodeURIComponent(corridor)).then(function (state) {
        draw(corridor, state);
      }).catch(function (err) { say(String(err.message || err)); });
    }
    function start() {
      var corridor = select.value;
      if (stop) stop();
      if (!corridor) return;
      stop = listen(corridor, function (state) {
        if (corridor === select.value) draw(corridor, state);
      }, function (mode) { box.dataset.live = mode; }, refresh);
    }
    return { refresh: refresh, listen: start };
  }

  // The corridors of GET /api/v1/state as options, by the names their announcements gave
  // (else `name`), keeping the one chosen.
  function fillCorridors(select, list, name) {
    var chosen = select.value;
    select.replaceChildren();
    list.corridors.forEach(function (c) {
      var o = document.createElement("option");
      o.value = c;
      o.textContent = (list.names && list.names[c]) || name(c);
      select.appendChild(o);
    });
    if (chosen) select.value = chosen;
  }

  window.spLive = {
    follow: follow, fillCorridors: fillCorridors,
    token: token, tokenFromFragment: tokenFromFragment, signIn: signIn, get: get, listen: listen,
    Names: Names, figure: figure, pace: pace, waitText: waitText, comparison: comparison,
    value: value, what: what, source: source, minutes: minutes, when: when,
    corridorStatus: corridorStatus, liveData: liveData, confirmedPace: confirmedPace,
  };
})();
