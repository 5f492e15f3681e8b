"""The coordinators' dashboard: one HTML page with its script and style inline (nothing from
elsewhere, so it works offline on the server's network), reading the API with the user's token.

The token is typed in, or passed in the address's fragment (`/dashboard#token=...`: a fragment
never reaches a server or its logs); it is kept in the tab's session storage only. The page
polls `/api/v1/state` and `/api/v1/state/{corridor}` every 30 seconds and shows the status,
each checkpoint's figures with source, status and time (never added across them), queues,
convoys and ETAs, and alerts.
Values are inserted as text, never as markup.
"""

from __future__ import annotations

POLL_S = 30

DASHBOARD_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>safepassage: corridor dashboard</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;color:#111;background:#fafafa}
header{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
h1{font-size:1.2rem;margin:0}
section{background:#fff;border:1px solid #ccc;border-radius:.4rem;padding:.6rem;margin:.8rem 0}
table{border-collapse:collapse;width:100%;font-size:.9rem}
td,th{text-align:left;padding:.2rem .4rem;border-bottom:1px solid #e3e3e3;vertical-align:top}
.status{font-weight:700;padding:.1rem .5rem;border-radius:.3rem;color:#fff;background:#555}
.open{background:#1b7f3b}.suspended{background:#b35900}.closed{background:#b00020}
.alert{color:#b00020;font-weight:600}.muted{color:#666;font-size:.85rem}
</style></head>
<body>
<header><h1>Corridor dashboard</h1>
<label>Token <input id="token" type="password" size="28" autocomplete="off"></label>
<label>Corridor <select id="corridor"></select></label>
<button id="connect" type="button">Connect</button>
<span id="note" class="muted"></span></header>
<main id="view"><p class="muted">Enter your token to see the corridors.</p></main>
<script>
"use strict";
const POLL_MS = __POLL__ * 1000;
const $ = (id) => document.getElementById(id);
let timer = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function table(head, rows) {
  const t = el("table"), h = el("tr");
  head.forEach((c) => h.appendChild(el("th", c)));
  t.appendChild(h);
  rows.forEach((r) => {
    const tr = el("tr");
    r.forEach((c) => tr.appendChild(el("td", c)));
    t.appendChild(tr);
  });
  return t;
}
function statusLine(s) {
  return s ? s.status.toUpperCase() + ": " + s.text : "no status reported";
}
function alertText(a) {
  if (a.kind === "checkpoint_silent") return "Checkpoint " + a.checkpoint + " silent " + a.minutes + " min";
  if (a.kind === "convoy_overdue") return "Convoy " + a.convoy + " overdue at " + a.at + " by " + a.minutes + " min";
  if (a.kind === "status_contradicted") return "Open status contradicted: " + a.incident_kind + " on the route, " + a.at.text;
  if (a.kind === "status_stale") return "Status unknown since " + a.unknown_since.text + " (last: " + a.said + ")";
  return JSON.stringify(a);
}
async function api(path) {
  const r = await fetch(path, {headers: {Authorization: "Bearer " + sessionStorage.getItem("sp-token")}});
  if (!r.ok) throw new Error(path + ": " + r.status + (r.status === 401 ? " (token refused)" : ""));
  return r.json();
}
function render(s) {
  const v = $("view");
  v.replaceChildren();
  const top = el("section");
  const badge = el("span", s.status ? s.status.status.toUpperCase() : "UNKNOWN",
                   "status " + (s.status ? s.status.status : ""));
  top.appendChild(el("h2", "Corridor " + s.corridor));
  top.appendChild(badge);
  top.appendChild(el("p", "Latest: " + statusLine(s.status)));
  top.appendChild(el("p", "Latest confirmed: " + statusLine(s.last_confirmed_status)));
  if (s.window) top.appendChild(el("p", "Window: " + s.window.start_at.text + " to " + s.window.end_at.text + ": " + s.window.words));
  if (s.route.length) top.appendChild(el("p", "Route: " + s.route.join(" \\u2192 ")));
  top.appendChild(el("p", "As of " + s.as_of.text + "; log event #" + s.events_applied +
                         "; claims awaiting review: " + s.awaiting_review, "muted"));
  v.appendChild(top);
  const alerts = el("section");
  alerts.appendChild(el("h3", "Alerts (" + s.alerts.length + ")"));
  s.alerts.forEach((a) => alerts.appendChild(el("p", alertText(a), "alert")));
  v.appendChild(alerts);
  const cps = el("section");
  cps.appendChild(el("h3", "Checkpoints"));
  cps.appendChild(el("p", "Each figure with its source, status and time; different statuses or " +
                         "sources are never added. Queues are lower bounds.", "muted"));
  Object.entries(s.checkpoints).forEach(([id, c]) => {
    cps.appendChild(el("h4", id + " (last heard " + (c.last_heard ? c.last_heard.text : "never") + ")"));
    const ul = el("ul");
    const add = (label, items) => items.forEach((x) => ul.appendChild(el("li", label + x.text)));
    add("", c.totals);
    add("pace: ", c.paces);
    add("queue: ", c.queues);
    add("wait: ", c.waits);
    add("", c.sources_differ);
    cps.appendChild(ul);
  });
  if (s.figures.length) {
    cps.appendChild(el("h4", "Other figures"));
    const ul = el("ul");
    s.figures.concat(s.sources_differ).forEach((x) => ul.appendChild(el("li", x.text)));
    cps.appendChild(ul);
  }
  v.appendChild(cps);
  const cv = el("section");
  cv.appendChild(el("h3", "Convoys"));
  cv.appendChild(table(
    ["convoy", "last waypoint", "at", "next", "ETA next", "ETA destination", "overdue"],
    s.convoys.map((c) => [c.id, c.last_waypoint, c.at, c.next_waypoint || "-",
      c.eta_next || "-", c.eta_destination || "-",
      c.overdue_min === null ? "no" : c.overdue_min + " min"])));
  v.appendChild(cv);
}
async function refresh() {
  try {
    const name = $("corridor").value;
    if (name) render(await api("/api/v1/state/" + encodeURIComponent(name)));
    $("note").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    $("note").textContent = "not updated: " + e.message;
  }
}
async function connect() {
  const typed = $("token").value.trim();
  if (typed) sessionStorage.setItem("sp-token", typed);
  $("token").value = "";
  try {
    const list = await api("/api/v1/state");
    const sel = $("corridor"), keep = sel.value;
    sel.replaceChildren();
    list.corridors.forEach((c) => sel.appendChild(new Option(c, c)));
    if (keep && list.corridors.includes(keep)) sel.value = keep;
    if (!list.corridors.length) $("view").replaceChildren(el("p", "No corridor in the log yet."));
    await refresh();
    clearInterval(timer);
    timer = setInterval(refresh, POLL_MS);
  } catch (e) {
    $("note").textContent = e.message;
  }
}
const fromLink = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromLink) {
  sessionStorage.setItem("sp-token", fromLink);
  history.replaceState(null, "", location.pathname);  // the token leaves the address bar
}
$("connect").addEventListener("click", connect);
$("corridor").addEventListener("change", refresh);
if (sessionStorage.getItem("sp-token")) connect();
</script>
</body></html>
""".replace("__POLL__", str(POLL_S))
