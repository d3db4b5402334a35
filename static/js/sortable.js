/* Click a column head of a table.sortable to sort by it (numbers by value; data-sort wins). */
(function () {
  "use strict";
  function key(cell) {
    var raw = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim().replace("%", "");
    var number = parseFloat(raw);
    return isNaN(number) ? raw : number;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, column) {
      th.style.cursor = "pointer";
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var descending = th.dataset.order !== "desc";
        th.dataset.order = descending ? "desc" : "asc";
        Array.from(body.rows)
          .sort(function (a, b) {
            var x = key(a.cells[column]), y = key(b.cells[column]);
            var order = x < y ? -1 : x > y ? 1 : 0;
            return descending ? -order : order;
          })
          .forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
