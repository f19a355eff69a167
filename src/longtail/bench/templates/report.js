// Draws the report's charts as inline SVG from the JSON in #report-data.
// No library and no network: the report must open from a file on a machine
// without internet. Text goes in through textContent only, so names taken
// from the data can never become markup.
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var HEIGHT = 300;
  var WIDE = 1200;
  var MARGIN = { top: 16, right: 24, bottom: 46, left: 64 };

  function svgElement(name, attrs, parent) {
    var node = document.createElementNS(SVG_NS, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function svgText(parent, x, y, content, attrs) {
    var node = svgElement("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    node.textContent = content;
    return node;
  }

  function tooltip(node, content) {
    svgElement("title", {}, node).textContent = content;
    return node;
  }

  function finite(value) { return typeof value === "number" && isFinite(value); }

  function format(value) {
    if (!finite(value)) { return "–"; }
    var size = Math.abs(value);
    if (size !== 0 && (size < 0.001 || size >= 1e6)) { return value.toExponential(2); }
    return value.toFixed(size >= 100 ? 1 : size >= 10 ? 2 : 3);
  }

  function linear(domain, range) {
    var span = domain[1] - domain[0] || 1;
    return function (value) { return range[0] + (value - domain[0]) / span * (range[1] - range[0]); };
  }

  // Round tick values (1, 2 or 5 times a power of ten) covering the domain.
  function ticks(low, high, count) {
    if (!(high > low)) { high = low + 1; }
    var raw = (high - low) / count;
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (m) { return m * power; }).find(function (s) { return s >= raw; });
    var values = [];
    for (var v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) {
      values.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    }
    return values;
  }

  function padded(values, includeZero) {
    var usable = values.filter(finite);
    if (includeZero) { usable.push(0); }
    if (!usable.length) { return [0, 1]; }
    var low = Math.min.apply(null, usable);
    var high = Math.max.apply(null, usable);
    var pad = (high - low) * 0.06 || Math.abs(high) * 0.1 || 0.5;
    return [includeZero && low >= 0 ? 0 : low - pad, high + pad];
  }

  // Tick labels with as many decimals as the tick step needs (0.25 -> 2, 50 -> 0).
  function tickLabels(values) {
    if (values.length < 2) { return values.map(format); }
    var step = Math.abs(values[1] - values[0]);
    var size = Math.max.apply(null, values.map(Math.abs));
    if (size >= 1e6 || (size > 0 && size < 1e-4)) { return values.map(function (v) { return v.toExponential(1); }); }
    var decimals = Math.min(6, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
    return values.map(function (v) { return v.toFixed(decimals); });
  }

  function axes(svg, box, x, y, labels) {
    var grid = svgElement("g", { "class": "grid" }, svg);
    var axis = svgElement("g", { "class": "axis" }, svg);
    var yLabels = tickLabels(y.ticks);
    y.ticks.forEach(function (value, i) {
      var py = y.scale(value);
      svgElement("line", { x1: box.left, x2: box.right, y1: py, y2: py }, grid);
      svgText(axis, box.left - 6, py + 4, yLabels[i], { "text-anchor": "end" });
    });
    var xTicks = x.ticks || [];
    var xLabels = tickLabels(xTicks);
    xTicks.forEach(function (value, i) {
      var px = x.scale(value);
      svgElement("line", { x1: px, x2: px, y1: box.top, y2: box.bottom }, grid);
      svgText(axis, px, box.bottom + 16, xLabels[i], { "text-anchor": "middle" });
    });
    svgElement("line", { x1: box.left, x2: box.right, y1: box.bottom, y2: box.bottom }, axis);
    svgElement("line", { x1: box.left, x2: box.left, y1: box.top, y2: box.bottom }, axis);
    if (labels.x) {
      svgText(svg, (box.left + box.right) / 2, box.height - 6, labels.x, { "class": "label", "text-anchor": "middle" });
    }
    if (labels.y) {
      var cy = (box.top + box.bottom) / 2;
      svgText(svg, 14, cy, labels.y, { "class": "label", "text-anchor": "middle", transform: "rotate(-90 14 " + cy + ")" });
    }
  }

  // An SVG never drawn larger than its natural size; a very wide one keeps a legible
  // minimum width and its box scrolls sideways instead of shrinking every bar.
  function canvas(plot, width, height, bottom, left) {
    var svg = svgElement("svg", { viewBox: "0 0 " + width + " " + height, role: "img" }, plot);
    svg.style.maxWidth = width + "px";
    if (width > WIDE) { svg.style.minWidth = Math.round(width * 0.7) + "px"; }
    return {
      svg: svg,
      box: {
        left: left || MARGIN.left, right: width - MARGIN.right, top: MARGIN.top, bottom: height - bottom, height: height
      }
    };
  }

  function legend(plot, series) {
    var box = document.createElement("div");
    box.className = "legend";
    series.forEach(function (entry) {
      var item = document.createElement("span");
      item.style.setProperty("--swatch", entry.color);
      item.textContent = entry.name;
      box.appendChild(item);
    });
    plot.appendChild(box);
  }

  function whisker(parent, x1, y1, x2, y2) {
    svgElement("line", { x1: x1, y1: y1, x2: x2, y2: y2, "class": "whisker" }, parent);
  }

  // Grouped bars: one group per category (e.g. a popularity bucket), one bar per strategy, CI whiskers.
  function bars(plot, chart) {
    var groups = chart.groups;
    var series = chart.series;
    var bandWidth = Math.max(34, series.length * 9 + 12);
    var longest = Math.max.apply(null, groups.map(function (g) { return g.length; }));
    var rotate = groups.length > 6 || longest > 12;
    var bottom = rotate ? 40 + Math.min(longest, 24) * 5.2 : MARGIN.bottom;
    // a slanted first label reaches left of its group: leave it room
    var left = rotate ? Math.max(MARGIN.left, Math.min(longest, 24) * 4.6 - bandWidth / 2 + 8) : MARGIN.left;
    var width = Math.max(520, left + MARGIN.right + groups.length * bandWidth);
    var c = canvas(plot, width, HEIGHT + bottom - MARGIN.bottom, bottom, left);
    var values = [];
    series.forEach(function (s) { values = values.concat(s.values, s.low, s.high); });
    var domain = padded(values, true);
    var yTicks = ticks(domain[0], domain[1], 5);
    var y = { scale: linear(domain, [c.box.bottom, c.box.top]), ticks: yTicks };
    axes(c.svg, c.box, { ticks: [] }, y, { y: chart.y_label });
    var band = (c.box.right - c.box.left) / groups.length;
    var barWidth = Math.max(2, (band - 8) / series.length);
    var marks = svgElement("g", {}, c.svg);
    var zero = y.scale(Math.max(domain[0], Math.min(0, domain[1])));
    groups.forEach(function (group, gi) {
      var start = c.box.left + gi * band + 4;
      series.forEach(function (s, si) {
        var value = s.values[gi];
        if (!finite(value)) { return; }
        var x = start + si * barWidth;
        var top = y.scale(value);
        var bar = svgElement("rect", {
          x: x, y: Math.min(top, zero), width: Math.max(1, barWidth - 1), height: Math.max(1, Math.abs(zero - top)),
          fill: s.color, "class": "mark"
        }, marks);
        tooltip(bar, s.name + " · " + group + ": " + format(value) +
          (finite(s.low[gi]) ? " [" + format(s.low[gi]) + ", " + format(s.high[gi]) + "]" : ""));
        if (finite(s.low[gi]) && s.high[gi] > s.low[gi]) {
          whisker(marks, x + barWidth / 2, y.scale(s.low[gi]), x + barWidth / 2, y.scale(s.high[gi]));
        }
      });
      var label = group.length > 24 ? group.slice(0, 23) + "…" : group;
      var cx = c.box.left + (gi + 0.5) * band;
      var attrs = rotate
        ? { "text-anchor": "end", transform: "rotate(-40 " + cx + " " + (c.box.bottom + 12) + ")" }
        : { "text-anchor": "middle" };
      tooltip(svgText(c.svg, cx, c.box.bottom + 12 + (rotate ? 0 : 4), label, attrs), group);
    });
    legend(plot, series);
  }

  // Accuracy against tail metric, one point per strategy, the Pareto front joined by a dashed line.
  function pareto(plot, chart) {
    var points = chart.points;
    var c = canvas(plot, 560, HEIGHT + 40, MARGIN.bottom);
    var xs = [], ys = [];
    points.forEach(function (p) { xs.push(p.x, p.x_low, p.x_high); ys.push(p.y, p.y_low, p.y_high); });
    var xDomain = padded(xs, false), yDomain = padded(ys, false);
    var x = { scale: linear(xDomain, [c.box.left, c.box.right]), ticks: ticks(xDomain[0], xDomain[1], 5) };
    var y = { scale: linear(yDomain, [c.box.bottom, c.box.top]), ticks: ticks(yDomain[0], yDomain[1], 5) };
    axes(c.svg, c.box, x, y, { x: chart.x_label, y: chart.y_label });
    var front = points.filter(function (p) { return p.front; }).sort(function (a, b) { return a.x - b.x; });
    if (front.length > 1) {
      svgElement("polyline", {
        points: front.map(function (p) { return x.scale(p.x) + "," + y.scale(p.y); }).join(" "), "class": "front"
      }, c.svg);
    }
    var marks = svgElement("g", {}, c.svg);
    points.forEach(function (p) {
      var px = x.scale(p.x), py = y.scale(p.y);
      if (finite(p.x_low) && p.x_high > p.x_low) { whisker(marks, x.scale(p.x_low), py, x.scale(p.x_high), py); }
      if (finite(p.y_low) && p.y_high > p.y_low) { whisker(marks, px, y.scale(p.y_low), px, y.scale(p.y_high)); }
      var dot = svgElement("circle", {
        cx: px, cy: py, r: p.front ? 6.5 : 4.5, fill: p.color, stroke: p.front ? "#1f2328" : "#fff",
        "stroke-width": p.front ? 2 : 1, "class": "mark"
      }, marks);
      tooltip(dot, p.name + (p.front ? " (on the front)" : "") + ": " + chart.x_label + " " + format(p.x) +
        ", " + chart.y_label + " " + format(p.y));
      svgText(marks, px + 8, py - 7, p.name, { "font-weight": p.front ? "700" : "400" });
    });
    legend(plot, points.map(function (p) { return { name: p.name + (p.front ? " ◆ front" : ""), color: p.color }; }));
  }

  // Lorenz curves of exposure: share of exposure held by the least-exposed share of items.
  function lines(plot, chart) {
    var c = canvas(plot, 560, HEIGHT + 40, MARGIN.bottom);
    var unit = [0, 1];
    var x = { scale: linear(unit, [c.box.left, c.box.right]), ticks: ticks(0, 1, 5) };
    var y = { scale: linear(unit, [c.box.bottom, c.box.top]), ticks: ticks(0, 1, 5) };
    axes(c.svg, c.box, x, y, { x: chart.x_label, y: chart.y_label });
    if (chart.diagonal) {
      tooltip(svgElement("line", { x1: x.scale(0), y1: y.scale(0), x2: x.scale(1), y2: y.scale(1), "class": "diagonal" },
        c.svg), "equal exposure for every item");
    }
    var marks = svgElement("g", {}, c.svg);
    chart.series.forEach(function (s) {
      var coords = s.x.map(function (xv, i) { return [xv, s.y[i]]; }).filter(function (p) { return finite(p[1]); });
      var line = svgElement("polyline", {
        points: coords.map(function (p) { return x.scale(p[0]) + "," + y.scale(p[1]); }).join(" "),
        fill: "none", stroke: s.color, "stroke-width": 2, "class": "mark"
      }, marks);
      tooltip(line, s.name + (s.gini !== null && finite(s.gini) ? " · Gini " + format(s.gini) : ""));
    });
    legend(plot, chart.series);
  }

  var DRAW = { bars: bars, pareto: pareto, lines: lines };
  var data = JSON.parse(document.getElementById("report-data").textContent);
  data.charts.forEach(function (chart) {
    var plot = document.getElementById(chart.id);
    if (!plot) { throw new Error("no element for chart " + chart.id); }
    var draw = DRAW[chart.type];
    if (!draw) { throw new Error("unknown chart type " + chart.type); }
    draw(plot, chart);
  });
})();
