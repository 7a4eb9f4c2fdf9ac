/* What-if weights: recompute pillar, dimension and overall scores and ranks in the browser.
   The arithmetic repeats the engine's aggregation (reportgen/index/steps.py,
   aggregate_level_kernel): per level, a parent is the weighted mean of its available
   children; missing children are dropped with their weights; zero-weight children take no
   part; with dat_thresh, a parent with too small a share of children is missing. */
(function () {
  "use strict";

  const site = window.reportgen;
  const model = site.data.whatif;
  if (!model) {
    return;
  }
  const n = model.units.length;
  const axes = model.axes;  // the edition's codes: index, x, y, and the table's columns

  // Indicator columns as typed arrays, missing values as NaN.
  const base = {};
  model.indicators.forEach(function (code, j) {
    const column = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = model.values[i][j];
      column[i] = v === null ? NaN : v;
    }
    base[code] = column;
  });

  /* One parent from its members: {code, values} of the children whose weight is not 0. */
  function aggregate(members, weights) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let total = 0;
      let weightSum = 0;
      let available = 0;
      let invalid = false;
      for (let k = 0; k < members.length; k++) {
        const x = members[k].values[i];
        if (Number.isNaN(x)) {
          continue;
        }
        const w = weights[members[k].code];
        available += 1;
        weightSum += w;
        if (model.method === "geometric") {
          if (x <= 0) { invalid = true; }
          total += Math.log(x) * w;
        } else if (model.method === "harmonic") {
          if (x === 0) { invalid = true; }
          total += w / x;
        } else {
          total += x * w;
        }
      }
      let value;
      if (invalid || weightSum <= 0) {
        value = NaN;
      } else if (model.method === "geometric") {
        value = Math.exp(total / weightSum);
      } else if (model.method === "harmonic") {
        value = weightSum / total;
      } else {
        value = total / weightSum;
      }
      if (model.datThresh !== null && available / members.length < model.datThresh) {
        value = NaN;
      }
      out[i] = value;
    }
    return out;
  }

  /* Competition ranks, 1 = highest, ties at their minimum rank; missing scores: null. */
  function rank(values) {
    const order = [];
    for (let i = 0; i < n; i++) {
      if (!Number.isNaN(values[i])) { order.push(i); }
    }
    order.sort(function (a, b) { return values[b] - values[a]; });
    const ranks = new Array(n).fill(null);
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      ranks[i] = k > 0 && values[i] === values[order[k - 1]] ? ranks[order[k - 1]] : k + 1;
    }
    return ranks;
  }

  /* Scores and ranks of every aggregate under ``weights`` (code -> weight; others: edition). */
  function compute(overrides) {
    const weights = Object.assign({}, model.weights, overrides || {});
    const scores = Object.assign({}, base);
    model.levels.forEach(function (level) {
      level.parents.forEach(function (parent) {
        const members = parent.children.filter(function (code) {
          return weights[code] !== 0;
        }).map(function (code) {
          return { code: code, values: scores[code] };
        });
        scores[parent.code] = aggregate(members, weights);
      });
    });
    const result = { units: model.units, scores: {}, ranks: {} };
    model.levels.forEach(function (level) {
      level.parents.forEach(function (parent) {
        result.scores[parent.code] = Array.from(scores[parent.code], function (v) {
          return Number.isNaN(v) ? null : v;
        });
        result.ranks[parent.code] = rank(scores[parent.code]);
      });
    });
    return result;
  }

  // ---- the panel ----------------------------------------------------------------------

  const sliders = Array.from(document.querySelectorAll(".whatif input[type=range]"));
  const status = document.getElementById("whatif-status");
  const table = document.getElementById("ranking");
  const rowsByCity = {};
  Array.from(table.tBodies[0].rows).forEach(function (row) { rowsByCity[row.dataset.city] = row; });
  const publishedText = new WeakMap();  // cell -> its text under the published weights
  const published = {};
  sliders.forEach(function (s) { published[s.dataset.code] = model.weights[s.dataset.code]; });
  let current = {};

  function format(value, decimals) {
    return value === null ? "–" : value.toFixed(decimals);
  }

  function setCell(row, key, text, value) {
    const cell = site.ranking.cell(row, key);
    if (!cell) { return; }
    site.ranking.setValue(row, key, value);
    // Only cells whose text changes are touched, and their text node only.
    const node = cell.firstChild;
    if (node.nodeValue !== text) {
      if (!publishedText.has(cell)) { publishedText.set(cell, node.nodeValue); }
      node.nodeValue = text;
      const changed = text !== publishedText.get(cell);
      if (cell.classList.contains("changed") !== changed) {
        cell.classList.toggle("changed", changed);
      }
    }
  }

  function readHash() {
    const match = /(?:^#|&)w=([^&]*)/.exec(location.hash);
    const weights = {};
    if (!match) { return weights; }
    decodeURIComponent(match[1]).split(",").forEach(function (pair) {
      const parts = pair.split(":");
      const value = Number(parts[1]);
      if (parts.length === 2 && parts[0] in published && Number.isFinite(value) && value >= 0) {
        weights[parts[0]] = value;
      }
    });
    return weights;
  }

  function writeHash(weights) {
    const pairs = Object.keys(weights).filter(function (code) {
      return weights[code] !== published[code];
    }).map(function (code) { return code + ":" + weights[code]; });
    const hash = pairs.length ? "#w=" + pairs.join(",") : "";
    history.replaceState(null, "", location.pathname + location.search + hash);
  }

  /* Recompute, update the table (synchronous, timed) and redraw the plane (asynchronous). */
  function apply(weights) {
    const started = performance.now();
    const result = compute(weights);
    const computed = performance.now();
    const changed = Object.keys(weights).some(function (c) { return weights[c] !== published[c]; });
    for (let i = 0; i < n; i++) {
      const row = rowsByCity[result.units[i]];
      if (!row) { continue; }
      axes.columns.forEach(function (code) {
        const score = result.scores[code][i];
        setCell(row, code + "-score", format(score, 1), score);
        const r = result.ranks[code][i];
        setCell(row, code === axes.index ? "rank" : code + "-rank", r === null ? "–" : String(r), r);
      });
    }
    if (site.ranking) { site.ranking.sort(); }
    document.body.classList.toggle("whatif-active", changed);
    status.textContent = changed ? "Scores and ranks under your weights (not the published index)." : "Published weights.";
    site.whatif.lastMillis = performance.now() - started;
    site.whatif.computeMillis = computed - started;
    site.whatif.last = result;
    current = weights;
    site.whatif.drawn = updatePlane(result);
    return result;
  }

  /* A point's accessible name, worded as in reportgen/web/charts.py (point_description). */
  function describe(row) {
    return row.name + ": " + axes.x + " " + format(row.x, 1) + ", " + axes.y + " " +
      format(row.y, 1) + ", " + row.stage + ", " + axes.index + " rank " +
      (row.rank === null ? "–" : row.rank);
  }

  /* Move the points. The new rows copy string keys only: Vega marks each row it ingests with
     an id symbol, which Object.assign would copy too, and Vega would then take the new rows
     for the old ones and keep drawing those. */
  function updatePlane(result) {
    const view = site.views.plane;
    if (!view) { return Promise.resolve(null); }
    const position = {};
    result.units.forEach(function (unit, i) { position[unit] = i; });
    const rows = view.data("cities").map(function (datum) {
      const row = {};
      Object.keys(datum).forEach(function (key) { row[key] = datum[key]; });
      const i = position[datum.city_id];
      row.x = result.scores[axes.x][i];
      row.y = result.scores[axes.y][i];
      row.rank = result.ranks[axes.index][i];
      row.description = describe(row);
      return row;
    });
    return view.data("cities", rows).runAsync();
  }

  function showWeights(weights) {
    sliders.forEach(function (s) {
      const w = s.dataset.code in weights ? weights[s.dataset.code] : published[s.dataset.code];
      s.value = String(w);
      document.getElementById(s.id + "-value").textContent = String(Math.round(w * 100) / 100);
    });
  }

  sliders.forEach(function (s) {
    s.addEventListener("input", function () {
      // Other weights keep their exact values (a shared URL may hold more decimals).
      const weights = Object.assign({}, current);
      weights[s.dataset.code] = Number(s.value);
      showWeights(weights);
      apply(weights);
      writeHash(weights);
    });
  });
  document.getElementById("whatif-reset").addEventListener("click", function () {
    const weights = Object.assign({}, published);
    showWeights(weights);
    apply(weights);
    writeHash(weights);
  });

  // For tests and benchmarks: the last result, its time, and the plane's redraw (a promise).
  site.whatif = {
    compute: compute, apply: apply, last: null, lastMillis: null, computeMillis: null, drawn: null,
  };
  const initial = Object.assign({}, published, readHash());
  showWeights(initial);
  current = initial;
  site.ready.then(function () { apply(initial); });
  window.addEventListener("hashchange", function () {
    const weights = Object.assign({}, published, readHash());
    showWeights(weights);
    apply(weights);
  });
})();
