// Draws the queries-per-day chart of an asset's Usage tab (Chart.js, vendored; category
// axis with date labels, no date adapter). Loaded with the tab's HTML, which htmx may swap
// in more than once: each canvas is drawn once, Chart.js is loaded once.
(function () {
  function draw() {
    document.querySelectorAll("canvas[data-usage-chart]:not([data-drawn])").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.usageChart);
      if (!source) return;
      var data = JSON.parse(source.textContent);
      canvas.dataset.drawn = "1";
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [
            { label: "Queries", data: data.queries, backgroundColor: "#3b6fd8", yAxisID: "y" },
            { label: "Distinct users", data: data.users, type: "line", borderColor: "#d97706",
              backgroundColor: "#d97706", yAxisID: "y1", tension: 0.2, pointRadius: 2 }
          ]
        },
        options: {
          animation: false, responsive: true,
          scales: {
            x: { type: "category", ticks: { maxTicksLimit: 10 } },
            y: { beginAtZero: true, title: { display: true, text: "queries" } },
            y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                  title: { display: true, text: "users" }, ticks: { precision: 0 } }
          }
        }
      });
    });
  }
  function ready() {
    if (window.Chart) { draw(); return; }
    var canvas = document.querySelector("canvas[data-usage-chart]");
    if (!canvas) return;
    var existing = document.querySelector("script[data-chartjs-loader]");
    if (existing) { existing.addEventListener("load", draw); return; }
    var script = document.createElement("script");
    script.src = canvas.dataset.chartjs;
    script.dataset.chartjsLoader = "1";
    script.addEventListener("load", draw);
    document.head.appendChild(script);
  }
  ready();
})();
