// Optional row filters for the suite grids; every page reads fine without JavaScript.
(function () {
  var form = document.querySelector("form.filters");
  var table = document.querySelector("table[data-filterable]");
  if (!form || !table) return;
  form.hidden = false;
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var text = form.querySelector("[data-filter=text]");
  var bad = form.querySelector("[data-filter=bad]");
  var unexpected = form.querySelector("[data-filter=unexpected]");
  var count = form.querySelector("[data-filter=count]");
  function apply() {
    var q = text.value.trim().toLowerCase(), shown = 0;
    rows.forEach(function (row) {
      var show = (!q || row.dataset.check.indexOf(q) !== -1) &&
        (!bad.checked || row.dataset.bad === "yes") &&
        (!unexpected.checked || row.dataset.unexpected === "yes");
      row.hidden = !show;
      if (show) shown++;
    });
    count.textContent = shown + " of " + rows.length + " checks shown";
  }
  form.addEventListener("input", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  apply();
})();
