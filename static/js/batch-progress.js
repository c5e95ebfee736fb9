// Batch screening page: follow the job's progress until it is done or failed.
// A static file rather than an inline script, so the Content-Security-Policy can keep script-src 'self'.
(function () {
  "use strict";
  var bar = document.getElementById("batch-progress");
  var state = document.getElementById("batch-state");
  if (!bar || !state || !bar.dataset.statusUrl) { return; }
  var labels = {pending: "Waiting", running: "Running", done: "Done", failed: "Failed"};
  async function poll() {
    var res = await fetch(bar.dataset.statusUrl, {headers: {"Accept": "application/json"}});
    if (!res.ok) { return; }
    var job = await res.json();
    bar.value = job.percent;
    bar.textContent = job.percent + "%";
    state.textContent = labels[job.status] + ": " + job.processed + " of " + job.total + " screened, " + job.hits + " with hits.";
    if (job.status === "done") { document.getElementById("batch-download").hidden = false; return; }
    if (job.status === "failed") { state.textContent += " " + job.error; return; }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();
