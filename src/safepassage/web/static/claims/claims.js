/* The review queue and a claim's page. The page carries no data: its body is rendered by the
 * server (escaped) and fetched here with the reader's token; reviews are written as
 * claim_review events through POST /api/v1/events, so every step is in the log. The token stays
 * in the tab's session storage (as on the map page); a link with #token=... sets it. */
(function () {
  "use strict";
  var body = document.getElementById("body");
  var message = document.getElementById("message");
  var corridor = body.getAttribute("data-corridor");
  var claim = body.getAttribute("data-claim");

  function say(text, error) {
    message.textContent = text;
    message.setAttribute("data-kind", error ? "error" : "info");
  }

  function token() { return sessionStorage.getItem("sp-token") || ""; }

  function lang() {
    var typed = document.getElementById("lang").value.trim();
    return /^[a-z]{2,3}$/.test(typed) ? typed : "en";
  }

  function failure(res) {
    return res.json().then(function (j) { return j.detail; }, function () { return ""; }).then(function (detail) {
      var text = typeof detail === "string" ? detail : JSON.stringify(detail);
      if (res.status === 401) text = "token refused (" + text + ")";
      throw new Error(res.status + ": " + text);
    });
  }

  function show() {
    if (!token()) { say("Enter your token to see the claims."); return Promise.resolve(); }
    body.setAttribute("data-state", "loading");
    var path = "/api/v1/claims/" + encodeURIComponent(corridor) + "/" +
      (claim ? encodeURIComponent(claim) + "/page.html" : "queue.html") + "?lang=" + lang();
    return fetch(path, { headers: { Authorization: "Bearer " + token() } }).then(function (res) {
      if (!res.ok) return failure(res);
      return res.text();
    }).then(function (html) {
      // Rendered and escaped by the server's templates; no script runs from it (CSP).
      body.innerHTML = html;
      body.setAttribute("data-state", "ready");
      say(claim ? "The claim as the log has it now." : "Oldest first. Each action is recorded as an event.");
    }).catch(function (err) {
      body.textContent = "";
      body.setAttribute("data-state", "error");
      say("Could not load: " + err.message, true);
    });
  }

  function review(form, action, of) {
    var how = form.elements.how.value.trim();
    var data = { claim: form.getAttribute("data-claim"), action: action, by: document.getElementById("queue").getAttribute("data-reviewer") };
    if (action === "assign") {
      data.to = form.elements.to.value.trim();
      if (!data.to) { say("Name the reviewer to assign it to.", true); return; }
    } else if (action === "duplicate_of") {
      data.of = (of || form.elements.of.value).trim().toLowerCase();
      if (!/^[0-9a-f-]{36}$/.test(data.of)) { say("Give the id of the claim it repeats.", true); return; }
    } else if (!how) {
      say("Say how it was verified, or why not, before you " + action.replace("_", " ") + " it.", true);
      return;
    }
    if (how) data.how = how;
    var event = {
      id: crypto.randomUUID(),
      type: "claim_review",
      occurred_at: new Date().toISOString(),
      corridor: corridor,
      data: data
    };
    say("Recording " + action.replace("_", " ") + "...");
    fetch("/api/v1/events", {
      method: "POST",
      headers: { Authorization: "Bearer " + token(), "Content-Type": "application/json" },
      body: JSON.stringify(event)
    }).then(function (res) {
      if (!res.ok) return failure(res);
      return show().then(function () { say("Recorded: " + action.replace("_", " ") + " of claim " + data.claim + "."); });
    }).catch(function (err) { say("Not recorded: " + err.message, true); });
  }

  body.addEventListener("click", function (ev) {
    var button = ev.target.closest("button[data-action]");
    if (!button) return;
    var article = button.closest("article.claim");
    var form = article && article.querySelector("form.review");
    if (form) review(form, button.getAttribute("data-action"), button.getAttribute("data-of"));
  });

  function tokenFromFragment() {
    var fragment = new URLSearchParams(location.hash.slice(1));
    if (!fragment.get("token")) return false;
    sessionStorage.setItem("sp-token", fragment.get("token"));
    history.replaceState(null, "", location.pathname + location.search);
    return true;
  }

  document.getElementById("sign-in").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var typed = document.getElementById("token").value.trim();
    if (typed) sessionStorage.setItem("sp-token", typed);
    document.getElementById("token").value = "";
    show();
  });
  window.addEventListener("hashchange", function () { if (tokenFromFragment()) show(); });
  tokenFromFragment();
  show();
})();
