// A background bulk action's page (/staff/bulk/ID) reloads itself while the job runs, so its
// progress moves without the agent pressing anything.
(function () {
  var job = document.getElementById("bulk-job");
  if (job && job.dataset.bulkRunning === "true") {
    setTimeout(function () { window.location.reload(); }, 2000);
  }
})();
