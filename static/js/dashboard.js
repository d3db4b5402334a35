/* The plan dashboard's chart: reports by agency, stacked by state (ECharts, served from static/). */
(function () {
  "use strict";
  var holder = document.getElementById("chart-agencies");
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  if (!holder || !window.echarts || !data.agencies.length) { return; }
  var colours = { on_time: "#4caf50", late: "#f2c037", missing: "#d9534f", pending: "#9e9e9e" };
  var chart = window.echarts.init(holder, null, { renderer: "svg" });
  chart.setOption({
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: data.agencies, inverse: true },
    series: Object.keys(colours).map(function (state) {
      return { name: data.labels[state], type: "bar", stack: "reports", color: colours[state], data: data.series[state] };
    })
  });
  holder.dataset.rendered = "true";
  window.addEventListener("resize", function () { chart.resize(); });
})();
