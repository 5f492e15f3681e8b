/* Keeps the reporters' page available offline: the page and its files are fetched from the
 * network when there is one (so updates arrive) and from this cache when there is not. API
 * calls are never cached: reports wait in IndexedDB and are sent by the page. */
"use strict";
var CACHE = "safepassage-reporter-v1";
var SHELL = ["/report/", "/report/app.js", "/report/app.css", "/report/manifest.webmanifest"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || SHELL.indexOf(url.pathname) < 0) return;
  event.respondWith(fetch(event.request).then(function (response) {
    var copy = response.clone();
    if (response.ok) caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
    return response;
  }).catch(function () {
    return caches.match(url.pathname);
  }));
});
