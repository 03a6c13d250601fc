(function () {
  "use strict";
  // Data comes from the JSON block; it reaches the page through textContent and DOM nodes only.
  var data = JSON.parse(document.getElementById("ecgraph-timeline").textContent);
  var kindIndex = {};
  data.kinds.forEach(function (k, i) { kindIndex[k] = i; });

  var dates = [];
  data.items.forEach(function (i) { if (i.start) { dates.push(i.start); } if (i.end) { dates.push(i.end); } });
  dates.sort();
  var first = dates.length ? dates[0] : "2019-01-01";
  var last = dates.length ? dates[dates.length - 1] : "2027-01-01";
  var openEnd = String(Number(last.slice(0, 4)) + 1) + last.slice(4);
  var today = new Date().toISOString().slice(0, 10);
  // open on the recent years (where most changes are); "Fit all" shows everything back to the first date
  var windowStart = String(Math.max(Number(first.slice(0, 4)), Number(last.slice(0, 4)) - 7)) + "-01-01";
  if (today > openEnd) { openEnd = today; }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function slug(text) { return String(text).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, ""); }

  var groups = new vis.DataSet(data.groups.map(function (g, n) {
    var c = el("span", "grp", g.label);
    c.title = g.label;
    return {id: g.id, content: c, kind: g.kind, label: g.label, order: n};
  }));
  var byId = {};
  var items = new vis.DataSet(data.items.map(function (i) {
    byId[i.id] = i;
    var cls = "k" + kindIndex[i.kind] + (i.end ? "" : " open") + (i.state ? " s-" + slug(i.state) : "");
    return {id: i.id, group: i.group, start: i.start || first, end: i.end ? i.end + "T23:59:59" : openEnd,
            type: "range", content: el("span", null, i.state || i.label), className: cls};
  }));

  var shown = {};
  data.kinds.forEach(function (k) { shown[k] = true; });
  var query = "";
  function matches(i) {
    if (!shown[i.kind]) { return false; }
    if (!query) { return true; }
    var hay = [i.label, i.state, i.subject_label, i.object_label, i.citations.join(" ")].join(" ").toLowerCase();
    return hay.indexOf(query) >= 0;
  }
  var itemView = new vis.DataView(items, {filter: function (it) { return matches(byId[it.id]); }});
  var visibleGroups = {};
  function recount() {
    visibleGroups = {};
    itemView.getIds().forEach(function (id) { visibleGroups[byId[id].group] = true; });
  }
  recount();
  var groupView = new vis.DataView(groups, {filter: function (g) { return !!visibleGroups[g.id]; }});

  var timeline = new vis.Timeline(document.getElementById("timeline"), itemView, groupView, {
    stack: true, orientation: "top", height: "100%", verticalScroll: true, zoomKey: "",
    margin: {item: {horizontal: 2, vertical: 4}}, groupHeightMode: "auto", showCurrentTime: false,
    min: String(Number(first.slice(0, 4)) - 1) + "-01-01", max: openEnd, start: windowStart, end: openEnd,
    groupOrder: "order",
    tooltip: {followMouse: false}, selectable: true, multiselect: false
  });
  timeline.addCustomTime(today, "today");
  window.ecgraphTimeline = {timeline: timeline, items: items, groups: groups, itemView: itemView, groupView: groupView};

  var found = document.getElementById("found");
  function refresh() {
    recount();
    groupView.refresh();  // rows first: an item whose row is not there yet would be dropped
    itemView.refresh();
    var n = itemView.length;
    found.textContent = query || data.kinds.some(function (k) { return !shown[k]; }) ? n + (n === 1 ? " fact" : " facts") : "";
  }
  Array.prototype.forEach.call(document.querySelectorAll("input[data-kind]"), function (box) {
    box.addEventListener("change", function () { shown[box.getAttribute("data-kind")] = box.checked; refresh(); });
  });
  document.getElementById("search").addEventListener("input", function (ev) {
    query = ev.target.value.trim().toLowerCase();
    refresh();
  });
  document.getElementById("fit").addEventListener("click", function () { timeline.fit({animation: false}); });
  document.getElementById("today").addEventListener("click", function () { timeline.moveTo(today, {animation: false}); });

  var details = document.getElementById("details");
  function row(dl, name, value) {
    if (!value) { return; }
    dl.appendChild(el("dt", null, name));
    var dd = el("dd");
    if (value.nodeType) { dd.appendChild(value); } else { dd.textContent = value; }
    dl.appendChild(dd);
  }
  timeline.on("select", function (props) {
    var i = byId[props.items[0]];
    details.textContent = "";
    if (!i) { return; }
    details.appendChild(el("p", "t", i.label));
    var dl = el("dl");
    row(dl, "kind", i.kind + (i.state ? ": " + i.state : ""));
    row(dl, "from", i.start || "(no start date)");
    row(dl, "until", i.end ? i.end + " (last day)" : "(no end date)");
    row(dl, "of", i.subject_label);
    row(dl, "to", i.object_label);
    row(dl, "citations", i.citations.join("; "));
    row(dl, "sources", i.sources.join("; "));
    row(dl, "IRI", i.id);
    if (/^[A-Za-z0-9._\/-]+\.html$/.test(i.view)) {
      var a = el("a", "view", "Open the graph view");
      a.href = i.view;
      row(dl, "graph", a);
    }
    details.appendChild(dl);
  });
  var marked = false;
  timeline.on("changed", function () {
    if (marked) { return; }
    marked = true;
    document.body.setAttribute("data-ready", "1");
  });
})();
