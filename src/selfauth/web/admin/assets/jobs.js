// A job's page: its <progress> bar follows the job, read every second from
// /admin/jobs/{id}/progress (a small JSON of the dashboard's). Without JavaScript the page's
// <noscript><meta refresh> reloads it instead; here the page is reloaded once, when the job
// ends, to show its results (errors, download).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const panel = document.getElementById("job");
  if (!panel || panel.dataset.finished === "true") return;
  const bar = document.getElementById("job-progress");
  const percent = document.getElementById("job-percentage");
  const status = document.getElementById("job-status");
  const summary = document.getElementById("job-summary");
  const details = document.getElementById("job-details");
  const url = panel.dataset.progress;

  const show = (job) => {
    bar.value = job.percentage;
    bar.textContent = `${job.percentage} %`;
    percent.textContent = String(job.percentage);
    status.textContent = job.status;
    status.classList.toggle("ok", job.status === "completed");
    status.classList.toggle("bad", job.status === "failed");
    if (summary && job.summary) {
      const s = job.summary;
      summary.textContent = `${s.total} rows: ${s.inserted} inserted, ${s.updated} updated, ${s.failed} failed`;
    }
    if (details) details.textContent = job.status_details || "";
  };

  const poll = async () => {
    let job = null;
    try {
      const response = await fetch(url, { headers: { accept: "application/json" }, cache: "no-store" });
      if (response.ok) job = await response.json();
    } catch (error) {
      job = null; // a missed second: try again at the next one
    }
    if (job) {
      show(job);
      if (job.finished) {
        window.location.reload();
        return;
      }
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 1000);
});
