// List import page: follow the import's stage and progress, then reload to show the result.
// A static file rather than an inline script, so the Content-Security-Policy can keep script-src 'self'.
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box || box.dataset.finished === "true") { return; }
  var bar = document.getElementById("import-progress");
  var stage = document.getElementById("import-stage");
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (job) {
        if (job.finished) { window.location.reload(); return; }
        stage.textContent = job.stage || job.status;
        if (job.percent === null) { bar.removeAttribute("value"); } else { bar.value = job.percent; bar.textContent = job.percent + "%"; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
