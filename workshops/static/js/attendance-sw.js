/* Keeps the attendance pages and the site's assets so a roster reloads without a
 * connection: network first, the kept copy only when the network fails. Signing out,
 * or a session that has expired, empties the copy (it holds residents' names). */
"use strict";

var CACHE = "attendance-v1";
var KEPT = [/^\/staff\/attendance$/, /^\/staff\/sessions\/\d+\/attendance(\/walk-in)?$/,
            /^\/static\//];

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function forget() { return caches.delete(CACHE); }

function networkFirst(request) {
  var key = new URL(request.url);
  key.search = "";
  return fetch(request).then(function (response) {
    if (response.redirected && new URL(response.url).pathname === "/login") {
      return forget().then(function () { return response; });
    }
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(key.href, copy); });
    }
    return response;
  }).catch(function (error) {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(key.href, { ignoreVary: true });
    }).then(function (kept) {
      if (kept) { return kept; }
      throw error;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST" && url.pathname === "/logout") {
    event.waitUntil(forget());
    return;
  }
  if (request.method !== "GET") { return; }
  if (KEPT.some(function (pattern) { return pattern.test(url.pathname); })) {
    event.respondWith(networkFirst(request));
  }
});
