/* safepassage field reporters' page. Reports are saved on the phone first (IndexedDB), then
 * sent; each has a UUID made here, its idempotency key, so sending it again after a lost
 * answer stores it once. States: queued -> sent -> acknowledged | held | rejected (reason).
 * The service worker (sw.js) keeps this page available without a network. No framework. */
(function () {
  "use strict";

  var DB = "safepassage-reporter";
  var BATCH = 100;
  var STATE_TEXT = {
    queued: "queued on this phone",
    sent: "sent, waiting for the answer",
    acknowledged: "acknowledged by the server",
    held: "held for review",
    rejected: "rejected",
  };
  // Dates with the year and the zone: reports are read later, by people elsewhere.
  var WHEN = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
  var el = function (id) { return document.getElementById(id); };
  var db = null;
  var flushing = false;

  // -- storage -------------------------------------------------------------------------
  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore("outbox", { keyPath: "id" });
        req.result.createObjectStore("settings");
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function store(name, mode, work) {
    return new Promise(function (resolve, reject) {
      var t = db.transaction(name, mode);
      var result = work(t.objectStore(name));
      t.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
      t.onerror = function () { reject(t.error); };
    });
  }

  var setting = {
    get: function (key) { return store("settings", "readonly", function (s) { return s.get(key); }); },
    set: function (key, value) { return store("settings", "readwrite", function (s) { s.put(value, key); }); },
    remove: function (key) { return store("settings", "readwrite", function (s) { s.delete(key); }); },
  };
  var outbox = {
    all: function () { return store("outbox", "readonly", function (s) { return s.getAll(); }); },
    put: function (item) { return store("outbox", "readwrite", function (s) { s.put(item); }); },
    putAll: function (items) {
      return store("outbox", "readwrite", function (s) { items.forEach(function (i) { s.put(i); }); });
    },
  };

  // -- what the page shows -------------------------------------------------------------
  function setNet(online, text) {
    el("net").textContent = text || (online ? "online" : "offline: reports wait on this phone");
  }

  // Places by name (from /api/v1/me's scope_names, in the phone's language); an id with no
  // name is made readable, never shown raw.
  var placeNames = {};
  function name(id) {
    if (id === null || id === undefined || id === "") return "";
    return placeNames[id] || String(id).replace(/[-_]+/g, " ");
  }

  function describe(event) {
    var d = event.data;
    switch (event.type) {
      case "checkpoint_count":
        return name(d.checkpoint) + ": " + (d.vehicles ? d.vehicles + " vehicles" : "") +
          (d.waiting != null ? (d.vehicles ? ", " : "") + d.waiting + " waiting" : "");
      case "waypoint_passage": return name(d.convoy) + " at " + name(d.waypoint);
      case "incident": return "incident: " + d.kind + (d.place ? " at " + name(d.place) : "");
      case "corridor_status": return "corridor " + name(event.corridor) + " " + d.status;
      default: return String(event.type).replace(/_/g, " ");
    }
  }

  function render() {
    return outbox.all().then(function (items) {
      items.sort(function (a, b) { return b.created.localeCompare(a.created); });
      var list = el("queue");
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = item.state;
        li.dataset.id = item.id;
        var state = document.createElement("span");
        state.className = "state";
        state.textContent = STATE_TEXT[item.state] + (item.reason ? ": " + item.reason : "");
        li.appendChild(state);
        li.appendChild(document.createElement("br"));
        li.appendChild(document.createTextNode(
          describe(item.event) + " (" + new Date(item.created).toLocaleString(undefined, WHEN) + ")"));
        list.appendChild(li);
      });
      return items;
    });
  }

  function unsent(items) {
    return items.filter(function (i) { return i.state === "queued" || i.state === "sent"; });
  }

  // -- sending ---------------------------------------------------------------------------
  function outcome(item, r) {
    if (r.outcome === "stored" || r.outcome === "duplicate") {
      item.state = r.review || r.held ? "held" : "acknowledged";
      item.seq = r.seq;
      item.reason = r.review || r.held ? (r.message || "a coordinator will check it") : "";
    } else {
      item.state = "rejected";
      item.reason = r.message || (r.problems || []).map(function (p) { return p.field + ": " + p.message; }).join("; ") || r.outcome;
    }
  }

  function flush() {
    if (flushing || !db) return Promise.resolve();
    flushing = true;
    var token;
    return setting.get("token").then(function (t) {
      token = t;
      return outbox.all();
    }).then(function (items) {
      var batch = unsent(items).slice(0, BATCH);
      if (!batch.length || !token) return null;
      batch.forEach(function (i) { i.state = "sent"; });
      return outbox.putAll(batch).then(render).then(function () {
        return fetch("/api/v1/events/bulk", {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
          body: JSON.stringify(batch.map(function (i) { return i.event; })),
        }).then(function (res) {
          if (res.status === 401) {
            showLogin("The token was refused (revoked?). Reports stay on this phone; sign in again.");
            throw new Error("refused");
          }
          if (!res.ok) throw new Error("server answered " + res.status);
          return res.json();
        }).then(function (body) {
          setNet(true);
          var byId = {};
          body.results.forEach(function (r) { byId[r.id] = r; });
          batch.forEach(function (i) { if (byId[i.id]) outcome(i, byId[i.id]); });
          return outbox.putAll(batch);
        }, function () {
          // No answer: nothing is lost; the same ids go again later and are stored once.
          setNet(false);
          batch.forEach(function (i) { if (i.state === "sent") i.state = "queued"; });
          return outbox.putAll(batch);
        });
      });
    }).then(render).then(function (items) {
      flushing = false;
      if (items && unsent(items).length && navigator.onLine !== false) setTimeout(flush, 15000);
    }, function () { flushing = false; });
  }

  // -- the form ---------------------------------------------------------------------------
  function number(id) {
    var v = el(id).value;
    return v === "" ? null : Number(v);
  }

  function eventFromForm(kind, corridor) {
    var e = { id: crypto.randomUUID(), occurred_at: new Date().toISOString(), corridor: corridor, status: "unverified", data: {} };
    if (kind === "count" || kind === "queue") {
      e.type = "checkpoint_count";
      e.data.checkpoint = el("checkpoint").value;
      e.data.vehicles = kind === "count" ? number("vehicles") || 0 : 0;
      if (kind === "count") e.data.buses = number("buses") || 0;
      if (kind === "count" && number("people") !== null) e.data.people = number("people");
      if (number("waiting") !== null) e.data.waiting = number("waiting");
      if (kind === "queue" && e.data.waiting == null) throw new Error("give the number of vehicles waiting");
    } else if (kind === "passage") {
      e.type = "waypoint_passage";
      e.data = { convoy: el("convoy").value, waypoint: el("waypoint").value };
      if (number("passage-vehicles") !== null) e.data.vehicles = number("passage-vehicles");
      if (!e.data.waypoint) throw new Error("give the waypoint");
    } else if (kind === "incident") {
      e.type = "incident";
      e.data = { kind: el("incident-kind").value };
      if (el("place").value) e.data.place = el("place").value;
      if (el("note").value.trim()) e.data.note = el("note").value.trim();
    } else {
      e.type = "corridor_status";
      e.data = { status: el("status").value, said_by: el("said-by").value || "field report" };
    }
    if ((kind === "count" || kind === "queue") && !e.data.checkpoint) throw new Error("no checkpoint in your assignment");
    return e;
  }

  function showFields() {
    var kind = el("kind").value;
    document.querySelectorAll("[data-for]").forEach(function (node) {
      node.hidden = node.dataset.for.split(" ").indexOf(kind) < 0;
    });
  }

  function options(select, values, names) {
    select.textContent = "";
    values.forEach(function (v) {
      var o = document.createElement("option");
      o.value = v;
      o.textContent = names && names[v] ? names[v] : name(v);
      select.appendChild(o);
    });
  }

  function showReporter(profile) {
    placeNames = profile.scope_names || {};
    el("login").hidden = true;
    el("reporter").hidden = false;
    el("who").textContent = "Signed in as " + profile.name + " (" + profile.role + ")" +
      (profile.scope.length ? "; assignment: " + profile.scope.map(name).join(", ") : "");
    options(el("corridor"), profile.corridors.length ? profile.corridors : ["(none yet)"]);
    options(el("checkpoint"), profile.scope, profile.scope_names);
    options(el("convoy"), profile.scope, profile.scope_names);
    document.querySelectorAll("option[data-role]").forEach(function (o) {
      o.hidden = o.disabled = profile.role === "reporter";
    });
    showFields();
    render();
    warnAboutStorage();
  }

  function showLogin(message) {
    el("reporter").hidden = true;
    el("login").hidden = false;
    el("login-error").textContent = message || "";
  }

  function signIn(token) {
    var lang = (navigator.language || "en").split("-")[0].toLowerCase();
    return fetch("/api/v1/me?lang=" + encodeURIComponent(/^[a-z]{2,3}$/.test(lang) ? lang : "en"), { headers: { Authorization: "Bearer " + token } }).then(function (res) {
      if (res.status === 401) throw new Error("This token is not valid (typed wrong, or revoked).");
      if (!res.ok) throw new Error("The server answered " + res.status + "; try again.");
      return res.json();
    }).then(function (profile) {
      setNet(true);
      return setting.set("token", token).then(function () { return setting.set("profile", profile); })
        .then(function () { showReporter(profile); flush(); });
    });
  }

  // The browser may clear site storage when the phone runs low: ask to keep it, and say so
  // plainly when the browser will not promise.
  function warnAboutStorage() {
    if (!navigator.storage || !navigator.storage.persist) return;
    navigator.storage.persist().then(function (kept) {
      var box = el("storage");
      box.hidden = kept;
      box.textContent = kept ? "" : "This browser may delete reports kept on this phone if storage runs low or site data is cleared. Keep reports from piling up: send them when you can, and do not clear this site's data while any report is not acknowledged.";
    });
  }

  function start() {
    open().then(function (handle) {
      db = handle;
      var fragment = new URLSearchParams(location.hash.slice(1));
      var fromLink = fragment.get("token");
      if (fromLink) history.replaceState(null, "", location.pathname);  // not left in the address bar
      return Promise.all([setting.get("token"), setting.get("profile")]).then(function (saved) {
        var token = fromLink || saved[0];
        if (!token) return showLogin();
        if (!fromLink && saved[1]) { showReporter(saved[1]); flush(); return null; }
        return signIn(token).catch(function (err) {
          if (saved[1] && fromLink === saved[0]) { showReporter(saved[1]); return; }
          showLogin(err.message === "Failed to fetch" ? "No connection: sign in once you are online." : err.message);
        });
      });
    }).catch(function (err) {
      showLogin("This browser cannot keep reports offline (" + err + "). Send them by SMS.");
    });

    el("login-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      signIn(el("token").value.trim()).catch(function (err) {
        el("login-error").textContent = err.message === "Failed to fetch" ? "No connection: sign in once you are online." : err.message;
      });
    });
    el("kind").addEventListener("change", showFields);
    el("report-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      el("form-error").textContent = "";
      var event;
      try {
        event = eventFromForm(el("kind").value, el("corridor").value);
      } catch (err) {
        el("form-error").textContent = err.message;
        return;
      }
      outbox.put({ id: event.id, event: event, state: "queued", created: new Date().toISOString() })
        .then(render).then(flush);
    });
    el("sign-out").addEventListener("click", function () {
      outbox.all().then(function (items) {
        if (unsent(items).length) {
          el("form-error").textContent = "Some reports are not acknowledged yet: signing out would leave them unsent. Send them first.";
          return null;
        }
        return Promise.all([setting.remove("token"), setting.remove("profile")]).then(function () { showLogin(); });
      });
    });
    window.addEventListener("online", function () { setNet(true); flush(); });
    window.addEventListener("offline", function () { setNet(false); });
    window.addEventListener("beforeunload", function (ev) {
      // Reports stay saved; this only reminds that some have not reached the server.
      if (el("queue").querySelector("li.queued, li.sent")) { ev.preventDefault(); ev.returnValue = ""; }
    });
    setNet(navigator.onLine !== false);
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/report/sw.js", { scope: "/report/" });
  }

  window.safepassageReporter = { flush: flush };
  start();
})();
