/* reportgen site: draws the page's charts with vega-embed and makes the ranking table
   sortable and filterable. Data comes from the page's JSON block, never from markup. */
(function () {
  "use strict";

  const pageData = JSON.parse(document.getElementById("page-data").textContent);
  const site = { data: pageData, views: {}, firstChartAt: null, ranking: null };
  window.reportgen = site;

  function drawCharts() {
    const pending = [];
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      const id = element.getAttribute("data-chart");
      const spec = pageData.charts[id];
      if (!spec) {
        return;
      }
      const drawn = vegaEmbed(element, spec, {
        actions: false,
        renderer: "svg",
        // vega-embed and vega-tooltip inject <style> elements by default; the CSP allows
        // the site's stylesheet only, which carries their rules instead.
        defaultStyle: false,
        tooltip: { disableDefaultStyle: true },
      }).then(function (result) {
        site.views[id] = result.view;
        element.classList.add("drawn");
        if (site.firstChartAt === null) {
          site.firstChartAt = performance.now();
        }
        return result.view;
      });
      pending.push(drawn);
    });
    return Promise.all(pending);
  }

  /* Ranking table: every column sorts (click or Enter/Space on its header button). */
  function Ranking(table) {
    this.table = table;
    this.body = table.tBodies[0];
    this.key = "rank";
    this.ascending = true;
    const self = this;
    table.querySelectorAll("thead button[data-sort]").forEach(function (button) {
      button.addEventListener("click", function () {
        const key = button.getAttribute("data-sort");
        const numeric = button.parentElement.classList.contains("num");
        // Scores read best-first (descending); ranks, names and intervals ascending.
        const firstDirection = !(numeric && /-score$/.test(key));
        self.ascending = key === self.key ? !self.ascending : firstDirection;
        self.key = key;
        self.sort();
      });
    });
  }

  Ranking.prototype.value = function (row) {
    const cell = row.querySelector('[data-key="' + this.key + '"]');
    return cell ? cell.getAttribute("data-sort") : "";
  };

  Ranking.prototype.sort = function () {
    const self = this;
    const header = this.table.querySelector('thead th[data-key="' + this.key + '"]');
    const numeric = header.classList.contains("num");
    const rows = Array.from(this.body.rows);
    const direction = this.ascending ? 1 : -1;
    rows.sort(function (a, b) {
      const x = self.value(a);
      const y = self.value(b);
      if (x === "" || y === "") {
        return (x === "") - (y === "");  // missing values last, whatever the direction
      }
      const order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return order * direction || a.dataset.order - b.dataset.order;
    });
    rows.forEach(function (row) { self.body.appendChild(row); });
    this.table.querySelectorAll("thead th").forEach(function (th) {
      th.setAttribute("aria-sort", th === header ? (self.ascending ? "ascending" : "descending") : "none");
    });
  };

  function setUpRanking() {
    const table = document.getElementById("ranking");
    if (!table) {
      return;
    }
    Array.from(table.tBodies[0].rows).forEach(function (row, i) { row.dataset.order = i; });
    site.ranking = new Ranking(table);
    const region = document.getElementById("filter-region");
    const stage = document.getElementById("filter-stage");
    const status = document.getElementById("filter-status");
    function filter() {
      let shown = 0;
      const rows = table.tBodies[0].rows;
      Array.from(rows).forEach(function (row) {
        const visible = (!region.value || row.dataset.region === region.value) &&
          (!stage.value || row.dataset.stage === stage.value);
        row.hidden = !visible;
        shown += visible ? 1 : 0;
      });
      status.textContent = shown === rows.length ? "" : "Showing " + shown + " of " + rows.length + " cities.";
    }
    region.addEventListener("change", filter);
    stage.addEventListener("change", filter);
  }

  setUpRanking();
  site.ready = drawCharts();
})();
