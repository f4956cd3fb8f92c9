/* Grid pages: the 15-minute energy balance and a DER's model beside its meter. */
"use strict";

(function () {
  const S = window.sandan;

  function draw(el, data, columns) {
    if (!data.items.length) {
      el.classList.add("chart-empty");
      el.textContent = data.labels.no_data;
      return;
    }
    const x = data.items.map((i) => S.kstString(i.ts));
    const traces = columns.map(([key, sign, kind]) => ({
      type: kind, x: x, y: data.items.map((i) => (i[key] === null ? null : sign * i[key])), name: data.labels[key],
      hovertemplate: "%{x}<br>%{y:,.2f} " + data.labels.unit + "<extra>" + data.labels[key] + "</extra>",
    }));
    const layout = S.layout({
      barmode: "relative",
      xaxis: S.axis({ type: "date", hoverformat: "%Y-%m-%d %H:%M" }),
      yaxis: S.axis({ title: { text: data.labels.unit } }),
    });
    Plotly.newPlot(el, traces, layout, S.plotConfig);
  }

  const balance = document.getElementById("balance-chart");
  if (balance) {
    draw(balance, S.readJSON("grid-balance-data"), [
      ["generation", 1, "bar"], ["discharge", 1, "bar"], ["import", 1, "bar"],
      ["charge", -1, "bar"], ["export", -1, "bar"], ["curtail", -1, "bar"], ["demand", 1, "scatter"]]);
  }
  const der = document.getElementById("der-chart");
  if (der) {
    draw(der, S.readJSON("grid-der-data"), [["model", 1, "scatter"], ["measured", 1, "scatter"]]);
  }
})();
