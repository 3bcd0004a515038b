// The scorecard's trend: one line per KPI over the daily snapshots (category axis of dates,
// Chart.js is vendored without a date adapter).
(function () {
  function draw() {
    const data = document.getElementById("scorecard-trend");
    const canvas = document.getElementById("scorecard-chart");
    if (!data || !canvas || typeof Chart === "undefined") return;
    const trend = JSON.parse(data.textContent);
    const colours = ["#0b5cad", "#1a7f37", "#9a6700", "#912018", "#4a2f9e", "#0e7490", "#6b7280"];
    new Chart(canvas, {
      type: "line",
      data: {
        labels: trend.labels,
        datasets: trend.series.map((s, i) => ({
          label: s.label, data: s.points, borderColor: colours[i % colours.length],
          backgroundColor: colours[i % colours.length], spanGaps: true, tension: 0.2,
        })),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { x: { type: "category" }, y: { min: 0, max: 100, title: { display: true, text: "%" } } },
      },
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
