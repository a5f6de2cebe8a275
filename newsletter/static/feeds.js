/* Feed pages: "Poll now" without leaving the page, with progress from the status endpoint.
   Without this file the button still works (a normal POST and a redirect back). */
(function () {
  "use strict";

  var LABELS = { queued: "Queued…", running: "Polling…" };

  function setText(row, field, text) {
    var el = row.querySelector('[data-field="' + field + '"]');
    if (el) { el.textContent = text; }
    return el;
  }

  function show(row, data) {
    var feed = data.feed || {};
    var badge = setText(row, "status", feed.disabled && feed.status !== "gone" ? "disabled" : feed.status);
    if (badge) { badge.className = "badge badge-" + feed.status; }
    setText(row, "last_fetched_at", feed.last_fetched_at ? new Date(feed.last_fetched_at).toLocaleString() : "—");
    setText(row, "entries_found", String(feed.entries_found));
    setText(row, "last_error", feed.last_error || "—");
    setText(row, "next_poll_at", feed.disabled ? "never (disabled)" :
      (feed.next_poll_at ? new Date(feed.next_poll_at).toLocaleString() : "—"));
    var text = LABELS[data.state] || "";
    if (data.state === "done" && data.result) {
      var r = data.result;
      text = "Done: " + r.status + ", " + r.new + " new, " + r.updated + " updated" +
        (r.error ? " (" + r.error + ")" : "");
    }
    setText(row, "progress", text);
  }

  function watch(row, button) {
    var url = row.getAttribute("data-status-url");
    var tries = 0;
    function tick() {
      tries += 1;
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (resp) { return resp.json(); })
        .then(function (data) {
          show(row, data);
          if ((data.state === "queued" || data.state === "running") && tries < 300) {
            setTimeout(tick, 1000);
          } else {
            button.disabled = false;
          }
        })
        .catch(function () { button.disabled = false; setText(row, "progress", "Could not read progress."); });
    }
    tick();
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-poll-form]"), function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var row = form.closest("[data-feed-row]");
      var button = form.querySelector("button");
      button.disabled = true;
      setText(row, "progress", "Queued…");
      fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { Accept: "application/json" }
      }).then(function (resp) {
        if (!resp.ok) { throw new Error("HTTP " + resp.status); }
        return resp.json();
      }).then(function (data) {
        if (!data.queued && data.state !== "queued" && data.state !== "running") {
          setText(row, "progress", "Already being polled.");
        }
        watch(row, button);
      }).catch(function () {
        button.disabled = false;
        setText(row, "progress", "Could not start the poll; reload and try again.");
      });
    });
  });
}());
