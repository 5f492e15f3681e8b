/* Coordinators' dashboard: the corridor's status (with who said it, how they know and how
 * old it is), alerts in words, the map, counts (each status and source apart), paces per
 * checkpoint, convoys and ETAs, incidents and every figure. Live from the state stream, else
 * polled (live.js). Places are named, never shown by id; values go in as text, never markup. */
(function () {
  "use strict";
  var L = window.spLive;
  var $ = function (id) { return document.getElementById(id); };
  var places = { type: "FeatureCollection", features: [] };
  var map = null;
  var name = L.Names(places);

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function fill(id, items, empty) {
    var box = $(id);
    box.replaceChildren.apply(box, items.length ? items : [el("li", empty, "empty")]);
  }

  function say(text) { $("message").textContent = text; }

  // -- status and alerts ---------------------------------------------------------------
  function ago(minutes) {
    if (minutes < 60 * 48) return L.minutes(minutes) + " ago";
    return Math.round(minutes / 1440) + " days ago";
  }

  function statusLines(state) {
    var lines = [];
    var s = state.status;
    if (s) {
      lines.push("Said: " + s.said + " by " + s.said_by + (s.checkpoint ? " (for " + name(s.checkpoint) + ")" : "") +
        ", " + s.as_of.text + " (" + ago(s.age_min) + ")");
      lines.push("How they know: " + s.basis + "; " + (s.verification === "confirmed" ? "confirmed" :
        s.verification === "claimed" ? "claimed, not confirmed" : "not verified") +
        "; source: " + (s.source || "not stated"));
      if (s.stale) lines.push("Not renewed: unknown since " + s.unknown_since.text);
    }
    var c = state.last_confirmed_status;
    if (c && (!s || c.at !== s.at)) lines.push("Last confirmed: " + c.said + " by " + c.said_by + ", " + c.as_of.text);
    if (state.window) {
      var ended = new Date(state.window.end) < new Date();
      lines.push("Window: " + state.window.start_at.text + " to " + state.window.end_at.text + " (" +
        state.window.words + (ended ? "; ENDED" : "") + ")");
    }
    if (state.route && state.route.length) lines.push("Route: " + state.route.map(name).join(" → "));
    if (state.expected_trip) lines.push("Journey: about " + L.minutes(state.expected_trip.minutes) + ", " + state.expected_trip.words);
    lines.push("As of " + state.as_of.text + "; claims awaiting review: " + state.awaiting_review);
    return lines;
  }

  function lastReport(state) {
    var latest = null;
    Object.keys(state.checkpoints || {}).forEach(function (id) {
      var h = state.checkpoints[id].last_heard;
      if (h && (!latest || h.time > latest.at.time)) latest = { id: id, at: h };
    });
    return latest;
  }

  function alertText(a, state) {
    if (a.kind === "checkpoint_silent") {
      var heard = (state.checkpoints[a.checkpoint] || {}).last_heard;
      if (a.minutes >= 24 * 60 && heard) return "No report from " + name(a.checkpoint) + " since " + heard.text;
      return "No report from " + name(a.checkpoint) + " for " + L.minutes(a.minutes);
    }
    if (a.kind === "convoy_overdue") return name(a.convoy) + " is " + L.minutes(a.minutes) + " overdue at " + name(a.at);
    if (a.kind === "status_contradicted") {
      return "The open status is contradicted: " + a.incident_kind + (a.place ? " at " + name(a.place) : " on the route") + ", " + a.at.text;
    }
    if (a.kind === "status_stale") return "Status unknown since " + a.unknown_since.text + " (last said: " + a.said + ", " + a.last_said_at.text + ")";
    return "Alert: " + String(a.kind).replace(/_/g, " ");
  }

  function alerts(state) {
    var out = (state.alerts || []).map(function (a) { return alertText(a, state); });
    if (state.window && new Date(state.window.end) < new Date()) {
      var last = lastReport(state);
      out.unshift("The window ended " + state.window.end_at.text + (last ? "; last report " + last.at.text + " (" + name(last.id) + ")" : "; no checkpoint ever reported"));
    }
    if (!state.status) out.push("No status has been reported for this corridor");
    return out;
  }

  // -- counts --------------------------------------------------------------------------
  function card(f, label) {
    var li = el("li", null, f.status.state === "confirmed" ? "confirmed" : "");
    li.appendChild(el("span", L.value(f) + " " + f.what.unit, "n"));
    var basis = f.basis === "observed" || f.basis === "reported" ? "" : "; " + f.basis.toUpperCase();
    li.appendChild(el("span", (label ? label + "; " : "") + f.status.text + basis + "; said by " + L.source(f) + "; as of " + f.as_of.text, "by"));
    return li;
  }

  function counts(state) {
    var first = (state.route || [])[0];
    var last = (state.route || [])[state.route.length - 1];
    var out = [], arrived = [], waiting = [];
    Object.keys(state.checkpoints || {}).forEach(function (id) {
      var c = state.checkpoints[id];
      c.totals.forEach(function (f) {
        if (f.what.kind === "crossed" && id === first) out.push(card(f, "through " + name(id)));
        else if (f.what.kind === "arrived" || (f.what.kind === "crossed" && id === last && id !== first)) arrived.push(card(f, "at " + name(id)));
      });
      c.queues.forEach(function (q) { waiting.push(card(q, "queueing at " + name(id))); });
    });
    (state.figures || []).forEach(function (f) { if (f.what.kind === "arrived") arrived.push(card(f, f.what.place ? "at " + name(f.what.place) : "")); });
    fill("out", out, first ? "No count through " + name(first) + " yet." : "No route announced.");
    fill("arrived", arrived, "No arrival reported yet.");
    fill("waiting", waiting, "No queue reported.");
  }

  // -- paces ---------------------------------------------------------------------------
  function paces(state) {
    var rows = [];
    Object.keys(state.checkpoints || {}).forEach(function (id) {
      state.checkpoints[id].paces.forEach(function (p) {
        if (p.of.what.unit === "vehicles") rows.push({ id: id, p: p, v: p.per_hour_high === null ? p.per_hour_low : p.per_hour_high });
      });
    });
    var top = rows.reduce(function (m, r) { return Math.max(m, r.v || 0); }, 0) || 1;
    fill("paces", rows.map(function (r) {
      var li = el("li");
      li.appendChild(el("span", L.pace(r.p, name)));
      var track = el("span", null, "track");
      track.setAttribute("aria-hidden", "true");
      var bar = el("span", null, "bar" + (r.p.status.state === "confirmed" ? "" : " unconfirmed"));
      bar.style.display = "block";
      bar.style.width = Math.round(100 * (r.v || 0) / top) + "%";
      track.appendChild(bar);
      li.appendChild(track);
      return li;
    }), "No count in the last hour.");
  }

  // -- convoys and incidents -----------------------------------------------------------
  function row(cells) {
    var tr = el("tr");
    cells.forEach(function (c) { tr.appendChild(el("td", c)); });
    return tr;
  }

  function tbody(id, rows, empty, columns) {
    var body = $(id).querySelector("tbody");
    if (!rows.length) {
      var td = el("td", empty, "empty");
      td.colSpan = columns;
      var tr = el("tr");
      tr.appendChild(td);
      rows = [tr];
    }
    body.replaceChildren.apply(body, rows);
  }

  function convoys(state) {
    var zone = state.zone;
    tbody("etas", (state.convoys || []).map(function (c) {
      return row([
        name(c.id), name(c.last_waypoint), L.when(c.at, zone) + " (" + c.basis + "; " + c.status + ")",
        c.next_waypoint ? name(c.next_waypoint) : "arrived", c.eta_next ? L.when(c.eta_next, zone) : "not known",
        c.eta_destination ? L.when(c.eta_destination, zone) : "not known",
        c.overdue_min === null ? "no" : L.minutes(c.overdue_min), (c.eta_based_on || []).join("; ") || "-",
      ]);
    }), "No convoy reported.", 8);
  }

  function incidents(state) {
    tbody("incidents", (state.incidents || []).slice().reverse().map(function (i) {
      var where = i.place ? name(i.place) : i.segment ? name(i.segment[0]) + " – " + name(i.segment[1]) : "";
      return row([
        i.at.text, String(i.kind) + (i.claimed_casualties ? " (" + i.claimed_casualties + " casualties claimed)" : ""),
        (where ? where + ", " : "") + i.where, i.status, i.source || "not stated", i.note || "",
      ]);
    }), "No incident reported.", 6);
  }

  // -- model estimates -----------------------------------------------------------------
  // Apart from the observed figures, each line saying it is a model's and from which
  // calibration; the calibration's age is shown so that an old fit is not read as news.
  function hours(h) { return h.toFixed(1) + " h"; }

  function band(f) { return "P10 " + hours(f.p10) + ", P50 " + hours(f.p50) + ", P90 " + hours(f.p90); }

  function modelEstimates(state) {
    var m = state.model_estimates;
    var cal = m && m.calibration;
    var lines = [];
    if (!m || !m.configured) lines.push("No model for this corridor: the server was not given a calibration for it (serve --calibration).");
    else if (!cal) lines.push("The model has no estimate yet" + (m.refit.running ? " (a fit is running)." : "."));
    else {
      var age = (Date.now() - new Date(cal.fitted_at.time).getTime()) / 60000;
      lines.push("Calibration " + cal.id + " (" + cal.origin + "), fitted " + cal.fitted_at.text + " (" + ago(Math.max(0, age)) + ") on " +
        cal.counts + " confirmed count(s)" + (cal.counts_up_to ? " up to " + cal.counts_up_to.text : "") +
        (cal.source_of_counts ? " from " + cal.source_of_counts : "") + "; at " + name(cal.checkpoint));
      var t = cal.throughput_vph;
      if (t) lines.push("Its throughput: P10 " + Math.round(t.p10) + ", P50 " + Math.round(t.p50) + ", P90 " + Math.round(t.p90) + " vehicles an hour");
      lines.push((m.stale ? "OUT OF DATE: the estimates were valid until " : "Valid until ") + m.valid_until.text);
    }
    var last = m && m.refit && m.refit.last;
    if (last) lines.push("Last refit: " + String(last.outcome).replace(/_/g, " ") + ", " + last.at.text + (last.reason ? " (" + last.reason + ")" : ""));
    fill("model-calibration", lines.map(function (t) { return el("li", t); }), "");
    fill("model-waits", ((m && m.waits) || []).map(function (w) {
      return el("li", "MODEL ESTIMATE: a vehicle joining the queue at " + name(w.what.place) + " at " + w.as_of.text +
        " waits " + band(w) + " (" + w.method + "; " + w.status.text + ")");
    }), "No model wait.");
    fill("model-etas", ((m && m.etas) || []).map(function (e) {
      return el("li", "MODEL ESTIMATE: leaving " + name(e.what.from) + " at " + e.as_of.text + ", at " + name(e.what.place) +
        " about " + e.eta.p50.text + " (" + band(e) + " on the way; " + e.status.text + ")");
    }), (m && m.etas_note) || "No model ETA.");
  }

  // -- every figure --------------------------------------------------------------------
  function figures(state) {
    var box = $("figures");
    var parts = [];
    Object.keys(state.checkpoints || {}).forEach(function (id) {
      var c = state.checkpoints[id];
      parts.push(el("h3", name(id) + " (last report " + (c.last_heard ? c.last_heard.text : "never") + ")"));
      var ul = el("ul");
      c.totals.forEach(function (f) { ul.appendChild(el("li", L.figure(f, name))); });
      c.paces.forEach(function (p) { ul.appendChild(el("li", "Pace: " + L.pace(p, name))); });
      c.queues.forEach(function (q) { ul.appendChild(el("li", "Queue: " + L.figure(q, name))); });
      c.waits.forEach(function (w) { ul.appendChild(el("li", "Wait: " + L.waitText(w, name))); });
      c.sources_differ.forEach(function (d) { ul.appendChild(el("li", L.comparison(d, name))); });
      parts.push(ul);
    });
    if ((state.figures || []).length) {
      parts.push(el("h3", "Other figures"));
      var ul = el("ul");
      state.figures.forEach(function (f) { ul.appendChild(el("li", L.figure(f, name))); });
      state.sources_differ.forEach(function (d) { ul.appendChild(el("li", L.comparison(d, name))); });
      parts.push(ul);
    }
    if (!parts.length) parts.push(el("p", "No figure reported yet.", "empty"));
    box.replaceChildren.apply(box, parts);
  }

  // -- drawing -------------------------------------------------------------------------
  function draw(corridor, state) {
    var status = L.corridorStatus(state);
    var badge = $("badge");
    badge.textContent = status.words;
    badge.className = "badge " + status.key;
    $("status-title").textContent = (state.name || name(corridor));
    var option = $("corridor").selectedOptions[0];
    if (option && state.name) option.textContent = state.name;
    fill("status-lines", statusLines(state).map(function (t) { return el("li", t); }), "");
    fill("alerts", alerts(state).map(function (t) { return el("li", t); }), "No alert.");
    counts(state);
    paces(state);
    convoys(state);
    modelEstimates(state);
    incidents(state);
    figures(state);
    var data = L.liveData(places, state);
    if (window.safepassageMap && window.maplibregl) {
      if (!map) {
        map = safepassageMap.create($("map"), {
          data: data,
          basemap: $("map").dataset.basemap || null,
          glyphs: "/static/glyphs/{fontstack}/{range}.pbf",
          coordinator: true,
          attribution: "",
          labels: { checkpoint: "checkpoint (size: confirmed vehicles an hour in the last hour)" },
        });
      } else {
        safepassageMap.setData($("map"), map, data);
      }
    }
    $("review-link").href = "/claims/" + encodeURIComponent(corridor);
    say("Updated " + state.as_of.text + " (log event " + state.events_applied + ")");
    var view = $("view");
    view.dataset.updates = String(Number(view.dataset.updates || 0) + 1);
    view.dataset.events = String(state.events_applied);
  }

  var feed = null;  // L.follow of the corridor chosen, made once the page is loaded
  function refresh() { return feed.refresh(); }
  function listen() { feed.listen(); }

  function show() {
    var lang = $("lang").value;
    return L.get("/api/v1/places?lang=" + encodeURIComponent(lang)).then(function (collection) {
      places = collection;
      name = L.Names(places);
      return L.get("/api/v1/state");
    }).then(function (list) {
      L.fillCorridors($("corridor"), list, name);
      reports();
      if (!list.corridors.length) { say("No corridor in the log yet."); return null; }
      if (map) { map.remove(); map = null; $("map").replaceChildren(); delete $("map").dataset.state; }
      return refresh().then(listen);
    }).catch(function (err) { say(String(err.message || err)); });
  }

  // A report read with the token, saved as a file (a link cannot carry the token).
  function download(suffix, filename) {
    var corridor = $("corridor").value;
    if (!corridor) return;
    fetch("/api/v1/state/" + encodeURIComponent(corridor) + "/" + suffix, {
      headers: { Authorization: "Bearer " + L.token() },
    }).then(function (r) {
      if (!r.ok) throw new Error(suffix + ": " + r.status);
      return r.blob();
    }).then(function (blob) {
      var a = el("a");
      a.href = URL.createObjectURL(blob);
      a.download = corridor + "-" + filename;
      document.body.appendChild(a);
      a.click();
      a.remove();
    }).catch(function (err) { say(String(err.message || err)); });
  }

  // -- reports (serve --reports DIR) --------------------------------------------------
  // A tab cannot send the token and a blob URL would run the report under this page's policy
  // (its inline map refused), so the server gives a link signed for one minute; the tab is
  // opened at once (a popup blocker allows it only within the click) and sent there.
  function openReport(name) {
    var tab = window.open("", "_blank");
    fetch("/api/v1/reports/" + encodeURIComponent(name) + "/link", {
      method: "POST", headers: { Authorization: "Bearer " + L.token() },
    }).then(function (r) {
      if (!r.ok) throw new Error("report " + name + ": " + r.status);
      return r.json();
    }).then(function (link) {
      if (!tab) { say("The browser blocked the new tab; allow pop-ups for this page."); return; }
      tab.opener = null;
      tab.location.href = link.url;
    }).catch(function (err) { if (tab) tab.close(); say(String(err.message || err)); });
  }

  function size(bytes) {
    return bytes >= 1e6 ? (bytes / 1e6).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1e3)) + " kB";
  }

  function reports() {
    return L.get("/api/v1/reports").then(function (list) {
      fill("reports", list.reports.map(function (r) {
        var li = el("li");
        var b = el("button", "Open " + r.name);
        b.type = "button";
        b.addEventListener("click", function () { openReport(r.name); });
        li.appendChild(b);
        li.appendChild(el("span", " " + r.kind + ", " + r.format.toUpperCase() + ", " + size(r.bytes) + ", made " + r.modified.text));
        return li;
      }), list.directory ? "No report in the served folder." : "No reports are served (start the server with --reports DIR).");
    }).catch(function (err) { fill("reports", [], String(err.message || err)); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    feed = L.follow($("corridor"), draw, say, $("view"));
    L.tokenFromFragment();
    window.addEventListener("hashchange", function () { if (L.tokenFromFragment()) show(); });
    $("sign-in").addEventListener("submit", function (ev) {
      ev.preventDefault();
      L.signIn($("token").value.trim());
      $("token").value = "";
      show();
    });
    $("corridor").addEventListener("change", function () { refresh().then(listen); });
    $("sitrep").addEventListener("click", function () { download("sitrep.md", "sitrep.md"); });
    $("hxl").addEventListener("click", function () { download("hxl.csv", "counts.csv"); });
    if (L.token()) show();
  });
})();
