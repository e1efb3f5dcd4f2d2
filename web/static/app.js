// costbot dashboard: the Mini App sign-in, Telegram's theme, and the charts (drawn by
// the vendored uPlot). Everything else is plain server-rendered HTML.
(function () {
  "use strict";

  // Telegram opens a Mini App with its launch parameters in the URL fragment:
  // tgWebAppData (the initData to validate), tgWebAppThemeParams (JSON colours).
  function launchParams() {
    var hash = window.location.hash.slice(1);
    if (!hash) return null;
    var p = new URLSearchParams(hash);
    return p.has("tgWebAppData") ? p : null;
  }

  function tgEvent(name, data) {
    var proxy = window.TelegramWebviewProxy;
    if (proxy && proxy.postEvent) proxy.postEvent(name, JSON.stringify(data || {}));
  }

  var THEME_KEY = "costbot.tgTheme";
  function applyTheme() {
    var params = launchParams();
    if (params && params.get("tgWebAppThemeParams")) {
      try { sessionStorage.setItem(THEME_KEY, params.get("tgWebAppThemeParams")); } catch (e) { /* storage off */ }
    }
    var raw = null;
    try { raw = sessionStorage.getItem(THEME_KEY); } catch (e) { /* storage off */ }
    if (!raw) return;
    var theme;
    try { theme = JSON.parse(raw); } catch (e) { return; }
    // Telegram's colours replace the page's own (inline custom properties on the root
    // win over the stylesheet's).
    var root = document.documentElement, map = {
      bg_color: "--bg", secondary_bg_color: "--card", text_color: "--text", hint_color: "--muted",
      link_color: "--accent", button_color: "--accent", button_text_color: "--accent-text",
      section_separator_color: "--line"
    };
    Object.keys(map).forEach(function (k) {
      if (/^#[0-9a-fA-F]{3,8}$/.test(theme[k] || "")) root.style.setProperty(map[k], theme[k]);
    });
    tgEvent("web_app_ready");
    tgEvent("web_app_expand");
  }

  // On the sign-in page inside Telegram: send initData, and on success load the page.
  function miniAppSignIn() {
    var params = launchParams();
    var status = document.getElementById("miniapp-status");
    if (!params || !status) return;
    status.hidden = false;
    var body = new URLSearchParams();
    body.set("initData", params.get("tgWebAppData"));
    fetch("/auth/telegram", { method: "POST", body: body, credentials: "same-origin" }).then(function (r) {
      if (r.status === 204) window.location.replace(window.location.pathname + window.location.search);
      else status.textContent = status.textContent + " (" + r.status + ")";
    });
  }

  var PALETTE = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d", "#7c3aed", "#0d9488"];

  function money(v) { return v == null ? "—" : "$" + v.toFixed(v < 1 ? 4 : 2); }

  // A stacked bar chart: each series is drawn over the sum of those after it, and the
  // legend shows each series' own value. Bars sit at 0, 1, 2, … under their labels.
  function drawChart(el) {
    var data = JSON.parse(document.getElementById(el.dataset.chart).textContent);
    var labels = data.labels || [];
    if (labels.length === 0 || !data.series || data.series.length === 0) {
      var p = document.createElement("p");
      p.className = "empty";
      p.textContent = el.dataset.empty;
      el.appendChild(p);
      return;
    }
    var xs = labels.map(function (_, i) { return i; });
    var n = data.series.length, stacked = [], acc = xs.map(function () { return 0; });
    for (var i = n - 1; i >= 0; i--) {
      acc = acc.map(function (a, j) { return a + (data.series[i].values[j] || 0); });
      stacked[i] = acc.slice();
    }
    function label(t) { return Number.isInteger(t) && t >= 0 && t < labels.length ? labels[t] : ""; }
    var series = [{ label: "", value: function (u, t) { return t == null ? "" : label(t); } }];
    data.series.forEach(function (s, i) {
      var c = PALETTE[i % PALETTE.length];
      series.push({
        label: s.name, stroke: c, fill: c, width: 0, points: { show: false },
        paths: uPlot.paths.bars({ size: [0.7, 48] }),
        value: function (u, v, si, idx) { return idx == null ? "" : money(s.values[idx]); }
      });
    });
    var css = getComputedStyle(document.documentElement);
    var axisColor = css.getPropertyValue("--muted").trim() || "#888";
    var grid = { stroke: css.getPropertyValue("--line").trim() || "#ddd", width: 1 };
    var opts = {
      width: el.clientWidth || 320, height: 220, series: series,
      scales: { x: { time: false, range: [-0.5, labels.length - 0.5] } },
      axes: [
        { stroke: axisColor, grid: grid, ticks: grid, incrs: [1, 2, 3, 4, 6, 12], space: 44,
          values: function (u, ticks) { return ticks.map(label); } },
        { stroke: axisColor, grid: grid, ticks: grid, size: 60, values: function (u, ticks) { return ticks.map(function (t) { return "$" + t; }); } }
      ],
      cursor: { points: { show: false } },
      legend: { live: true }
    };
    var chart = new uPlot(opts, [xs].concat(stacked), el);
    new ResizeObserver(function () { chart.setSize({ width: el.clientWidth, height: 220 }); }).observe(el);
  }

  // Changing the region filter applies it at once.
  function autoSubmit() {
    var region = document.getElementById("region");
    if (region) region.addEventListener("change", function () { region.form.submit(); });
  }

  applyTheme();
  document.addEventListener("DOMContentLoaded", function () {
    miniAppSignIn();
    autoSubmit();
    if (window.uPlot) document.querySelectorAll("[data-chart]").forEach(drawChart);
  });
})();
