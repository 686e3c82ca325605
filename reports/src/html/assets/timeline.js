// faultline report timeline: one lane per client process, one bar per
// operation from invocation to completion, coloured by outcome, with the
// nemesis's fault periods as bands behind. Drawn on a canvas; only the lanes
// in view are drawn, so 10,000+ operations stay responsive.
(function () {
  'use strict';
  var root = document.getElementById('timeline');
  var data = JSON.parse(document.getElementById('fl-data').textContent);
  var ops = data.ops;
  var ID = 0, PROC = 1, F = 2, KEY = 3, OUT = 4, CALL = 5, RET = 6, IN = 7, OUTV = 8;
  var OUTCOMES = ['ok', 'fail', 'info'];
  var LANE_H = 16, BAR_H = 10, GUTTER = 70, AXIS_H = 24, KIND_H = 16, RIGHT = 10;
  var kinds = data.faultKinds;
  var HEADER_H = AXIS_H + Math.max(1, kinds.length) * KIND_H + 6;

  var t0 = data.t0, t1 = data.t1;
  if (!(t1 > t0)) { t1 = t0 + 1e9; }

  // Lanes: processes in numeric order; each lane's ops in invocation order.
  var procs = [];
  var seen = {};
  ops.forEach(function (op) { if (!seen[op[PROC]]) { seen[op[PROC]] = true; procs.push(op[PROC]); } });
  procs.sort(function (a, b) { return a - b; });
  var laneOf = {};
  procs.forEach(function (p, i) { laneOf[p] = i; });
  var lanes = procs.map(function () { return []; });
  var indexOfId = {};
  ops.forEach(function (op, i) { lanes[laneOf[op[PROC]]].push(i); indexOfId[op[ID]] = i; });
  lanes.forEach(function (lane) { lane.sort(function (a, b) { return ops[a][CALL] - ops[b][CALL]; }); });

  var failing = {}, concurrent = {}, prefixStep = {};
  data.failures.forEach(function (f) {
    failing[f.op] = true;
    f.concurrent.forEach(function (id) { concurrent[id] = true; });
    f.prefix.forEach(function (id, step) { prefixStep[id] = step + 1; });
  });

  var scroll = document.getElementById('tl-scroll');
  var canvas = document.getElementById('tl-canvas');
  var spacer = document.getElementById('tl-spacer');
  var tip = document.getElementById('tl-tip');
  var ctx = canvas.getContext('2d');
  var overview = document.getElementById('tl-overview');
  var octx = overview.getContext('2d');
  var OVERVIEW_H = 40;
  var contentH = HEADER_H + lanes.length * LANE_H + 8;
  var viewH = Math.min(contentH, 640);
  scroll.style.height = viewH + 'px';
  spacer.style.height = Math.max(0, contentH - viewH) + 'px';

  var view = { a: t0, b: t1 };
  var keyFilter = -1;
  var selected = null;
  var W = 800;
  var drawn = 0;

  function xOf(t) { return GUTTER + (t - view.a) / (view.b - view.a) * (W - GUTTER - RIGHT); }
  function tAt(px) { return view.a + (px - GUTTER) / (W - GUTTER - RIGHT) * (view.b - view.a); }
  function endOf(op) { return op[RET] === null ? t1 : op[RET]; }
  function secs(ns) { return (ns / 1e9).toFixed(3) + ' s'; }
  function faultEnd(f) { return f[2] === null ? t1 : f[2]; }

  function niceStep(raw) {
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) { if (steps[i] * mag >= raw) { return steps[i] * mag; } }
    return 10 * mag;
  }

  function drawAxis() {
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, HEADER_H);
    var span = view.b - view.a;
    var step = niceStep(span / Math.max(1, (W - GUTTER) / 110));
    var digits = Math.max(0, Math.min(6, -Math.floor(Math.log10(step / 1e9))));
    ctx.strokeStyle = '#c4c9d2';
    ctx.fillStyle = '#374151';
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'center';
    for (var t = Math.ceil(view.a / step) * step; t <= view.b; t += step) {
      var x = xOf(t);
      if (x < GUTTER) { continue; }
      ctx.beginPath(); ctx.moveTo(x + 0.5, AXIS_H - 6); ctx.lineTo(x + 0.5, AXIS_H); ctx.stroke();
      ctx.fillText((t / 1e9).toFixed(digits) + ' s', x, AXIS_H / 2 - 1);
    }
    ctx.beginPath(); ctx.moveTo(GUTTER, AXIS_H + 0.5); ctx.lineTo(W, AXIS_H + 0.5); ctx.stroke();
    // The nemesis strip: one row per fault kind.
    ctx.textAlign = 'left';
    kinds.forEach(function (k, row) {
      var y = AXIS_H + 3 + row * KIND_H;
      ctx.fillStyle = '#374151';
      ctx.fillText(k[0].slice(0, 10), 4, y + KIND_H / 2);
    });
    if (!kinds.length) {
      ctx.fillStyle = '#9ca3af';
      ctx.fillText('no faults', 4, AXIS_H + 3 + KIND_H / 2);
    }
    ctx.save();
    ctx.beginPath(); ctx.rect(GUTTER, AXIS_H, W - GUTTER, HEADER_H - AXIS_H); ctx.clip();
    data.faults.forEach(function (f) {
      var xa = xOf(f[1]), xb = Math.max(xOf(faultEnd(f)), xa + 3);
      if (xb < GUTTER || xa > W) { return; }
      var y = AXIS_H + 3 + f[0] * KIND_H;
      ctx.fillStyle = kinds[f[0]][1];
      ctx.fillRect(xa, y + 1, xb - xa, KIND_H - 3);
      if (xb - xa > 40) {
        ctx.fillStyle = '#1d2330';
        var label = kinds[f[0]][0] + (f[3] ? ' ' + f[3] : '');
        ctx.fillText(label, Math.max(xa, GUTTER) + 3, y + KIND_H / 2, Math.max(10, xb - Math.max(xa, GUTTER) - 6));
      }
    });
    ctx.restore();
    ctx.strokeStyle = '#e3e6eb';
    ctx.beginPath(); ctx.moveTo(0, HEADER_H - 0.5); ctx.lineTo(W, HEADER_H - 0.5); ctx.stroke();
  }

  function laneY(lane, top) { return HEADER_H + lane * LANE_H - top; }

  function barRect(op, y) {
    var xa = xOf(op[CALL]), xb = xOf(endOf(op));
    return [xa, y + (LANE_H - BAR_H) / 2, Math.max(2, xb - xa), BAR_H];
  }

  function draw() {
    var top = scroll.scrollTop;
    ctx.clearRect(0, 0, W, viewH);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, viewH);
    var first = Math.max(0, Math.floor(top / LANE_H));
    var last = Math.min(lanes.length - 1, Math.ceil((top + viewH - HEADER_H) / LANE_H));
    ctx.save();
    ctx.beginPath(); ctx.rect(0, HEADER_H, W, viewH - HEADER_H); ctx.clip();
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    for (var l = first; l <= last; l++) {
      var y = laneY(l, top);
      if (l % 2 === 1) { ctx.fillStyle = '#f7f8fa'; ctx.fillRect(0, y, W, LANE_H); }
      ctx.fillStyle = '#6b7280';
      ctx.fillText('p' + procs[l], 6, y + LANE_H / 2);
    }
    // Fault bands behind the bars.
    ctx.beginPath(); ctx.rect(GUTTER, HEADER_H, W - GUTTER, viewH - HEADER_H); ctx.clip();
    ctx.globalAlpha = 0.35;
    data.faults.forEach(function (f) {
      var xa = xOf(f[1]), xb = Math.max(xOf(faultEnd(f)), xa + 2);
      if (xb < GUTTER || xa > W) { return; }
      ctx.fillStyle = kinds[f[0]][1];
      ctx.fillRect(xa, HEADER_H, xb - xa, viewH - HEADER_H);
    });
    ctx.globalAlpha = 1;
    // The failing ops' intervals as a column across every lane.
    data.failures.forEach(function (f) {
      var i = indexOfId[f.op];
      if (i === undefined) { return; }
      var op = ops[i];
      var xa = xOf(op[CALL]), xb = Math.max(xOf(endOf(op)), xa + 2);
      ctx.fillStyle = 'rgba(198,40,40,0.07)';
      ctx.fillRect(xa, HEADER_H, xb - xa, viewH - HEADER_H);
      ctx.strokeStyle = 'rgba(198,40,40,0.6)';
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(xa + 0.5, HEADER_H); ctx.lineTo(xa + 0.5, viewH);
      ctx.moveTo(xb - 0.5, HEADER_H); ctx.lineTo(xb - 0.5, viewH);
      ctx.stroke();
      ctx.setLineDash([]);
    });
    drawn = 0;
    var late = [];
    for (l = first; l <= last; l++) {
      y = laneY(l, top);
      var lane = lanes[l];
      for (var j = 0; j < lane.length; j++) {
        var op = ops[lane[j]];
        var r = barRect(op, y);
        if (r[0] + r[2] < GUTTER || r[0] > W) { continue; }
        if (failing[op[ID]] || op[ID] === selected) { late.push([op, r]); continue; }
        ctx.globalAlpha = (keyFilter >= 0 && op[KEY] !== keyFilter) ? 0.15 : (op[RET] === null ? 0.55 : 1);
        ctx.fillStyle = data.outcomeColours[op[OUT]];
        // A one-pixel gap keeps back-to-back ops of a process apart.
        ctx.fillRect(r[0], r[1], r[2] > 4 ? r[2] - 1 : r[2], r[3]);
        var step = prefixStep[op[ID]];
        if (step !== undefined) {
          ctx.globalAlpha = 1;
          ctx.strokeStyle = '#1f5fbf';
          ctx.strokeRect(r[0] + 0.5, r[1] + 0.5, Math.max(1, r[2] - 2), r[3] - 1);
          if (r[2] > 18) {
            ctx.fillStyle = '#0b3d91';
            ctx.font = 'bold 9px system-ui, sans-serif';
            ctx.fillText(String(step), Math.max(r[0], GUTTER) + 3, r[1] + r[3] / 2);
            ctx.font = '11px system-ui, sans-serif';
          }
        }
        if (concurrent[op[ID]]) {
          ctx.globalAlpha = 1;
          ctx.strokeStyle = '#6a1b9a';
          ctx.lineWidth = 2;
          ctx.strokeRect(r[0], r[1], r[2], r[3]);
          ctx.lineWidth = 1;
        }
        drawn++;
      }
    }
    ctx.globalAlpha = 1;
    late.forEach(function (item) {
      var op = item[0], r = item[1];
      var isFailing = failing[op[ID]];
      ctx.fillStyle = isFailing ? '#b71c1c' : data.outcomeColours[op[OUT]];
      ctx.fillRect(r[0], r[1] - 1, Math.max(r[2], 4), r[3] + 2);
      ctx.strokeStyle = isFailing ? '#000' : '#1f5fbf';
      ctx.lineWidth = 2;
      ctx.strokeRect(r[0], r[1] - 1, Math.max(r[2], 4), r[3] + 2);
      ctx.lineWidth = 1;
      drawn++;
      if (isFailing) { calloutLabel('\u2717 #' + op[ID] + ' ' + fName(op) + ' cannot be linearized', r[0] + Math.max(r[2], 4) + 6, r[1] + r[3] / 2); }
    });
    ctx.restore();
    drawAxis();
    // Failing ops outside the visible lanes still get a marker in the header.
    data.failures.forEach(function (f) {
      var i = indexOfId[f.op];
      if (i === undefined) { return; }
      var op = ops[i];
      var x = xOf(op[CALL]);
      if (x < GUTTER || x > W) { return; }
      ctx.fillStyle = '#b71c1c';
      ctx.beginPath(); ctx.moveTo(x - 6, HEADER_H - 10); ctx.lineTo(x + 6, HEADER_H - 10); ctx.lineTo(x, HEADER_H - 1); ctx.closePath(); ctx.fill();
    });
    root.setAttribute('data-drawn-bars', String(drawn));
    drawOverview();
  }

  // The whole run at a glance: ops per pixel column, fault bands, the
  // failing ops, and the part the timeline below shows.
  var density = null;
  function oxOf(t) { return GUTTER + (t - t0) / (t1 - t0) * (W - GUTTER - RIGHT); }
  function drawOverview() {
    var cols = Math.max(1, Math.round(W - GUTTER - RIGHT));
    if (!density || density.length !== cols) {
      density = new Array(cols).fill(0);
      ops.forEach(function (op) {
        var c = Math.floor((op[CALL] - t0) / (t1 - t0) * (cols - 1));
        if (c >= 0 && c < cols) { density[c] += 1; }
      });
      density.max = Math.max.apply(null, density.concat([1]));
    }
    octx.clearRect(0, 0, W, OVERVIEW_H);
    octx.fillStyle = '#fafbfc';
    octx.fillRect(0, 0, W, OVERVIEW_H);
    octx.fillStyle = '#6b7280';
    octx.font = '11px system-ui, sans-serif';
    octx.textBaseline = 'middle';
    octx.fillText('whole run', 4, OVERVIEW_H / 2);
    octx.globalAlpha = 0.6;
    data.faults.forEach(function (f) {
      var xa = oxOf(f[1]), xb = Math.max(oxOf(faultEnd(f)), xa + 2);
      octx.fillStyle = kinds[f[0]][1];
      octx.fillRect(xa, 0, xb - xa, OVERVIEW_H);
    });
    octx.globalAlpha = 1;
    octx.fillStyle = '#9ca3af';
    for (var c = 0; c < density.length; c++) {
      if (density[c]) {
        var h = Math.max(1, density[c] / density.max * (OVERVIEW_H - 8));
        octx.fillRect(GUTTER + c, OVERVIEW_H - h, 1, h);
      }
    }
    data.failures.forEach(function (f) {
      var i = indexOfId[f.op];
      if (i === undefined) { return; }
      var x = oxOf(ops[i][CALL]);
      octx.fillStyle = '#b71c1c';
      octx.fillRect(x - 1, 0, 3, OVERVIEW_H);
      octx.beginPath(); octx.moveTo(x - 6, 0); octx.lineTo(x + 6, 0); octx.lineTo(x, 9); octx.closePath(); octx.fill();
    });
    var va = Math.max(GUTTER, oxOf(view.a)), vb = Math.min(W - RIGHT, oxOf(view.b));
    octx.strokeStyle = '#1f5fbf';
    octx.lineWidth = 2;
    octx.strokeRect(va, 1, Math.max(3, vb - va), OVERVIEW_H - 2);
    octx.fillStyle = 'rgba(31,95,191,0.10)';
    octx.fillRect(va, 1, Math.max(3, vb - va), OVERVIEW_H - 2);
    octx.lineWidth = 1;
  }

  function fName(op) { return data.fs[op[F]] ? data.fs[op[F]][0] : '?'; }

  function calloutLabel(text, x, y) {
    ctx.font = 'bold 12px system-ui, sans-serif';
    var w = ctx.measureText(text).width + 10;
    if (x + w > W) { x = Math.max(GUTTER, x - w - 20); }
    ctx.fillStyle = '#b71c1c';
    ctx.fillRect(x, y - 9, w, 18);
    ctx.fillStyle = '#fff';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, x + 5, y);
    ctx.font = '11px system-ui, sans-serif';
  }

  var pending = false;
  function redraw() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; draw(); });
  }

  function resize() {
    var dpr = window.devicePixelRatio || 1;
    W = Math.max(300, scroll.clientWidth);
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(viewH * dpr);
    canvas.style.height = viewH + 'px';
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    overview.style.width = (W + 2) + 'px';
    overview.width = Math.round(W * dpr);
    overview.height = Math.round(OVERVIEW_H * dpr);
    overview.style.height = OVERVIEW_H + 'px';
    octx.setTransform(dpr, 0, 0, dpr, 0, 0);
    draw();
  }

  function setView(a, b) {
    var full = t1 - t0;
    var span = Math.max(1000, Math.min(b - a, full * 1.2));
    var mid = (a + b) / 2;
    mid = Math.min(Math.max(mid, t0), t1);
    view.a = mid - span / 2;
    view.b = mid + span / 2;
    redraw();
  }

  function zoom(factor, atT) {
    var a = atT - (atT - view.a) * factor, b = atT + (view.b - atT) * factor;
    setView(a, b);
  }

  function focusOps(ids, lane) {
    var lo = Infinity, hi = -Infinity;
    ids.forEach(function (id) {
      var i = indexOfId[id];
      if (i === undefined) { return; }
      lo = Math.min(lo, ops[i][CALL]);
      hi = Math.max(hi, ops[i][RET] === null ? ops[i][CALL] : ops[i][RET]);
    });
    if (lo === Infinity) { return; }
    var pad = Math.max((hi - lo) * 0.25, 2e6);
    setView(lo - pad, hi + pad);
    if (lane !== undefined) {
      scroll.scrollTop = Math.max(0, lane * LANE_H - (viewH - HEADER_H) / 2);
    }
  }

  function goToFailure(n) {
    var f = data.failures[n];
    if (!f) { return; }
    var i = indexOfId[f.op];
    if (i === undefined) { return; }
    keyFilter = f.key === null ? -1 : data.keys.indexOf(f.key);
    keySelect.value = String(keyFilter);
    focusOps([f.op].concat(f.concurrent), laneOf[ops[i][PROC]]);
  }

  function goToOp(id) {
    var i = indexOfId[id];
    if (i === undefined) { return; }
    selected = failing[id] ? null : id;
    focusOps([id], laneOf[ops[i][PROC]]);
    root.scrollIntoView({ behavior: 'auto', block: 'start' });
  }

  // Toolbar.
  var keySelect = document.getElementById('tl-key');
  var keyAll = document.createElement('option');
  keyAll.value = '-1';
  keyAll.textContent = 'all keys';
  keySelect.appendChild(keyAll);
  data.keys.slice(0, 5000).forEach(function (k, i) {
    var o = document.createElement('option');
    o.value = String(i);
    o.textContent = k;
    keySelect.appendChild(o);
  });
  keySelect.addEventListener('change', function () { keyFilter = parseInt(keySelect.value, 10); redraw(); });
  document.getElementById('tl-in').addEventListener('click', function () { zoom(0.5, (view.a + view.b) / 2); });
  document.getElementById('tl-out').addEventListener('click', function () { zoom(2, (view.a + view.b) / 2); });
  document.getElementById('tl-fit').addEventListener('click', function () { setView(t0, t1); });
  var failBtn = document.getElementById('tl-fail');
  var failureShown = 0;
  function labelFailButton() {
    failBtn.textContent = data.failures.length > 1
      ? 'show failing op ' + (failureShown + 1) + '/' + data.failures.length
      : 'show failing op';
  }
  if (data.failures.length) {
    labelFailButton();
    // Each click shows the next failing key's op.
    failBtn.addEventListener('click', function () {
      goToFailure(failureShown);
      failureShown = (failureShown + 1) % data.failures.length;
      labelFailButton();
    });
  } else {
    failBtn.style.display = 'none';
  }
  document.addEventListener('click', function (e) {
    var a = e.target.closest ? e.target.closest('.oplink') : null;
    if (a) { e.preventDefault(); goToOp(parseInt(a.getAttribute('data-op'), 10)); }
  });

  // Legend.
  var legend = document.getElementById('tl-legend');
  function swatch(colour, text, border) {
    var s = document.createElement('span');
    var b = document.createElement('span');
    b.className = 'sw';
    b.style.background = colour;
    if (border) { b.style.border = border; }
    s.appendChild(b);
    s.appendChild(document.createTextNode(text));
    legend.appendChild(s);
  }
  OUTCOMES.forEach(function (o, i) { swatch(data.outcomeColours[i], o); });
  if (data.failures.length) {
    swatch('#b71c1c', 'cannot be linearized', '2px solid #000');
    swatch('#fff', 'concurrent with it', '2px solid #6a1b9a');
  }
  kinds.forEach(function (k) { swatch(k[1], 'fault: ' + k[0]); });

  // Mouse: drag pans, Ctrl/Alt+wheel or double click zooms, hover explains.
  var drag = null;
  canvas.addEventListener('mousedown', function (e) {
    drag = { x: e.clientX, a: view.a, b: view.b };
    canvas.classList.add('dragging');
  });
  window.addEventListener('mouseup', function () { drag = null; canvas.classList.remove('dragging'); });
  window.addEventListener('mousemove', function (e) {
    if (!drag) { return; }
    var dt = (e.clientX - drag.x) / (W - GUTTER - RIGHT) * (drag.b - drag.a);
    setView(drag.a - dt, drag.b - dt);
  });
  canvas.addEventListener('wheel', function (e) {
    var rect = canvas.getBoundingClientRect();
    var px = e.clientX - rect.left;
    if (e.ctrlKey || e.metaKey || e.altKey) {
      e.preventDefault();
      zoom(Math.exp(e.deltaY * 0.002), tAt(Math.max(GUTTER, px)));
    } else if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      e.preventDefault();
      var dt = e.deltaX / (W - GUTTER - RIGHT) * (view.b - view.a);
      setView(view.a + dt, view.b + dt);
    }
  }, { passive: false });
  canvas.addEventListener('dblclick', function (e) {
    var rect = canvas.getBoundingClientRect();
    zoom(e.shiftKey ? 2 : 0.5, tAt(Math.max(GUTTER, e.clientX - rect.left)));
  });
  scroll.addEventListener('scroll', redraw);
  // Keys while the pointer is over the timeline: + / - zoom, 0 fits,
  // arrows pan.
  var pointerIn = false;
  root.addEventListener('mouseenter', function () { pointerIn = true; });
  root.addEventListener('mouseleave', function () { pointerIn = false; });
  document.addEventListener('keydown', function (e) {
    if (!pointerIn || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var mid = (view.a + view.b) / 2, span = view.b - view.a;
    if (e.key === '+' || e.key === '=') { zoom(0.5, mid); } else if (e.key === '-') { zoom(2, mid); } else if (e.key === '0') { setView(t0, t1); } else if (e.key === 'ArrowLeft') { setView(view.a - span / 4, view.b - span / 4); } else if (e.key === 'ArrowRight') { setView(view.a + span / 4, view.b + span / 4); } else { return; }
    e.preventDefault();
  });
  var overviewDrag = false;
  function centreOn(e) {
    var rect = overview.getBoundingClientRect();
    var t = t0 + (e.clientX - rect.left - GUTTER) / (W - GUTTER - RIGHT) * (t1 - t0);
    var half = (view.b - view.a) / 2;
    setView(t - half, t + half);
  }
  overview.addEventListener('mousedown', function (e) { overviewDrag = true; centreOn(e); });
  window.addEventListener('mouseup', function () { overviewDrag = false; });
  overview.addEventListener('mousemove', function (e) { if (overviewDrag) { centreOn(e); } });
  window.addEventListener('resize', resize);

  function hit(px, py) {
    if (py < AXIS_H) { return null; }
    if (py < HEADER_H) {
      var row = Math.floor((py - AXIS_H - 3) / KIND_H);
      for (var k = data.faults.length - 1; k >= 0; k--) {
        var f = data.faults[k];
        if (f[0] === row && px >= xOf(f[1]) - 2 && px <= Math.max(xOf(faultEnd(f)), xOf(f[1]) + 3) + 2) {
          return { fault: f };
        }
      }
      return null;
    }
    var lane = Math.floor((py - HEADER_H + scroll.scrollTop) / LANE_H);
    if (lane < 0 || lane >= lanes.length) { return null; }
    var best = null;
    lanes[lane].forEach(function (i) {
      var r = barRect(ops[i], 0);
      if (px >= r[0] - 2 && px <= r[0] + r[2] + 2) { best = ops[i]; }
    });
    return best ? { op: best } : null;
  }

  function tipText(h) {
    if (h.fault) {
      var f = h.fault;
      return 'fault: ' + kinds[f[0]][0] + '\n' + secs(f[1]) + ' \u2013 ' + (f[2] === null ? 'end of run' : secs(f[2])) +
        (f[3] ? '\nnodes: ' + f[3] : '') + (f[4] ? '\n' + f[4] : '');
    }
    var op = h.op;
    var lines = [];
    if (failing[op[ID]]) { lines.push('\u2717 CANNOT BE LINEARIZED'); }
    if (concurrent[op[ID]]) { lines.push('concurrent with the failing operation'); }
    lines.push('#' + op[ID] + '  ' + fName(op) + (op[KEY] >= 0 ? '  key ' + data.keys[op[KEY]] : '') + '  \u2014 ' + OUTCOMES[op[OUT]]);
    lines.push('process ' + op[PROC]);
    lines.push('input: ' + op[IN]);
    if (op[OUT] === 0) { lines.push('output: ' + op[OUTV]); }
    lines.push('invoked ' + secs(op[CALL]) + ', ' + (op[RET] === null ? 'never completed' : 'completed ' + secs(op[RET]) +
      ' (' + ((op[RET] - op[CALL]) / 1e6).toFixed(3) + ' ms)'));
    return lines.join('\n');
  }

  canvas.addEventListener('mousemove', function (e) {
    if (drag) { tip.style.display = 'none'; return; }
    var rect = canvas.getBoundingClientRect();
    var h = hit(e.clientX - rect.left, e.clientY - rect.top);
    if (!h) { tip.style.display = 'none'; return; }
    tip.textContent = tipText(h);
    tip.style.display = 'block';
    tip.style.left = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8) + 'px';
    tip.style.top = (e.clientY + 14) + 'px';
  });
  canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });

  // Driven by the browser test (URL hash #fl-selftest): hovers the failing
  // (or first) op and zooms once, recording what happened as attributes.
  function selfTest() {
    draw();
    var target = data.failures.length ? indexOfId[data.failures[0].op] : 0;
    if (ops.length && target !== undefined) {
      var op = ops[target];
      var r = barRect(op, laneY(laneOf[op[PROC]], scroll.scrollTop));
      var rect = canvas.getBoundingClientRect();
      var x = Math.min(Math.max(r[0] + Math.min(r[2], 200) / 2, GUTTER + 1), W - 2);
      canvas.dispatchEvent(new MouseEvent('mousemove', { clientX: rect.left + x, clientY: rect.top + r[1] + r[3] / 2, bubbles: true }));
      root.setAttribute('data-selftest-tip', tip.textContent);
    }
    var before = view.b - view.a;
    document.getElementById('tl-in').click();
    root.setAttribute('data-selftest-zoom', ((view.b - view.a) / before).toFixed(3));
    // Expand every group of findings by clicking its summary, as a reader
    // would, and count those whose list then shows.
    var groups = document.querySelectorAll('details.rest');
    var shown = 0;
    for (var g = 0; g < groups.length; g++) {
      groups[g].querySelector('summary').click();
      var list = groups[g].querySelector('ul');
      if (groups[g].open && list && list.getBoundingClientRect().height > 0) { shown++; }
    }
    root.setAttribute('data-selftest-groups', groups.length + '/' + shown);
  }

  resize();
  if (data.failures.length) { goToFailure(0); failureShown = 1 % data.failures.length; labelFailButton(); }
  draw();
  if (window.location.hash === '#fl-selftest') { selfTest(); }
  root.setAttribute('data-lanes', String(lanes.length));
  root.setAttribute('data-op-bars', String(lanes.reduce(function (n, lane) { return n + lane.length; }, 0)));
  root.setAttribute('data-rendered', 'true');
}());
