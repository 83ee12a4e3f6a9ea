/* Draws every chart on the page from its json_script data (no inline script: CSP).
 *
 *   <div class="chart" data-chart="bar|line|funnel|pie" data-source="<json_script id>"
 *        data-title="…" data-stack="1"></div>
 * data-title is drawn as the chart's own title; it is empty where the card's heading already names it.
 * When the system asks for reduced motion (prefers-reduced-motion), nothing is animated.
 *
 * Data: bar/line {"categories": [...], "series": [{"name": "...", "data": ["12.50", ...]}]}
 *       funnel/pie {"items": [{"name": "...", "value": "12.50"}]}
 * Money arrives as strings (exact Decimals); it is only turned into numbers to be drawn.
 * Every chart has its table on the page, so the page is usable without JavaScript.
 */
(function () {
  "use strict";

  function readData(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source) { return null; }
    try { return JSON.parse(source.textContent); } catch (e) { return null; }
  }

  function num(v) { var n = Number(v); return isFinite(n) ? n : 0; }

  var toolbox = { show: false };
  var reduceMotion = !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);

  // The chart's own title, only when it has one: a card's heading is not repeated above its chart.
  function titleFor(el) {
    var text = el.getAttribute("data-title") || "";
    return text ? { text: text, left: "left", textStyle: { fontSize: 14 } } : undefined;
  }
  var drawn = {};  // element id -> ECharts instance, for the "save as image" buttons

  /* <button data-chart-save="<chart element id>" data-filename="…png">: the chart as a PNG (getDataURL),
   * downloaded through a temporary link; the buttons stay hidden until their chart is drawn. */
  function saveButtons() {
    var buttons = document.querySelectorAll("[data-chart-save]");
    Array.prototype.forEach.call(buttons, function (button) {
      var chart = drawn[button.getAttribute("data-chart-save")];
      if (!chart) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        var link = document.createElement("a");
        link.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
        link.download = button.getAttribute("data-filename") || "chart.png";
        document.body.appendChild(link);
        link.click();
        document.body.removeChild(link);
      });
    });
  }

  // Every category is named (none hidden as overlapping): long names wrap within their slot; when the
  // slots are too narrow for that (a year of months on a phone) the names are turned.
  function categoryLabels(data, el) {
    var n = (data.categories || []).length || 1;
    var slot = Math.floor(((el.clientWidth || 320) - 72) / n);
    if (slot >= 48) {
      return { interval: 0, width: slot - 6, overflow: "break", hideOverlap: false };
    }
    return { interval: n > 31 ? "auto" : 0, rotate: 45, hideOverlap: n > 31 };
  }

  function optionFor(kind, data, el) {
    var title = titleFor(el);
    var top = title ? 40 : 8;
    if (kind === "funnel" || kind === "pie") {
      var items = (data.items || []).map(function (i) { return { name: i.name, value: num(i.value) }; });
      // A pie's empty slices carry no area, only labels piled on each other: the table beside has them.
      if (kind === "pie") { items = items.filter(function (i) { return i.value > 0; }); }
      return {
        animation: !reduceMotion,
        title: title,
        tooltip: { trigger: "item" },
        toolbox: toolbox,
        legend: { bottom: 0, type: "scroll" },
        series: [kind === "funnel"
          ? { type: "funnel", sort: "none", left: "10%", width: "80%", top: top, bottom: 40, data: items,
              label: { show: true, position: "inside" } }
          : { type: "pie", radius: ["35%", "65%"], data: items,
              label: { overflow: "break", width: Math.max(64, Math.floor((el.clientWidth || 320) / 4)) } }]
      };
    }
    var stack = el.getAttribute("data-stack") ? "total" : undefined;
    return {
      animation: !reduceMotion,
      title: title,
      tooltip: { trigger: "axis" },
      toolbox: toolbox,
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: top + 8, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: data.categories || [], axisLabel: categoryLabels(data, el) },
      yAxis: { type: "value" },
      series: (data.series || []).map(function (s) {
        return { name: s.name, type: kind === "line" ? "line" : "bar", stack: stack,
                 data: (s.data || []).map(num) };
      })
    };
  }

  function draw() {
    if (typeof window.echarts === "undefined") { return; }
    var charts = [];
    var els = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(els, function (el) {
      var data = readData(el);
      if (!data) { return; }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(optionFor(el.getAttribute("data-chart"), data, el));
      el.setAttribute("data-chart-drawn", "1");
      charts.push(chart);
      drawn[el.id] = chart;
    });
    saveButtons();
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) { window.clearTimeout(pending); }
      pending = window.setTimeout(function () {
        charts.forEach(function (c) { c.resize(); });
      }, 100);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
