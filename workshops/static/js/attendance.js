/* Attendance on a tablet: taps save in the background and wait on the device while offline.
 *
 * Without this script every tap is a form post. With it, a tap updates the page at once and
 * goes into a queue in localStorage (one entry per person: a newer tap replaces an older
 * one); the queue is sent to the sync endpoint now and whenever the connection returns.
 * Each change has its own id and the tap time, so the server applies it once and keeps the
 * later of two taps. A small service worker keeps this page for reloads while offline.
 */
(function () {
  "use strict";

  var page = document.querySelector(".attendance-page");
  if (!page) { return; }
  var CACHE = "attendance-v1";

  if ("serviceWorker" in navigator && page.dataset.serviceWorker) {
    navigator.serviceWorker.register(page.dataset.serviceWorker, { scope: "/" })
      .catch(function () { /* offline reloads are then unavailable; taps still queue */ });
  }

  /* Keep a fresh copy of this page (and its assets) for reloads without a connection. */
  function keepCopy(url) {
    if (!window.caches) { return; }
    caches.open(CACHE).then(function (cache) {
      return fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (response.ok && !response.redirected) { return cache.put(url, response); }
        return undefined;
      });
    }).catch(function () { /* offline: keep the copy we have */ });
  }
  function keepAssets() {
    Array.prototype.forEach.call(
      document.querySelectorAll("link[rel=stylesheet], script[src], link[rel=icon]"),
      function (element) { keepCopy(element.href || element.src); });
  }
  keepAssets();

  function load(key) {
    try { return JSON.parse(localStorage.getItem(key)) || []; } catch (e) { return []; }
  }
  function save(key, list) {
    if (list.length) { localStorage.setItem(key, JSON.stringify(list)); }
    else { localStorage.removeItem(key); }
  }
  function newChangeId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function walkInsKey(sessionId) { return "attendance-walk-ins:" + sessionId; }

  /* The walk-in form: online it posts as usual; offline the person waits on the device. */
  var walkInForm = document.querySelector("form[data-walk-in-form]");
  if (walkInForm) {
    walkInForm.addEventListener("submit", function (event) {
      if (navigator.onLine) { return; }
      event.preventDefault();
      var data = new FormData(walkInForm);
      var fields = {};
      ["name", "phone", "home_neighbourhood", "age_band", "gender"].forEach(function (name) {
        fields[name] = String(data.get(name) || "").trim();
      });
      if (!fields.name || !fields.home_neighbourhood) {
        walkInForm.noValidate = false;
        walkInForm.reportValidity();
        walkInForm.noValidate = true;
        return;
      }
      var key = walkInsKey(page.dataset.sessionId);
      var waiting = load(key);
      waiting.push({ change_id: newChangeId(), marked_at: Date.now(), fields: fields });
      save(key, waiting);
      location.href = page.dataset.rosterUrl;
    });
  }

  var roster = document.querySelector("[data-roster]");
  if (!roster) {
    keepCopy(location.pathname);
    return;
  }

  var pageUrl = roster.dataset.pageUrl;
  var syncUrl = roster.dataset.syncUrl;
  var storageKey = "attendance-queue:" + roster.dataset.sessionId;
  var capacity = parseInt(roster.dataset.capacity, 10);
  var statusBox = document.getElementById("sync-status");
  var csrfToken = roster.querySelector("input[name=csrf_token]").value;
  var sending = false;
  var lastRejection = "";

  var walkInsStorageKey = walkInsKey(roster.dataset.sessionId);
  function loadQueue() { return load(storageKey); }
  function saveQueue(queue) { save(storageKey, queue); }
  function loadWalkIns() { return load(walkInsStorageKey); }
  function waitingCount() { return loadQueue().length + loadWalkIns().length; }

  function personFor(registrationId) {
    return document.getElementById("person-" + registrationId);
  }
  function showState(person, state) {
    person.classList.remove("state-present", "state-absent", "state-unmarked");
    person.classList.add("state-" + state);
    person.querySelector(".toggle-present").setAttribute("aria-pressed", String(state === "present"));
    person.querySelector(".toggle-absent").setAttribute("aria-pressed", String(state === "absent"));
    var label = person.querySelector(".person-state");
    label.textContent = label.dataset[state];
  }
  function updateCounts() {
    var present = roster.querySelectorAll(".roster-person.state-present").length;
    var walkIns = roster.querySelectorAll(".roster-person[data-walk-in].state-present").length;
    var above = Math.max(0, present - capacity);
    roster.querySelector("[data-count=present]").textContent = present;
    roster.querySelector("[data-count=walk-ins]").textContent = walkIns;
    roster.querySelector("[data-count=above-capacity]").textContent = above;
    roster.querySelector(".above-capacity").hidden = above === 0;
  }
  function showStatus(offline) {
    var waiting = waitingCount();
    var text;
    if (waiting) {
      text = statusBox.dataset[waiting === 1 ? "waitingSingular" : "waitingPlural"]
        .replace("{n}", waiting);
      if (offline) { text += " " + statusBox.dataset.offline; }
    } else {
      text = statusBox.dataset.saved;
    }
    if (lastRejection) { text += " " + statusBox.dataset.rejected + " " + lastRejection; }
    statusBox.textContent = text;
    statusBox.classList.toggle("is-waiting", waiting > 0);
  }

  function refreshToken() {
    return fetch(pageUrl, { credentials: "same-origin" }).then(function (response) {
      return response.text();
    }).then(function (html) {
      var match = /name="csrf_token" value="([^"]+)"/.exec(html);
      if (match) { csrfToken = match[1]; }
    });
  }

  function send(changes, walkIns) {
    return fetch(syncUrl, {
      method: "POST",
      credentials: "same-origin",
      redirect: "error",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify({ changes: changes, walk_ins: walkIns })
    }).then(function (response) {
      if (response.status === 400) {
        // The form token expired: fetch a new one and try again on the next round.
        return refreshToken().then(function () { throw new Error("csrf"); });
      }
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    });
  }

  function flush() {
    var queue = loadQueue();
    var walkIns = loadWalkIns();
    if (sending || !(queue.length || walkIns.length)) { showStatus(false); return; }
    sending = true;
    send(queue, walkIns).then(function (data) {
      var answered = {};
      data.results.forEach(function (result) {
        answered[result.change_id] = true;
        if (result.status === "rejected") { lastRejection = result.message; }
      });
      function notAnswered(change) { return !answered[change.change_id]; }
      // Taps made while this request was out stay in the queue.
      saveQueue(loadQueue().filter(notAnswered));
      save(walkInsStorageKey, loadWalkIns().filter(notAnswered));
      csrfToken = data.csrf_token || csrfToken;
      sending = false;
      showStatus(false);
      if (waitingCount()) { flush(); }
      else if (walkIns.length && !lastRejection) { location.reload(); }  // their real rows
      else { keepCopy(pageUrl); }
    }).catch(function () {
      sending = false;
      showStatus(true);
    });
  }

  function tap(button) {
    var person = button.closest(".roster-person");
    var registrationId = parseInt(person.querySelector("input[name=registration_id]").value, 10);
    var present = button.value === "1";
    var queue = loadQueue().filter(function (change) {
      return change.registration_id !== registrationId;
    });
    queue.push({ change_id: newChangeId(), registration_id: registrationId,
                 present: present, marked_at: Date.now() });
    saveQueue(queue);
    lastRejection = "";
    showState(person, present ? "present" : "absent");
    updateCounts();
    flush();
  }

  roster.addEventListener("click", function (event) {
    var button = event.target.closest("button.toggle");
    if (!button || button.disabled) { return; }
    event.preventDefault();
    tap(button);
  });

  /* The filter narrows the list as you type. */
  var filterInput = document.getElementById("q");
  var noMatch = roster.querySelector(".no-match");
  function normalise(text) {
    return text.trim().toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  }
  function applyFilter() {
    var query = normalise(filterInput.value);
    var shown = 0;
    Array.prototype.forEach.call(roster.querySelectorAll(".roster-person"), function (person) {
      var match = !query || person.dataset.search.indexOf(query) !== -1;
      person.hidden = !match;
      if (match) { shown += 1; }
    });
    noMatch.hidden = shown > 0 || !query;
  }
  filterInput.addEventListener("input", applyFilter);
  filterInput.form.addEventListener("submit", function (event) {
    event.preventDefault();
    applyFilter();
  });

  /* Walk-ins added offline: on the list (present, not yet saved) until they are sent. */
  function showWaitingWalkIn(walkIn) {
    var item = document.createElement("li");
    item.className = "roster-person state-present is-pending";
    item.setAttribute("data-walk-in", "");
    item.dataset.search = normalise(walkIn.fields.name);
    var name = document.createElement("div");
    name.className = "person-name";
    [["name", walkIn.fields.name], ["badge", roster.dataset.walkInLabel],
     ["person-state", roster.dataset.pendingLabel]].forEach(function (part) {
      var span = document.createElement("span");
      span.className = part[0];
      span.textContent = part[1];
      name.appendChild(span);
      name.appendChild(document.createTextNode(" "));
    });
    item.appendChild(name);
    document.getElementById("roster-expected").appendChild(item);
  }
  loadWalkIns().forEach(showWaitingWalkIn);
  keepCopy(roster.dataset.walkInUrl);

  /* Changes still waiting (perhaps from before a reload) show on the page at once. */
  loadQueue().forEach(function (change) {
    var person = personFor(change.registration_id);
    if (person && change.marked_at > parseInt(person.dataset.markedAt, 10)) {
      showState(person, change.present ? "present" : "absent");
    }
  });
  updateCounts();
  window.addEventListener("online", flush);
  window.setInterval(flush, 15000);
  if (waitingCount()) { flush(); } else { keepCopy(pageUrl); }
})();
