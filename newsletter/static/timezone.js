/* Sign-up forms: preselect the reader's time zone from the browser's clock.
   Without this file (or JavaScript) the reader picks it from the list, or leaves the
   list's zone. A zone already chosen (the form shown again after an error) is kept. */
(function () {
  "use strict";

  function detected() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  // The browser may name the zone differently from the list (Chromium says Asia/Calcutta,
  // the list Asia/Kolkata): find the listed zone that is the same place.
  function samePlace(select, zone) {
    var options = select.options;
    for (var i = 0; i < options.length; i++) {
      var value = options[i].value;
      if (!value) { continue; }
      try {
        if (new Intl.DateTimeFormat("en", { timeZone: value }).resolvedOptions().timeZone === zone) {
          return value;
        }
      } catch (e) { /* a name this browser does not know */ }
    }
    return "";
  }

  function fill(select, zone) {
    if (!zone || select.value) { return; }
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === zone) {
        select.value = zone;
        return;
      }
    }
    var listed = samePlace(select, zone);
    if (listed) {
      select.value = listed;
      return;
    }
    var option = document.createElement("option");  // a zone the list lacks: send it as is
    option.value = zone;
    option.textContent = zone;
    select.insertBefore(option, select.options[1] || null);
    select.value = zone;
  }

  var zone = detected();
  var selects = document.querySelectorAll("select[data-detect-zone]");
  for (var i = 0; i < selects.length; i++) {
    fill(selects[i], zone);
  }
}());
