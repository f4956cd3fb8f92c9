/* Company page: daily consumption of the last 30 days. */
"use strict";

(function () {
  const S = window.sandan;
  const data = S.readJSON("daily-data");
  const el = document.getElementById("daily-chart");
  if (!data.x.length) {
    el.classList.add("chart-empty");
    el.textContent = data.labels.no_data;
    return;
  }
  const trace = {
    type: "bar", x: data.x, y: data.y, name: data.labels.energy, xperiod: 86400000,
    xperiodalignment: "middle", marker: { color: S.palette.brand },
    hovertemplate: "%{x|%Y-%m-%d}<br>%{y:,.1f} " + data.labels.unit + "<extra></extra>",
  };
  const layout = S.layout({
    bargap: 0.25, showlegend: false,
    xaxis: S.axis({ type: "date", tickformat: "%m-%d", hoverformat: "%Y-%m-%d" }),
    yaxis: S.axis({ title: { text: data.labels.unit }, rangemode: "tozero" }),
  });
  Plotly.newPlot(el, [trace], layout, S.plotConfig);
})();
