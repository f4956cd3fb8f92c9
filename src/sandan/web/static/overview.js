/* Complex overview: the company map and the live figures, refreshed every few seconds. */
"use strict";

(function () {
  const S = window.sandan;
  const data = S.readJSON("map-data");
  const cfg = S.readJSON("live-config");
  const L = data.labels;
  const mapEl = document.getElementById("company-map");
  const byId = new Map(data.points.map((p, i) => [String(p.id), i]));
  const MAX_LABELS = 15;
  const GREENS = [[0, "#9fd8c1"], [0.5, "#2f9e77"], [1, "#0a4f3c"]];

  function sizes(values) {
    const max = Math.max(1, ...values.map((v) => v || 0));
    return values.map((v) => 12 + 30 * Math.sqrt((v || 0) / max));
  }

  function hoverValues(values) {
    return values.map((v) => (v === null || v === undefined ? L.no_data : S.fmt(v, cfg.locale) + " kWh"));
  }

  function drawMap() {
    const pts = data.points;
    if (!pts.length) {
      mapEl.classList.add("chart-empty");
      mapEl.textContent = L.no_data;
      return;
    }
    const lats = pts.map((p) => p.lat);
    const lons = pts.map((p) => p.lon);
    const meanLat = lats.reduce((a, b) => a + b, 0) / lats.length;
    // one degree of latitude is longer on the ground than one of longitude: 1 / cos(latitude)
    const ratio = 1 / Math.cos((meanLat * Math.PI) / 180);
    const pad = (lo, hi) => Math.max(0.004, (hi - lo) * 0.15);
    const [xlo, xhi] = [Math.min(...lons), Math.max(...lons)];
    const [ylo, yhi] = [Math.min(...lats), Math.max(...lats)];
    const today = pts.map((p) => p.today_kwh);
    const labelled = pts.length <= MAX_LABELS;  // beyond that, names overlap: hover tells them
    const trace = {
      type: "scatter", mode: labelled ? "markers+text" : "markers", x: lons, y: lats,
      text: pts.map((p) => p.name), textposition: "top center",
      textfont: { size: 11, color: S.palette.muted },
      customdata: pts.map((p, i) => [p.url, hoverValues(today)[i]]),
      hovertemplate: "<b>%{text}</b><br>" + L.today + ": %{customdata[1]}<extra></extra>",
      marker: { size: sizes(today), color: today.map((v) => v || 0), colorscale: GREENS, cmin: 0,
        opacity: 0.85, line: { color: "#ffffff", width: 1.5 } },
      cliponaxis: false,
    };
    const layout = S.layout({
      margin: { l: 56, r: 16, t: 24, b: 44 }, showlegend: false, dragmode: "pan", hovermode: "closest",
      xaxis: S.axis({ title: { text: L.longitude }, range: [xlo - pad(xlo, xhi), xhi + pad(xlo, xhi)],
        tickformat: ".3f", zeroline: false }),
      yaxis: S.axis({ title: { text: L.latitude }, range: [ylo - pad(ylo, yhi), yhi + pad(ylo, yhi)],
        tickformat: ".3f", zeroline: false, scaleanchor: "x", scaleratio: ratio }),
      plot_bgcolor: "#f7faf9",
    });
    Plotly.newPlot(mapEl, [trace], layout, S.plotConfig).then(() => {
      mapEl.on("plotly_click", (ev) => {
        if (ev.points && ev.points.length) window.location.href = ev.points[0].customdata[0];
      });
    });
  }

  function setText(id, text) {
    const el = document.getElementById(id);
    if (el) el.textContent = text;
  }

  async function refresh() {
    const status = document.getElementById("live-status");
    try {
      const res = await fetch(cfg.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (res.status === 401) { window.location.reload(); return; }
      if (!res.ok) throw new Error(res.statusText);
      const body = await res.json();
      setText("live-at", body.at_kst);
      setText("total-today", S.fmt(body.total.today_kwh, cfg.locale));
      setText("total-demand", S.fmt(body.total.demand_kw, cfg.locale));
      setText("total-demand-at", S.kstClock(body.total.demand_at));
      const today = data.points.map((p) => p.today_kwh);
      for (const [id, e] of Object.entries(body.companies)) {
        const row = document.querySelector(`tr[data-company="${id}"]`);
        const cells = { today_kwh: S.fmt(e.today_kwh, cfg.locale), demand_kw: S.fmt(e.demand_kw, cfg.locale),
          demand_at: S.kstClock(e.demand_at) };
        for (const [field, text] of Object.entries(cells)) {
          const cell = row && row.querySelector(`[data-field="${field}"]`);
          if (cell) cell.textContent = text;
        }
        if (byId.has(id)) today[byId.get(id)] = e.today_kwh;
      }
      if (data.points.length && mapEl.data) {
        const hover = hoverValues(today);
        Plotly.restyle(mapEl, { "marker.size": [sizes(today)], "marker.color": [today.map((v) => v || 0)],
          customdata: [data.points.map((p, i) => [p.url, hover[i]])] });
      }
      status.classList.remove("stale");
    } catch (err) {
      status.classList.add("stale");
    }
  }

  drawMap();
  window.setInterval(refresh, cfg.refresh_s * 1000);
})();
