/* The editors' pages, progressively enhanced. Every page works without this file. */
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function debounce(fn, ms) {
    var t = null;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }

  /* Tables wider than their card say so (the edges also get a shadow in CSS). */
  function markScrollable() {
    $all(".table-wrap").forEach(function (wrap) {
      var wide = wrap.scrollWidth > wrap.clientWidth + 1;
      wrap.classList.toggle("is-scrollable", wide);
      var hint = wrap.previousElementSibling;
      var has = hint && hint.classList.contains("scroll-hint");
      if (wide && !has) {
        hint = document.createElement("p");
        hint.className = "scroll-hint";
        hint.textContent = "Scroll sideways to see the whole table \u2192";
        wrap.parentNode.insertBefore(hint, wrap);
      } else if (!wide && has) {
        hint.parentNode.removeChild(hint);
      }
    });
  }
  markScrollable();
  window.addEventListener("resize", debounce(markScrollable, 150));

  /* Forms that ask before doing something drastic (archive, cancel). */
  $all("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { ev.preventDefault(); }
    });
  });

  /* Text areas grow with their text (CSSOM height, allowed by the CSP). */
  var nativeSizing = window.CSS && CSS.supports && CSS.supports("field-sizing", "content");
  function autosize(el) {
    if (nativeSizing) { return; }  /* the stylesheet's field-sizing does it, on resize too */
    el.style.height = "auto";
    el.style.height = (el.scrollHeight + 2) + "px";
  }

  /* Bullet lists: a textarea (one item per line) becomes rows to add, remove and reorder. */
  function listEditor(textarea) {
    var name = textarea.name, label = textarea.getAttribute("data-list-editor") || "Item";
    var wrap = document.createElement("div");
    wrap.className = "list-editor";
    var list = document.createElement("ol");
    list.className = "list-rows";
    list.id = textarea.id + "-rows";
    wrap.appendChild(list);
    var add = document.createElement("button");
    add.type = "button";
    add.className = "button small";
    add.textContent = "Add " + label.toLowerCase();
    wrap.appendChild(add);

    function button(text, title, action) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "button small icon";
      b.textContent = text;
      b.title = title;
      b.setAttribute("aria-label", title);
      b.setAttribute("data-action", action);
      return b;
    }
    function renumber() {
      $all("li", list).forEach(function (li, i) {
        var input = $("textarea", li);
        input.id = textarea.id + "-" + i;
        input.setAttribute("aria-label", label + " " + (i + 1));
      });
    }
    function row(value) {
      var li = document.createElement("li");
      li.className = "list-row";
      var input = document.createElement("textarea");
      input.name = name;
      input.rows = 2;
      input.value = value;
      input.className = "list-input";
      input.addEventListener("input", function () { autosize(input); });
      li.appendChild(input);
      var tools = document.createElement("span");
      tools.className = "list-tools";
      tools.appendChild(button("↑", "Move up", "up"));
      tools.appendChild(button("↓", "Move down", "down"));
      tools.appendChild(button("✕", "Remove", "remove"));
      li.appendChild(tools);
      input.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" && !ev.shiftKey) {  /* Enter starts the next bullet */
          ev.preventDefault();
          var next = row("");
          li.parentNode.insertBefore(next, li.nextSibling);
          renumber();
          autosize($("textarea", next));
          $("textarea", next).focus();
        }
      });
      return li;
    }
    list.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[data-action]");
      if (!b) { return; }
      var li = b.closest("li");
      var action = b.getAttribute("data-action");
      if (action === "up" && li.previousElementSibling) { list.insertBefore(li, li.previousElementSibling); }
      if (action === "down" && li.nextElementSibling) { list.insertBefore(li.nextElementSibling, li); }
      if (action === "remove") { li.remove(); }
      renumber();
      textarea.form && textarea.form.dispatchEvent(new Event("input", { bubbles: true }));
      if (action !== "remove") { b.focus(); }
    });
    add.addEventListener("click", function () {
      var li = row("");
      list.appendChild(li);
      renumber();
      $("textarea", li).focus();
    });
    var items = textarea.value.split(/\r?\n/).filter(function (s) { return s.trim() !== ""; });
    if (!items.length) { items = [""]; }
    items.forEach(function (v) { list.appendChild(row(v)); });
    renumber();
    var labelEl = document.querySelector('label[for="' + textarea.id + '"]');
    if (labelEl) {
      labelEl.removeAttribute("for");
      labelEl.id = textarea.id + "-label";
      list.setAttribute("aria-labelledby", labelEl.id);
      var hint = $(".muted", labelEl);
      if (hint) { hint.textContent = "(↑ ↓ to reorder, Enter for a new one)"; }
    }
    textarea.replaceWith(wrap);
    $all("textarea", list).forEach(autosize);
    window.addEventListener("resize", debounce(function () { $all("textarea", list).forEach(autosize); }, 200));
  }
  $all("textarea[data-list-editor]").forEach(listEditor);

  /* Hand-entered sources: one more row on demand. */
  var addSource = $("#add-source"), rows = $("#source-rows");
  if (addSource && rows) {
    addSource.hidden = false;
    addSource.addEventListener("click", function () {
      var all = $all("[data-source-row]", rows);
      var copy = all[all.length - 1].cloneNode(true);
      var n = all.length;
      $all("input", copy).forEach(function (input) {
        if (input.type === "radio") { input.checked = false; input.value = "row:" + n; return; }
        input.value = "";
        if (input.id) { input.id = input.id.replace(/-\d+$/, "-" + n); }
      });
      $all("label[for]", copy).forEach(function (l) { l.htmlFor = l.htmlFor.replace(/-\d+$/, "-" + n); });
      rows.appendChild(copy);
      $("input", copy).focus();
    });
  }

  /* Live preview: the composer form is posted into the preview iframe as you type. */
  var composer = $("#composer"), previewButton = $("#preview-button"), frame = $("#composer-preview");
  if (composer && previewButton && frame) {
    var state = $("#preview-state"), problem = null;
    /* The frame is sandboxed (no script can read it), so the same form is also fetched to
       learn whether the preview is an email or a problem notice, and the status says which. */
    var refresh = debounce(function () {
      if (state) { state.textContent = "Updating preview…"; }
      fetch(previewButton.formAction, { method: "POST", body: new FormData(composer),
                                        credentials: "same-origin" })
        .then(function (r) { return r.text().then(function (t) { return { ok: r.ok, text: t }; }); })
        .then(function (res) {
          problem = res.ok ? null :
            (new DOMParser().parseFromString(res.text, "text/html").body.textContent || "").trim();
        })
        .catch(function () { problem = null; })
        .then(function () { composer.requestSubmit(previewButton); });
    }, 600);
    composer.addEventListener("input", refresh);
    composer.addEventListener("change", refresh);
    frame.addEventListener("load", function () {
      if (!state) { return; }
      state.textContent = problem ? "Preview not updated: " + problem : "Preview is up to date.";
      state.classList.toggle("preview-problem", Boolean(problem));
    });
    refresh();
  }

  /* Desktop / phone width for preview frames. */
  $all("[data-preview-width]").forEach(function (b) {
    b.addEventListener("click", function () {
      var phone = b.getAttribute("data-preview-width") === "phone";
      $all(".preview-frame[data-resizable], #composer-preview").forEach(function (f) {
        f.classList.toggle("phone", phone);
      });
      $all("[data-preview-width]").forEach(function (o) {
        o.setAttribute("aria-pressed", String(o === b));
      });
    });
  });

  /* Edition form: move updates up and down; the form posts them in this order. */
  var order = $("#update-order");
  if (order) {
    $all(".move-buttons", order).forEach(function (b) { b.hidden = false; });
    order.addEventListener("click", function (ev) {
      var button = ev.target.closest("[data-move]");
      if (!button) { return; }
      var row = button.closest(".update-row");
      if (button.getAttribute("data-move") === "up" && row.previousElementSibling) {
        order.insertBefore(row, row.previousElementSibling);
      } else if (button.getAttribute("data-move") === "down" && row.nextElementSibling) {
        order.insertBefore(row.nextElementSibling, row);
      }
      button.focus();
      order.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  /* Edition form: the editor's own time zone, and a live recipient estimate. */
  var tz = $("#timezone");
  if (tz && tz.getAttribute("data-auto") === "1") {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    var option = zone && $all("option", tz).filter(function (o) { return o.value === zone; })[0];
    if (option) {
      tz.value = zone;
      var sendAt = $("#send_at");
      if (sendAt && sendAt.getAttribute("data-default") === "1") {
        var d = new Date(Date.now() + 3600 * 1000);
        d.setMinutes(0, 0, 0);
        var pad = function (x) { return String(x).padStart(2, "0"); };
        sendAt.value = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
          "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
      }
    }
  }
  var editionForm = $("#edition-form"), estimate = $("#estimate");
  if (editionForm && estimate) {
    var update = debounce(function () {
      var ids = $all('input[name="updates"]:checked', editionForm).map(function (i) { return "updates=" + encodeURIComponent(i.value); });
      fetch(estimate.getAttribute("data-url") + "?" + ids.join("&"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data) { estimate.textContent = data.recipients.toLocaleString() + " subscriber" + (data.recipients === 1 ? "" : "s"); }
        })
        .catch(function () { /* the review page shows the count anyway */ });
    }, 250);
    editionForm.addEventListener("change", function (ev) {
      if (ev.target.name === "updates") { update(); }
    });
    update();
  }

  /* Edition form, local delivery: the local-time fields and the wave plan (first and last
     reader, each zone group's moment and readers), from the same planner as the review. */
  var wavePlan = $("#wave-plan");
  if (editionForm && wavePlan) {
    var localFields = $("#local-fields");
    var isLocal = function () { var r = $('input[name="delivery"]:checked', editionForm); return r && r.value === "local"; };
    var cell = function (tag, text, cls) { var el = document.createElement(tag); el.textContent = text; if (cls) { el.className = cls; } return el; };
    var renderPlan = function (data) {
      wavePlan.textContent = "";
      if (data.error) { wavePlan.appendChild(cell("p", data.error, "flash flash-error")); return; }
      if (data.first) {
        wavePlan.appendChild(cell("p", "First readers get it " + data.first + ", the last " + data.last + " (" + data.zone + ").", "wave-span"));
      }
      if (data.late) {
        wavePlan.appendChild(cell("p", data.late.toLocaleString() + " reader" + (data.late === 1 ? "" : "s") + " whose time has passed " +
          (data.late_readers === "skip" ? "will be skipped." : "get it as soon as you confirm."), "flash flash-warning"));
      }
      var table = document.createElement("table");
      table.className = "waves";
      table.id = "form-waves";
      var head = document.createElement("tr");
      ["Your time", "Time zones", "Readers"].forEach(function (h) { head.appendChild(cell("th", h)); });
      var thead = document.createElement("thead"); thead.appendChild(head); table.appendChild(thead);
      var body = document.createElement("tbody");
      data.waves.forEach(function (w) {
        var tr = document.createElement("tr");
        tr.className = "wave" + (w.late ? " late" : "");
        tr.appendChild(cell("td", w.local + (w.late ? " (passed)" : "")));
        tr.appendChild(cell("td", w.zones.join(", "), "fine"));
        tr.appendChild(cell("td", w.readers.toLocaleString(), "num"));
        body.appendChild(tr);
      });
      if (!data.waves.length) { var none = document.createElement("tr"); none.appendChild(cell("td", "Nobody follows these topics yet.", "muted")); body.appendChild(none); }
      table.appendChild(body);
      wavePlan.appendChild(table);
    };
    var refreshPlan = debounce(function () {
      if (localFields) { localFields.hidden = !isLocal(); }
      if (!isLocal()) { wavePlan.textContent = ""; return; }
      var params = $all('input[name="updates"]:checked', editionForm).map(function (i) { return "updates=" + encodeURIComponent(i.value); });
      ["send_at", "timezone", "local_time"].forEach(function (n) {
        var el = editionForm.elements[n];
        if (el) { params.push(n + "=" + encodeURIComponent(el.value)); }
      });
      var late = $('input[name="late_readers"]:checked', editionForm);
      if (late) { params.push("late_readers=" + encodeURIComponent(late.value)); }
      fetch(wavePlan.getAttribute("data-url") + "?" + params.join("&"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(renderPlan)
        .catch(function () { /* the review page shows the waves anyway */ });
    }, 250);
    editionForm.addEventListener("change", refreshPlan);
    editionForm.addEventListener("input", function (ev) { if (ev.target.name === "local_time") { refreshPlan(); } });
    refreshPlan();
  }

  /* Edition page: progress, status and valid actions refresh without reloading. */
  var live = $("#edition-live");
  if (live) {
    var url = live.getAttribute("data-status-url");
    var terminal = { sent: true, cancelled: true };
    var errorsShown = parseInt(live.getAttribute("data-errors") || "0", 10);
    var setText = function (sel, value) { $all(sel).forEach(function (el) { el.textContent = value; }); };
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (s) {
          var done = s.sent + s.failed;
          var bar = $("#progress");
          bar.max = Math.max(s.total, 1);
          bar.value = s.total ? done : (terminal[s.status] ? 1 : 0);
          var pct = s.total ? Math.round(100 * done / s.total) : (s.status === "sent" ? 100 : 0);
          bar.textContent = pct + "%";
          setText("[data-stat=percent]", pct + "%");
          ["total", "sent", "failed", "pending", "bounced", "complained"].forEach(function (k) {
            if (s[k] !== undefined) { setText("[data-stat=" + k + "]", s[k].toLocaleString()); }
          });
          if (s.bounce_rate !== undefined) { setText("[data-stat=bounce_rate]", (100 * s.bounce_rate).toFixed(1) + "%"); }
          if (s.complaint_rate !== undefined) { setText("[data-stat=complaint_rate]", (100 * s.complaint_rate).toFixed(2) + "%"); }
          var badge = $("#edition-status");
          badge.textContent = s.status;
          badge.className = "badge badge-" + s.status;
          live.setAttribute("data-status", s.status);
          if (s.status !== "scheduled") {  /* "scheduled to send" is old news once it is not */
            $all(".flash.edition-scheduled").forEach(function (f) { f.hidden = true; });
          }
          Object.keys(s.actions).forEach(function (a) {
            var f = $("#action-" + a);
            if (f) { f.hidden = !s.actions[a]; }
          });
          (s.reach || []).forEach(function (r) { setText('[data-reach="' + r.slug + '"]', r.recipients.toLocaleString()); });
          var note = $("#pause-reason");
          if (note) { note.textContent = s.pause_reason ? "Paused: " + s.pause_reason : ""; note.hidden = !s.pause_reason; }
          var errorsNote = $("#errors-note");
          if (errorsNote && s.errors > errorsShown) { errorsNote.hidden = false; setText("[data-stat=errors]", String(s.errors)); }
          if (!terminal[s.status]) { setTimeout(poll, 1500); }
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    poll();
  }
})();
