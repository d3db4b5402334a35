/* The plan dashboard's charts (Apache ECharts, served from static/): reports by agency stacked by
   state, traffic lights by part, and the on-time rate over the periods. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var stateColours = { on_time: "#4caf50", late: "#f2c037", missing: "#d9534f", pending: "#9e9e9e" };
  var lightColours = { green: "#4caf50", yellow: "#f2c037", red: "#d9534f", closed: "#9e9e9e" };
  var charts = [];

  function draw(id, option) {
    var holder = document.getElementById(id);
    if (!holder) { return; }
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    chart.setOption(option);
    holder.dataset.rendered = "true";
    charts.push(chart);
  }

  function stacks(keys, colours, labels, values) {
    return keys.map(function (key) {
      return { name: labels[key], type: "bar", stack: "all", color: colours[key], data: values[key] };
    });
  }

  if (data.agencies.length) {
    draw("chart-agencies", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.agencies, inverse: true },
      series: stacks(Object.keys(stateColours), stateColours, data.labels, data.series)
    });
  }
  if (data.parts.length) {
    draw("chart-lights", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "category", data: data.parts, axisLabel: { interval: 0, width: 120, overflow: "truncate" } },
      yAxis: { type: "value", minInterval: 1 },
      series: stacks(Object.keys(lightColours), lightColours, data.light_labels, data.lights)
    });
  }
  if (data.periods.length) {
    draw("chart-trend", {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
      grid: { left: 8, right: 16, bottom: 8, top: 24, containLabel: true },
      xAxis: { type: "category", data: data.periods },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{
        name: data.trend_label, type: "line", data: data.trend, connectNulls: false, color: "#b71c1c",
        symbolSize: 8, label: { show: true, formatter: "{c}%" }
      }]
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
