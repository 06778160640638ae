// Draws the dashboard's charts from the numbers the server computed (no figure is computed
// here); a click on a bar or point opens the list behind it.
(function () {
  "use strict";
  const source = document.getElementById("dashboard-charts");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const shortLabel = function (value) {
    const label = String(this.getLabelForValue(value));
    return label.length > 24 ? label.slice(0, 23) + "…" : label;
  };
  const palette = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545", "#198754", "#6c757d", "#ffc107"];

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    const chart = data[canvas.dataset.chart];
    const stacked = canvas.dataset.stacked === "1";
    const horizontal = canvas.dataset.horizontal === "1";
    const line = canvas.dataset.kind === "line";
    const datasets = chart.datasets.map(function (set, i) {
      const colour = palette[i % palette.length];
      return Object.assign({}, set, {
        backgroundColor: colour,
        borderColor: colour,
        spanGaps: true,
        tension: 0.2,
      });
    });
    new Chart(canvas, {
      type: line ? "line" : "bar",
      data: { labels: chart.labels, datasets: datasets },
      options: {
        responsive: true,
        animation: false,
        indexAxis: horizontal ? "y" : "x",
        interaction: { mode: "nearest", intersect: !line },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: {
          // Counts and minutes are whole numbers: no 0.5 ticks. Long customer names on the
          // category axis are shortened; the tooltip shows them in full.
          x: horizontal
            ? { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } }
            : { stacked: stacked, beginAtZero: true },
          y: line
            ? { beginAtZero: true, max: 100, title: { display: true, text: data.axis.percent } }
            : horizontal
              ? { stacked: stacked, ticks: { autoSkip: false, callback: shortLabel } }
              : { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } },
        },
        onClick: function (event, elements) {
          if (!elements.length) return;
          const target = elements[0];
          const url = chart.links[target.datasetIndex] && chart.links[target.datasetIndex][target.index];
          if (url) window.location.assign(url);
        },
        onHover: function (event, elements) {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
      },
    });
  });
})();
