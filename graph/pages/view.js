(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ecgraph-data").textContent);
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var network = new vis.Network(document.getElementById("graph"), {nodes: nodes, edges: edges}, data.options);
  var physicsOn = !!data.options.physics.enabled;
  var state = {nodes: nodes, edges: edges, network: network, ready: false};
  window.ecgraph = state;
  var freeze = document.getElementById("freeze");
  function setPhysics(on) {
    physicsOn = on;
    network.setOptions({physics: {enabled: on}});
    freeze.textContent = on ? "Freeze layout" : "Run physics";
  }
  function ready() {
    if (state.ready) { return; }
    state.ready = true;
    document.body.setAttribute("data-ready", "1");
  }
  if (physicsOn) {
    network.once("stabilizationIterationsDone", function () { setPhysics(false); ready(); });
  } else {
    network.once("afterDrawing", ready);
  }
  freeze.addEventListener("click", function () { setPhysics(!physicsOn); });
  document.getElementById("fit").addEventListener("click", function () { network.fit(); });

  var found = document.getElementById("found");
  document.getElementById("search").addEventListener("input", function (ev) {
    var q = ev.target.value.trim().toLowerCase();
    if (!q) { network.unselectAll(); found.textContent = ""; return; }
    var ids = nodes.getIds({filter: function (n) {
      return !n.hidden && (String(n.label).toLowerCase().indexOf(q) >= 0 || String(n.id).toLowerCase().indexOf(q) >= 0);
    }});
    network.selectNodes(ids);
    found.textContent = ids.length + (ids.length === 1 ? " match" : " matches");
    if (ids.length) { network.fit({nodes: ids, animation: false}); }
  });

  Array.prototype.forEach.call(document.querySelectorAll("input[data-cls]"), function (box) {
    box.addEventListener("change", function () {
      var cls = box.getAttribute("data-cls");
      var ids = nodes.getIds({filter: function (n) { return n.cls === cls; }});
      nodes.update(ids.map(function (id) { return {id: id, hidden: !box.checked}; }));
    });
  });

  // Click to expand: the page carries the neighbours not drawn yet (data.pool, data.more); a click adds them.
  var pool = {};
  ((data.pool && data.pool.nodes) || []).forEach(function (n) { pool[n.id] = n; });
  var poolEdges = (data.pool && data.pool.edges) || [];
  var expanded = {};
  state.expanded = expanded;
  var counts = document.getElementById("counts");
  function hiddenClass(cls) {
    var box = document.querySelector('input[data-cls="' + cls + '"]');
    return !!box && !box.checked;
  }
  function expand(id) {
    expanded[id] = true;
    var ids = ((data.more || {})[id] || []).filter(function (m) { return pool[m] && nodes.get(m) === null; });
    if (ids.length) {
      // place each new node on the nearest free spot around the clicked one: rings of growing radius,
      // a spot is free when the new node's label box meets no box already drawn
      var at = network.getPositions([id])[id];
      var taken = nodes.getIds().map(function (n) { return network.getBoundingBox(n); });
      var add = ids.map(function (m) {
        var n = Object.assign({}, pool[m], {added: true});
        var text = String(n.label).length * 8;  // about 8 px a character; labels wrap at 170 px
        var w = Math.min(text, 170) + 24, h = 48 + 18 * Math.max(1, Math.ceil(text / 170));
        var spot = null;
        for (var r = 150; spot === null && r < 6000; r += 80) {
          var steps = Math.max(12, Math.round(2 * Math.PI * r / 60));
          for (var k = 0; k < steps; k++) {
            var a = 2 * Math.PI * k / steps - Math.PI / 2;
            var x = at.x + r * Math.cos(a), y = at.y + r * Math.sin(a);
            var box = {left: x - w / 2, right: x + w / 2, top: y - h / 2, bottom: y + h / 2};
            var free = taken.every(function (b) {
              return box.right < b.left || b.right < box.left || box.bottom < b.top || b.bottom < box.top;
            });
            if (free) { spot = [x, y]; taken.push(box); break; }
          }
        }
        spot = spot || [at.x, at.y];
        n.x = Math.round(spot[0]);
        n.y = Math.round(spot[1]);
        if (hiddenClass(n.cls)) { n.hidden = true; }
        return n;
      });
      nodes.add(add);
    }
    var fresh = poolEdges.filter(function (e) {
      return edges.get(e.id) === null && nodes.get(e.from) !== null && nodes.get(e.to) !== null;
    });
    edges.add(fresh);
    counts.textContent = nodes.length.toLocaleString("en-US") + " nodes, " + edges.length.toLocaleString("en-US") + " edges";
    return ids.length;
  }
  state.expand = expand;
  network.on("click", function (params) {
    if (params.nodes.length === 1 && !expanded[params.nodes[0]]) { expand(params.nodes[0]); }
  });

  var panel = document.getElementById("panel");
  if (panel) {
    data.panel.forEach(function (item) {
      var li = document.createElement("li");
      var t = document.createElement("div");
      t.className = "t";
      t.textContent = item.title;
      li.appendChild(t);
      item.lines.forEach(function (line) {
        var l = document.createElement("div");
        l.className = "l";
        l.textContent = line;
        li.appendChild(l);
      });
      li.addEventListener("click", function () {
        var ids = item.nodes.filter(function (id) { return nodes.get(id) !== null; });
        network.selectNodes(ids);
        if (ids.length) { network.fit({nodes: ids, animation: false}); }
      });
      panel.appendChild(li);
    });
  }
})();
