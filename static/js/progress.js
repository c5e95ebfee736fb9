// Progress bars of background work (batch screening, list imports, re-screens), one script for all.
// A static file rather than an inline script, so the Content-Security-Policy keeps script-src 'self'.
//
// An element with data-progress-url is polled every second while any of its items is unfinished.
// The URL answers {"progress": [{"id", "percent" (null: not known yet), "finished", "texts": {name: text}}]}.
// The item is the element marked data-progress-item="<id>" inside it (or the element itself); its
// <progress> takes the percent and each [data-progress-text="<name>"] inside it takes that text.
// When every item has finished: with data-progress-reload the page reloads to show the result,
// otherwise polling stops.
(function () {
  "use strict";
  function itemOf(box, id) {
    if (box.dataset.progressItem === String(id)) { return box; }
    return box.querySelector('[data-progress-item="' + id + '"]');
  }
  function show(box, item) {
    var el = itemOf(box, item.id);
    if (!el) { return; }
    var bar = el.querySelector("progress");
    if (bar) {
      if (item.percent === null) { bar.removeAttribute("value"); }
      else { bar.value = item.percent; bar.textContent = item.percent + "%"; }
    }
    Object.keys(item.texts || {}).forEach(function (name) {
      var target = el.querySelector('[data-progress-text="' + name + '"]');
      if (target) { target.textContent = item.texts[name]; }
    });
  }
  function follow(box) {
    function poll() {
      fetch(box.dataset.progressUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
        .then(function (body) {
          var running = false;
          body.progress.forEach(function (item) { show(box, item); running = running || !item.finished; });
          if (running) { window.setTimeout(poll, 1000); }
          else if (box.dataset.progressReload !== undefined) { window.location.reload(); }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 1000);
  }
  document.querySelectorAll("[data-progress-url]").forEach(follow);
})();
