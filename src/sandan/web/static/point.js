/* Point explorer: fetch the point's series from the API at the chosen range, resolution and unit. */
"use strict";

(function () {
  const S = window.sandan;
  const cfg = S.readJSON("point-config");
  const L = cfg.labels;
  const $ = (id) => document.getElementById(id);
  const chart = $("chart");
  const controls = { start: $("start"), end: $("end"), resolution: $("resolution"), unit: $("unit") };
  const overlay = $("chart-overlay");
  const errorBox = $("chart-error");
  let sequence = 0;

  // a shared link keeps its range, resolution and unit
  const query = new URLSearchParams(window.location.search);
  for (const [name, input] of Object.entries(controls)) {
    const value = query.get(name);
    if (value && (input.tagName !== "SELECT" || [...input.options].some((o) => o.value === value))) {
      input.value = value;
    }
  }

  function unitLabel(unit) {
    return unit === "toe" ? "TOE" : unit;
  }

  function seriesUrl(format) {
    const params = new URLSearchParams({
      start: controls.start.value + "T00:00:00+09:00",
      end: S.addDays(controls.end.value, 1) + "T00:00:00+09:00",  // the end date is included
      resolution: controls.resolution.value, unit: controls.unit.value,
    });
    if (format) params.set("format", format);
    return cfg.api + "?" + params.toString();
  }

  function showOverlay(text) {
    overlay.hidden = !text;
    overlay.textContent = text || "";
  }

  function showError(text) {
    errorBox.hidden = !text;
    errorBox.textContent = text || "";
  }

  async function load() {
    if (!controls.start.value || !controls.end.value || controls.end.value < controls.start.value) {
      showError(L.bad_range);
      return;
    }
    showError(null);
    const mine = ++sequence;
    $("export-csv").href = seriesUrl("csv");
    $("export-xlsx").href = seriesUrl("xlsx");
    const state = new URLSearchParams(Object.entries(controls).map(([k, input]) => [k, input.value]));
    window.history.replaceState(null, "", "?" + state.toString());
    showOverlay(L.loading);
    let res;
    let body;
    try {
      res = await fetch(seriesUrl(null), { credentials: "same-origin", headers: { Accept: "application/json" } });
      body = await res.json();
    } catch (err) {
      if (mine === sequence) { showOverlay(null); showError(L.failed + " " + err.message); }
      return;
    }
    if (mine !== sequence) return;  // a newer request is on its way
    if (res.status === 401) { window.location.reload(); return; }
    if (!res.ok) {
      showOverlay(null);
      showError(L.failed + " " + (body.detail || res.statusText));
      return;
    }
    draw(body);
  }

  function draw(body) {
    const items = body.items;
    const x = items.map((i) => S.kstString(i.ts));
    const y = items.map((i) => i.value);
    const resolution = body.resolution;
    const aggregated = resolution !== "raw";
    const period = { "15min": 900000, "1h": 3600000, "1d": 86400000, "1mo": "M1" }[resolution];
    const unit = unitLabel(body.unit);
    const traces = [];
    const band = !cfg.additive && aggregated && items.some((i) => i.count > 1);
    if (band) {
      traces.push({ type: "scatter", mode: "lines", x, y: items.map((i) => i.min), name: L.min,
        line: { width: 0, color: S.palette.brand }, hoverinfo: "skip", showlegend: false });
      traces.push({ type: "scatter", mode: "lines", x, y: items.map((i) => i.max), name: L.range,
        fill: "tonexty", fillcolor: S.palette.brandSoft, line: { width: 0, color: S.palette.brand },
        hovertemplate: L.max + ": %{y:,.3f} " + unit + "<extra></extra>" });
    }
    if (cfg.additive && (resolution === "1d" || resolution === "1mo")) {
      traces.push({ type: "bar", x, y, name: L.value, xperiod: period, xperiodalignment: "middle",
        marker: { color: S.palette.brand }, hovertemplate: "%{y:,.3f} " + unit + "<extra></extra>" });
    } else {
      traces.push({ type: "scatter", mode: items.length <= 60 ? "lines+markers" : "lines", x, y,
        name: L.value, line: { color: S.palette.brand, width: 1.8, shape: cfg.additive && aggregated ? "hv" : "linear" },
        marker: { size: 4 }, hovertemplate: "%{y:,.3f} " + unit + "<extra></extra>" });
    }
    const layout = S.layout({
      hovermode: "x unified", showlegend: band, legend: { orientation: "h", y: 1.08, x: 0 },
      margin: { l: 72, r: 16, t: band ? 32 : 12, b: 56 }, bargap: 0.2,
      xaxis: S.axis({ type: "date", title: { text: L.time }, tickformatstops: S.dateTicks,
        hoverformat: "%Y-%m-%d %H:%M", rangeslider: { visible: false } }),
      yaxis: S.axis({ title: { text: cfg.quantity_label + " [" + unit + "]" }, rangemode: cfg.additive ? "tozero" : "normal",
        tickformat: ",~r" }),
    });
    Plotly.react(chart, traces, layout, S.plotConfig);
    showOverlay(items.length ? null : L.no_data);
    chart.dataset.points = String(items.length);
    stats(items, unit);
  }

  function stats(items, unit) {
    const dl = $("stats");
    dl.replaceChildren();
    if (!items.length) return;
    const values = items.map((i) => i.value);
    const sum = values.reduce((a, b) => a + b, 0);
    const rows = [];
    if (cfg.additive) rows.push([L.total, S.fmt(sum, cfg.locale, 2) + " " + unit]);
    rows.push([L.mean, S.fmt(sum / values.length, cfg.locale, 2) + " " + unit]);
    // totals: the smallest and largest interval shown; other quantities: the extremes inside them.
    // reduce, not Math.min(...values): a spread of 200,000 raw readings overflows the call stack
    const low = cfg.additive ? (i) => i.value : (i) => i.min;
    const high = cfg.additive ? (i) => i.value : (i) => i.max;
    const lowest = items.reduce((a, i) => Math.min(a, low(i)), Infinity);
    const highest = items.reduce((a, i) => Math.max(a, high(i)), -Infinity);
    rows.push([L.min, S.fmt(lowest, cfg.locale, 2) + " " + unit]);
    rows.push([L.max, S.fmt(highest, cfg.locale, 2) + " " + unit]);
    rows.push([L.count, S.fmt(items.reduce((a, i) => a + i.count, 0), cfg.locale, 0)]);
    for (const [term, value] of rows) {
      const div = document.createElement("div");
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = term;
      dd.textContent = value;
      div.append(dt, dd);
      dl.append(div);
    }
  }

  for (const input of Object.values(controls)) input.addEventListener("change", load);
  for (const button of document.querySelectorAll(".quick button")) {
    button.addEventListener("click", () => {
      const today = S.kstToday();
      controls.end.value = today;
      controls.start.value = S.addDays(today, 1 - Number(button.dataset.days));
      load();
    });
  }
  $("explorer-controls").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  load();
})();
