/* reportgen site: draws the page's charts with vega-embed and makes the ranking table
   sortable and filterable. Data comes from the page's JSON block, never from markup. */
(function () {
  "use strict";

  const NARROW = 560;  // px: below this the plane drops its city names
  const pageData = JSON.parse(document.getElementById("page-data").textContent);
  const site = { data: pageData, views: {}, firstChartAt: null, ranking: null, startedAt: performance.now() };
  window.reportgen = site;

  function pointCount(spec) {
    const cities = spec.datasets && spec.datasets.cities;
    return cities ? cities.length : 0;
  }

  function drawCharts() {
    const pending = [];
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      const id = element.getAttribute("data-chart");
      let spec = pageData.charts[id];
      if (!spec) {
        return;
      }
      if (element.clientWidth < NARROW && spec.layer) {
        // City names are placed for a wide plane; on a phone they would pile up. The tooltip
        // and the ranking table name every city.
        spec = Object.assign({}, spec, {
          layer: spec.layer.filter(function (layer) { return !/^city-labels-/.test(layer.name || ""); }),
        });
      }
      const drawn = vegaEmbed(element, spec, {
        actions: false,
        // SVG is crisp and lets tests find the marks; past a few hundred points canvas
        // redraws a what-if several times faster.
        renderer: pointCount(spec) > 300 ? "canvas" : "svg",
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

  /* The cell of ``row`` in column ``key``; cells are looked up once per row, not per sort. */
  Ranking.prototype.cell = function (row, key) {
    return this.sortable(row).cells[key];
  };

  /* Per row, its cells by column and their sort values (numbers for numeric columns), read
     from the markup once; the what-if then updates the values here, not in attributes. */
  Ranking.prototype.sortable = function (row) {
    if (!row.sortable) {
      const cells = {};
      const values = {};
      Array.from(row.cells).forEach(function (cell) {
        const key = cell.getAttribute("data-key");
        const text = cell.getAttribute("data-sort");
        cells[key] = cell;
        values[key] = text === "" ? null : (cell.classList.contains("num") ? parseFloat(text) : text);
      });
      row.sortable = { cells: cells, values: values, order: +row.dataset.order };
    }
    return row.sortable;
  };

  Ranking.prototype.setValue = function (row, key, value) {
    this.sortable(row).values[key] = value;
  };

  Ranking.prototype.sort = function () {
    const self = this;
    const header = this.table.querySelector('thead th[data-key="' + this.key + '"]');
    const numeric = header.classList.contains("num");
    const direction = this.ascending ? 1 : -1;
    const keyed = Array.from(this.body.rows).map(function (row) {
      const sortable = self.sortable(row);
      return { row: row, value: sortable.values[self.key], order: sortable.order };
    });
    keyed.sort(function (a, b) {
      if (a.value === null || b.value === null) {
        // missing values last, whatever the direction
        return ((a.value === null) - (b.value === null)) || a.order - b.order;
      }
      const order = numeric ? a.value - b.value : a.value.localeCompare(b.value);
      return order * direction || a.order - b.order;
    });
    // Move only the rows that are out of place: a what-if often shifts a few cities.
    const body = this.body;
    let next = body.firstElementChild;
    keyed.forEach(function (item) {
      if (item.row === next) {
        next = next.nextElementSibling;
      } else {
        body.insertBefore(item.row, next);
      }
    });
    this.table.querySelectorAll("thead th[data-key]").forEach(function (th) {
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
