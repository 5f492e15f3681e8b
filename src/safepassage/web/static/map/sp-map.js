/* safepassage map component: draws a corridor over an offline basemap (a PMTiles file served
 * by safepassage) or, without one, over the network's own GeoJSON. Needs maplibre-gl (and
 * pmtiles for a basemap) loaded first; fetches nothing but what its options name.
 *
 * Markup: <div data-sp-map> holding a script element of type application/json with the options
 * Options: data (GeoJSON FeatureCollection, `kind` on every feature), basemap (URL of a
 * .pmtiles file or null), glyphs (URL template) or inlineGlyphs ({"0-255": base64}),
 * coordinator (bool: draw convoy positions), labels ({legend texts}), attribution (text).
 * A checkpoint's dot is sized by its `pace_vph` (live: confirmed vehicles an hour), else its
 * `throughput_vph` (a plan's capacity).
 * State for pages and tests: the element's data-state becomes "ready", "no-webgl" or "error".
 */
(function () {
  "use strict";

  var FONT = ["NotoSans-Regular"];
  var STATUS_COLOURS = {
    open: "#1b7f3b",
    restricted: "#b26a00",
    suspended: "#b26a00",
    silent: "#7b3fa0",
    closed: "#b00020",
    ended: "#3d3d3d",
    planned: "#37474f",
    unknown: "#8a8a8a",
  };
  var COLOURS = {
    road: "#b9b9b9",
    route: "#0b6e4f",
    origin: "#1f4e9c",
    destination: "#1b7f3b",
    waypoint: "#333333",
    hazard: "#b00020",
    incident: "#d35400",
    convoy: "#6a1b9a",
    water: "#a9cce3",
    boundary: "#8e44ad",
  };
  var DEFAULT_LABELS = {
    route: "corridor route",
    checkpoint: "checkpoint (size: vehicles an hour)",
    origin: "assembly point (start, in the city)",
    destination: "destination (end)",
    waypoint: "town on the route",
    hazard: "hazard (closed area)",
    incident: "incident",
    convoy: "convoy position",
    road: "road",
    status: {
      open: "open, reporting", restricted: "restricted", suspended: "suspended", closed: "closed",
      silent: "no report lately", ended: "window ended", planned: "planned", unknown: "status unknown",
    },
  };

  function decodeBase64(text) {
    var raw = atob(text);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  var inlineGlyphs = {};
  var protocolsAdded = false;

  function addProtocols() {
    if (protocolsAdded) return;
    protocolsAdded = true;
    // Glyph ranges embedded in the page (a report opened from a file has no server to ask);
    // a range it lacks answers empty, so labels with unknown characters only lose those.
    maplibregl.addProtocol("spglyphs", function (params) {
      var range = params.url.split("/").pop().replace(".pbf", "");
      var data = inlineGlyphs[range];
      return Promise.resolve({ data: data ? decodeBase64(data) : new ArrayBuffer(0) });
    });
    if (window.pmtiles) {
      var protocol = new pmtiles.Protocol();
      maplibregl.addProtocol("pmtiles", protocol.tile);
    }
  }

  function canvasIcon(size, draw) {
    var canvas = document.createElement("canvas");
    canvas.width = canvas.height = size;
    var ctx = canvas.getContext("2d");
    draw(ctx, size);
    return ctx.getImageData(0, 0, size, size);
  }

  // Our sprite: drawn here instead of fetched, so no sprite file or server is needed.
  function addIcons(map) {
    map.addImage("sp-arrow", canvasIcon(24, function (ctx, s) {
      ctx.fillStyle = "#ffffff";
      ctx.strokeStyle = COLOURS.route;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(5, 5);
      ctx.lineTo(s - 5, s / 2);
      ctx.lineTo(5, s - 5);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
    }));
    map.addImage("sp-incident", canvasIcon(24, function (ctx, s) {
      ctx.fillStyle = COLOURS.incident;
      ctx.beginPath();
      ctx.moveTo(s / 2, 2);
      ctx.lineTo(s - 2, s - 3);
      ctx.lineTo(2, s - 3);
      ctx.closePath();
      ctx.fill();
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(s / 2 - 1.5, 8, 3, 7);
      ctx.fillRect(s / 2 - 1.5, 17, 3, 3);
    }));
  }

  function basemapLayers() {
    var roadWidth = ["match", ["get", "class"], ["motorway", "trunk"], 3, "primary", 2.4, "secondary", 1.8, "tertiary", 1.4, 0.8];
    return [
      { id: "base-water", type: "fill", source: "base", "source-layer": "water", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": COLOURS.water } },
      { id: "base-waterways", type: "line", source: "base", "source-layer": "water", filter: ["==", ["geometry-type"], "LineString"], paint: { "line-color": COLOURS.water, "line-width": 1.5 } },
      { id: "base-boundaries", type: "line", source: "base", "source-layer": "boundaries", paint: { "line-color": COLOURS.boundary, "line-width": 1, "line-dasharray": [3, 2] } },
      { id: "base-roads", type: "line", source: "base", "source-layer": "roads", layout: { "line-cap": "round", "line-join": "round" }, paint: { "line-color": ["match", ["get", "class"], ["motorway", "trunk"], "#e0a45c", "primary", "#f0c987", "#c8c8c8"], "line-width": roadWidth } },
      { id: "base-places", type: "symbol", source: "base", "source-layer": "places", layout: { "text-field": ["coalesce", ["get", "name"], ""], "text-font": FONT, "text-size": ["match", ["get", "place"], "city", 15, "town", 13, 11] }, paint: { "text-color": "#555555", "text-halo-color": "#ffffff", "text-halo-width": 1.2 } },
    ];
  }

  function overlayLayers(coordinator) {
    var isKind = function (kind) { return ["==", ["get", "kind"], kind]; };
    var statusColour = ["match", ["get", "status"]];
    Object.keys(STATUS_COLOURS).forEach(function (k) { statusColour.push(k, STATUS_COLOURS[k]); });
    statusColour.push(STATUS_COLOURS.unknown);
    var layers = [
      { id: "sp-road", type: "line", source: "sp", filter: isKind("road"), paint: { "line-color": COLOURS.road, "line-width": 1 } },
      { id: "sp-hazard", type: "fill", source: "sp", filter: isKind("hazard"), paint: { "fill-color": COLOURS.hazard, "fill-opacity": 0.25, "fill-outline-color": COLOURS.hazard } },
      { id: "sp-route-casing", type: "line", source: "sp", filter: isKind("route"), layout: { "line-cap": "round", "line-join": "round" }, paint: { "line-color": "#ffffff", "line-width": 8 } },
      { id: "sp-route", type: "line", source: "sp", filter: isKind("route"), layout: { "line-cap": "round", "line-join": "round" }, paint: { "line-color": COLOURS.route, "line-width": 5 } },
      { id: "sp-route-arrows", type: "symbol", source: "sp", filter: isKind("route"), layout: { "symbol-placement": "line", "symbol-spacing": 120, "icon-image": "sp-arrow", "icon-size": 0.6, "icon-allow-overlap": true } },
      { id: "sp-waypoint", type: "circle", source: "sp", filter: isKind("waypoint"), paint: { "circle-radius": 3, "circle-color": "#ffffff", "circle-stroke-color": COLOURS.waypoint, "circle-stroke-width": 1.5 } },
      { id: "sp-checkpoint", type: "circle", source: "sp", filter: isKind("checkpoint"), paint: { "circle-color": statusColour, "circle-radius": ["interpolate", ["linear"], ["coalesce", ["get", "pace_vph"], ["get", "throughput_vph"], 0], 0, 4, 60, 6, 240, 10], "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5 } },
      { id: "sp-origin", type: "circle", source: "sp", filter: isKind("origin"), paint: { "circle-color": COLOURS.origin, "circle-radius": 7, "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } },
      { id: "sp-destination", type: "circle", source: "sp", filter: isKind("destination"), paint: { "circle-color": COLOURS.destination, "circle-radius": 9, "circle-stroke-color": "#ffffff", "circle-stroke-width": 3 } },
      { id: "sp-incident", type: "symbol", source: "sp", filter: isKind("incident"), layout: { "icon-image": "sp-incident", "icon-allow-overlap": true } },
    ];
    if (coordinator) {
      layers.push({ id: "sp-convoy", type: "circle", source: "sp", filter: isKind("convoy"), paint: { "circle-color": COLOURS.convoy, "circle-radius": 6, "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } });
    }
    layers.push({
      id: "sp-labels", type: "symbol", source: "sp",
      filter: ["all", ["has", "name"], ["in", ["get", "kind"], ["literal", ["origin", "destination", "waypoint", "checkpoint", "incident", "convoy"]]]],
      layout: {
        "text-field": ["get", "name"], "text-font": FONT,
        "text-size": ["match", ["get", "kind"], ["destination", "origin"], 14, "waypoint", 13, 11],
        "text-offset": [0, 1.1], "text-anchor": "top", "text-optional": true,
        "symbol-sort-key": ["match", ["get", "kind"], "destination", 0, "origin", 1, "waypoint", 2, 3],
      },
      paint: { "text-color": "#1a1a1a", "text-halo-color": "#ffffff", "text-halo-width": 1.6 },
    });
    return layers;
  }

  function bounds(data, fallback) {
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    function visit(c) {
      if (typeof c[0] === "number") {
        b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
        b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
      } else c.forEach(visit);
    }
    data.features.forEach(function (f) {
      if (f.properties.kind !== "road") visit(f.geometry.coordinates);
    });
    if (!isFinite(b[0]) && fallback) return [[fallback[0], fallback[1]], [fallback[2], fallback[3]]];
    if (!isFinite(b[0])) data.features.forEach(function (f) { visit(f.geometry.coordinates); });
    return isFinite(b[0]) ? [[b[0], b[1]], [b[2], b[3]]] : [[-180, -60], [180, 75]];
  }

  function swatch(kind, colour, shape) {
    var span = document.createElement("span");
    span.className = "sp-swatch sp-" + shape;
    span.style.background = colour;
    span.setAttribute("aria-hidden", "true");
    return span;
  }

  function legendBox(opts, kinds) {
    var labels = Object.assign({}, DEFAULT_LABELS, opts.labels || {});
    var statusLabels = Object.assign({}, DEFAULT_LABELS.status, (opts.labels || {}).status || {});
    var box = document.createElement("div");
    box.className = "sp-legend";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", labels.title || "legend");
    var list = document.createElement("ul");
    function item(colour, shape, text) {
      var li = document.createElement("li");
      li.appendChild(swatch("", colour, shape));
      li.appendChild(document.createTextNode(text));
      list.appendChild(li);
    }
    if (kinds.route) item(COLOURS.route, "line", labels.route);
    if (kinds.origin) item(COLOURS.origin, "dot", labels.origin);
    if (kinds.destination) item(COLOURS.destination, "dot", labels.destination);
    if (kinds.waypoint) item("#ffffff", "ring", labels.waypoint);
    if (kinds.checkpoint) {
      Object.keys(kinds.statuses).forEach(function (s) {
        item(STATUS_COLOURS[s] || STATUS_COLOURS.unknown, "dot", labels.checkpoint + ": " + (statusLabels[s] || s));
      });
    }
    if (kinds.hazard) item(COLOURS.hazard, "area", labels.hazard);
    if (kinds.incident) item(COLOURS.incident, "tri", labels.incident);
    if (kinds.convoy && opts.coordinator) item(COLOURS.convoy, "dot", labels.convoy);
    if (kinds.road) item(COLOURS.road, "line", labels.road);
    if (opts.ends) {
      var ends = document.createElement("p");
      ends.className = "sp-ends";
      ends.textContent = opts.ends;
      box.appendChild(ends);
    }
    box.appendChild(list);
    return box;
  }

  function kindsOf(data) {
    var kinds = { statuses: {} };
    data.features.forEach(function (f) {
      kinds[f.properties.kind] = true;
      if (f.properties.kind === "checkpoint") kinds.statuses[f.properties.status || "unknown"] = true;
    });
    return kinds;
  }

  function withoutConvoys(data) {
    return { type: "FeatureCollection", features: data.features.filter(function (f) { return f.properties.kind !== "convoy"; }) };
  }

  function create(element, opts) {
    var data = opts.data;
    var kinds = kindsOf(data);
    element._spOptions = opts;
    // Convoy positions are for coordinators only: never drawn, and dropped from the data.
    if (!opts.coordinator) data = withoutConvoys(data);
    if (opts.inlineGlyphs) Object.assign(inlineGlyphs, opts.inlineGlyphs);
    addProtocols();
    var sources = {
      sp: { type: "geojson", data: data, attribution: opts.attribution || "" },
    };
    var layers = [{ id: "background", type: "background", paint: { "background-color": "#f4f1ea" } }];
    if (opts.basemap) {
      var url = new URL(opts.basemap, window.location.href).href;
      sources.base = { type: "vector", url: "pmtiles://" + url, attribution: "© OpenStreetMap contributors" };
      layers = layers.concat(basemapLayers());
    }
    layers = layers.concat(overlayLayers(!!opts.coordinator));
    var target = document.createElement("div");
    target.className = "sp-map-canvas";
    element.appendChild(target);
    var map;
    try {
      map = new maplibregl.Map({
        container: target,
        style: {
          version: 8,
          glyphs: opts.inlineGlyphs || !opts.glyphs ? "spglyphs://{fontstack}/{range}.pbf" : new URL(opts.glyphs, window.location.href).href.replace("%7Bfontstack%7D", "{fontstack}").replace("%7Brange%7D", "{range}"),
          sources: sources,
          layers: layers,
        },
        bounds: bounds(data, opts.bounds),
        fitBoundsOptions: { padding: 40 },
        attributionControl: false,
        maplibreLogo: false,
        cooperativeGestures: !!opts.cooperativeGestures,
      });
    } catch (err) {
      element.dataset.state = "no-webgl";
      target.remove();
      return null;
    }
    element.classList.add("sp-map-live");
    map.on("style.load", function () { addIcons(map); });
    map.addControl(new maplibregl.AttributionControl({ compact: false }), "bottom-right");
    map.addControl(new maplibregl.ScaleControl({ unit: "metric", maxWidth: 120 }), "bottom-left");
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    element.insertBefore(legendBox(opts, kinds), target.nextSibling);
    var errors = [];
    map.on("error", function (e) {
      errors.push(String((e.error && e.error.message) || e.error || e));
      element.dataset.errors = JSON.stringify(errors);
    });
    map.once("idle", function () { element.dataset.state = errors.length ? "error" : "ready"; });
    (window.spMaps = window.spMaps || []).push(map);
    return map;
  }

  function init() {
    document.querySelectorAll("[data-sp-map]").forEach(function (element) {
      if (element.dataset.state) return;
      var script = element.querySelector('script[type="application/json"]');
      if (!script) return;
      element.dataset.state = "loading";
      if (!window.maplibregl) { element.dataset.state = "no-webgl"; return; }
      create(element, JSON.parse(script.textContent));
    });
  }

  // New data for a map made by create(): the source and the legend follow.
  function setData(element, map, data, opts) {
    var options = Object.assign({}, element._spOptions || {}, opts || {});
    if (!map.getSource("sp")) {  // the style is still loading: set the data once it has
      map.once("load", function () { setData(element, map, data, opts); });
      return;
    }
    map.getSource("sp").setData(options.coordinator ? data : withoutConvoys(data));
    var old = element.querySelector(".sp-legend");
    if (old) old.replaceWith(legendBox(options, kindsOf(data)));
  }

  window.safepassageMap = { create: create, init: init, setData: setData };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
