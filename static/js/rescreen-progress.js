// Re-screens page: follow the running jobs' progress bars until none is pending or running.
// A static file rather than an inline script, so the Content-Security-Policy can keep script-src 'self'.
(function () {
  "use strict";
  var table = document.getElementById("rescreen-jobs");
  if (!table || !table.dataset.statusUrl) { return; }
  var labels = {pending: "Waiting", running: "Running", done: "Done", failed: "Failed"};
  async function poll() {
    var res = await fetch(table.dataset.statusUrl, {headers: {"Accept": "application/json"}});
    if (!res.ok) { return; }
    var body = await res.json();
    var running = false;
    for (var i = 0; i < body.jobs.length; i++) {
      var job = body.jobs[i];
      var row = table.querySelector('tr[data-job="' + job.id + '"]');
      if (!row) { continue; }
      var bar = row.querySelector("progress");
      bar.value = job.percent;
      bar.textContent = job.percent + "%";
      row.querySelector(".chunks").textContent = job.done_chunks + " of " + job.total_chunks + " chunks";
      row.querySelector(".hits").textContent = job.hits_found + " (" + job.new_hits + " new"
        + (job.delisted_hits ? ", " + job.delisted_hits + " delisted" : "")
        + (job.unmatched_hits ? ", " + job.unmatched_hits + " no longer matching" : "") + ")";
      row.querySelector(".status").textContent = labels[job.status] + (job.error ? ": " + job.error : "");
      running = running || job.status === "pending" || job.status === "running";
    }
    if (running) { setTimeout(poll, 1000); }
  }
  setTimeout(poll, 1000);
})();
