/* Shared helpers of sandan's pages: page data, number and KST time formatting, chart styling. */
"use strict";

window.sandan = (function () {
  const KST_OFFSET_MS = 9 * 3600 * 1000;
  const palette = {
    ink: "#17212b", muted: "#5b6675", grid: "#edf0f4", axis: "#cfd6df",
    brand: "#0d7d5f", brandSoft: "rgba(13, 125, 95, 0.14)", accent: "#1f5fbf", warn: "#c2410c",
  };
  const fontFamily = 'Pretendard, "Noto Sans KR", "Apple SD Gothic Neo", "Malgun Gothic", system-ui, ' +
    '-apple-system, "Segoe UI", Roboto, sans-serif';

  function readJSON(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  function fmt(value, locale, digits) {
    if (value === null || value === undefined || !Number.isFinite(value)) return "—";
    const d = digits === undefined ? 1 : digits;
    return new Intl.NumberFormat(locale, { minimumFractionDigits: d, maximumFractionDigits: d }).format(value);
  }

  /* An ISO instant as its Korean wall-clock time "YYYY-MM-DD HH:MM:SS": plotly draws it as written. */
  function kstString(iso) {
    const shifted = new Date(new Date(iso).getTime() + KST_OFFSET_MS);
    return shifted.toISOString().slice(0, 19).replace("T", " ");
  }

  function kstClock(iso, withDate) {
    if (!iso) return "—";
    const s = kstString(iso);
    return withDate ? s.slice(5, 16) : s.slice(11, 16);
  }

  /* Today's date on the Korean calendar, "YYYY-MM-DD". */
  function kstToday() {
    return new Date(Date.now() + KST_OFFSET_MS).toISOString().slice(0, 10);
  }

  function addDays(isoDate, days) {
    const d = new Date(isoDate + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }

  /* Numeric date ticks (no English month names in a Korean UI), finer when zoomed in. */
  const dateTicks = [
    { dtickrange: [null, 60000], value: "%H:%M:%S" },
    { dtickrange: [60000, 43200000], value: "%H:%M<br>%m-%d" },
    { dtickrange: [43200001, "M1"], value: "%m-%d" },
    { dtickrange: ["M1", "M12"], value: "%Y-%m" },
    { dtickrange: ["M12", null], value: "%Y" },
  ];

  function axis(extra) {
    return Object.assign({
      gridcolor: palette.grid, linecolor: palette.axis, zerolinecolor: palette.axis, ticks: "outside",
      tickcolor: palette.axis, automargin: true, title: { font: { size: 12, color: palette.muted } },
    }, extra || {});
  }

  function layout(extra) {
    return Object.assign({
      font: { family: fontFamily, size: 12, color: palette.ink },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#ffffff",
      margin: { l: 64, r: 16, t: 12, b: 48 },
      hoverlabel: { font: { family: fontFamily }, bgcolor: "#ffffff", bordercolor: palette.axis },
      xaxis: axis(), yaxis: axis(),
    }, extra || {});
  }

  const plotConfig = {
    responsive: true, displaylogo: false, scrollZoom: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d", "toggleSpikelines"],
  };

  return { palette, fontFamily, readJSON, fmt, kstString, kstClock, kstToday, addDays, dateTicks, axis, layout,
    plotConfig };
})();
