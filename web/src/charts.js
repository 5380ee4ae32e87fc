// The meter page's two uPlot charts, sharing one x range: the accumulated energy since
// installation with the paid line and payment markers, and temperatures / flow / power; and the
// "needs attention" page's energy per day per group (createDailyChart).
//
// The charts only draw. The range lives in meter.js: a zoom or pan done in a chart is reported
// through onRange(from, to), and meter.js sets the range of both charts with setRange() (which
// does not report back). Series names and months are in the page's language (i18n.js).
import uPlot from 'uplot';
import { locale, t } from './i18n.js';
import { dateTime } from './format.js';

const COLORS = {
  energy: '#1864ab',
  energyFill: 'rgba(24, 100, 171, 0.10)',
  paid: '#2b8a3e',
  payment: 'rgba(43, 138, 62, 0.75)',
  voided: 'rgba(134, 142, 150, 0.6)',
  gap: 'rgba(134, 142, 150, 0.22)',
  t1: '#e03131',
  t2: '#1971c2',
  tdif: '#7048e8',
  flow: '#0c8599',
  power: '#e8590c',
  axis: '#495057',
  grid: 'rgba(0, 0, 0, 0.07)',
};

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

const fixed = (places) => (u, v) => (v === null || v === undefined ? '—' : v.toFixed(places));

// Room for the longest tick label (about 7 px a character at 12 px) plus the tick and gap.
function axisSize(u, values) {
  if (!values || values.length === 0) return 40;
  const longest = values.reduce((n, v) => Math.max(n, v === null ? 0 : String(v).length), 0);
  return Math.max(34, Math.ceil(longest * 7 + 16));
}

function yAxis(scale, label, opts = {}) {
  return {
    scale,
    label,
    labelSize: 18,
    labelFont: FONT,
    font: FONT,
    stroke: opts.stroke || COLORS.axis,
    grid: { show: opts.grid !== false, stroke: COLORS.grid, width: 1 },
    ticks: { show: true, stroke: COLORS.grid, width: 1, size: 5 },
    size: axisSize,
    side: opts.side ?? 3,
  };
}

const p2 = (n) => String(n).padStart(2, '0');

// Time tick labels in 24-hour local time; the date (or year) is added below the first tick and
// wherever it changes. Days and months as the language writes them ("3 Dec", "3. dec.").
function timeTicks(u, splits, axisIdx, space, incr) {
  let prevDay = null;
  let prevYear = null;
  const dayFormat = new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short' });
  const monthFormat = new Intl.DateTimeFormat(locale(), { month: 'short' });
  return splits.map((time) => {
    if (time === null || time === undefined) return null;
    const d = new Date(time * 1000);
    const day = dayFormat.format(d);
    const year = String(d.getFullYear());
    let label;
    if (incr < 86400) {
      label = `${p2(d.getHours())}:${p2(d.getMinutes())}`;
      if (day !== prevDay) label += `\n${day}`;
    } else if (incr < 28 * 86400) {
      label = day;
      if (year !== prevYear) label += `\n${year}`;
    } else if (incr < 365 * 86400) {
      label = monthFormat.format(d);
      if (year !== prevYear) label += `\n${year}`;
    } else {
      label = year;
    }
    prevDay = day;
    prevYear = year;
    return label;
  });
}

function xAxis() {
  return {
    values: timeTicks,
    space: 55,
    font: FONT,
    stroke: COLORS.axis,
    grid: { stroke: COLORS.grid, width: 1 },
    ticks: { stroke: COLORS.grid, width: 1, size: 5 },
  };
}

function chartHeight() {
  return window.innerWidth < 640 ? 210 : 290;
}

// Options both charts share: time x axis with an explicit range, synced cursor, drag to zoom,
// Shift-drag to pan, double-click to zoom out, Ctrl+wheel to zoom.
function common(syncKey, width, range, events) {
  const isLeft = (e) => e.button === 0;
  return {
    width,
    height: chartHeight(),
    scales: {
      x: { time: true, auto: false, min: range.from, max: range.to, range: (u, min, max) => [min, max] },
    },
    legend: { live: true },
    cursor: {
      sync: { key: syncKey, setSeries: false },
      drag: { x: true, y: false, setScale: true, dist: 4 },
      focus: { prox: 20 },
      bind: {
        mousedown: (u, targ, handler, onlyTarg = true) => (e) => {
          if (!isLeft(e) || (onlyTarg && e.target !== targ)) return;
          if (e.shiftKey) {
            events.panStart(u, e);
            return;
          }
          handler(e);
        },
        dblclick: () => () => events.zoomOut(),
      },
    },
    hooks: {
      setScale: [(u, key) => {
        if (key === 'x') events.scaled(u);
      }],
      ready: [(u) => {
        u.over.addEventListener('wheel', (e) => events.wheel(u, e), { passive: false });
      }],
    },
  };
}

export function createCharts({ energyEl, tempsEl, unit, syncKey, range, onRange: reportRange, onZoomOut }) {
  let payments = [];
  let gaps = [];
  let settingRange = false;
  let destroyed = false;
  const onRange = (from, to) => {
    if (!destroyed) reportRange(from, to);
  };

  const events = {
    scaled(u) {
      // not our own setRange/setData, nor the initial range (before the chart is ready)
      if (settingRange || u.status !== 1) return;
      const { min, max } = u.scales.x;
      if (min === null || max === null || min === undefined) return;
      onRange(min, max);
    },
    zoomOut: () => {
      if (!destroyed) onZoomOut();
    },
    wheel(u, e) {
      // A plain wheel scrolls the page; Ctrl+wheel (and a touchpad pinch) zooms.
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      const { min, max } = u.scales.x;
      const rect = u.over.getBoundingClientRect();
      const frac = Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width));
      const at = min + frac * (max - min);
      const factor = e.deltaY < 0 ? 0.8 : 1.25;
      const spanNew = (max - min) * factor;
      onRange(at - frac * spanNew, at + (1 - frac) * spanNew);
    },
    panStart(u, e) {
      // (uPlot's listeners are passive: nothing to prevent; the plot area selects no text)
      const { min, max } = u.scales.x;
      const x0 = e.clientX;
      const width = u.over.clientWidth || 1;
      const move = (ev) => {
        const dv = ((ev.clientX - x0) / width) * (max - min);
        onRange(min - dv, max - dv);
      };
      const up = () => {
        document.removeEventListener('mousemove', move);
        document.removeEventListener('mouseup', up);
      };
      document.addEventListener('mousemove', move);
      document.addEventListener('mouseup', up);
    },
  };

  // Stretches with no samples (GET /api/meters/{serial}/gaps) as grey bands: a line drawn across
  // one joins the samples on either side, it is not a measurement.
  const drawGaps = (u) => {
    if (!gaps.length) return;
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.fillStyle = COLORS.gap;
    for (const g of gaps) {
      const x0 = u.valToPos(g.from, 'x', true);
      const x1 = u.valToPos(g.to, 'x', true);
      if (x1 < left || x0 > left + width) continue;
      ctx.fillRect(x0, top, Math.max(x1 - x0, uPlot.pxRatio), height);
    }
    ctx.restore();
  };

  // Payments as vertical markers with the credited amount at the top.
  const drawPayments = (u) => {
    if (!payments.length) return;
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const { min, max } = u.scales.x;
    const pr = uPlot.pxRatio;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.font = `${Math.round(11 * pr)}px system-ui, sans-serif`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    let lastLabelEnd = -Infinity;
    for (const p of payments) {
      if (p.time < min || p.time > max) continue;
      const x = Math.round(u.valToPos(p.time, 'x', true)) + 0.5;
      const color = p.void ? COLORS.voided : COLORS.payment;
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = pr;
      ctx.setLineDash([4 * pr, 3 * pr]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.setLineDash([]);
      // a small flag at the top
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x + 7 * pr, top + 4 * pr);
      ctx.lineTo(x, top + 8 * pr);
      ctx.closePath();
      ctx.fill();
      const label = p.label;
      if (label) {
        const w = ctx.measureText(label).width;
        const lx = x + 9 * pr;
        if (lx > lastLabelEnd + 4 * pr && lx + w < left + width) {
          ctx.fillText(label, lx, top + 1 * pr);
          lastLabelEnd = lx + w;
        }
      }
    }
    ctx.restore();
  };

  const xValue = (u, v) => (v === null || v === undefined ? '—' : dateTime(v, true));

  const energyOpts = {
    ...common(syncKey, energyEl.clientWidth || 600, range, events),
    series: [
      { label: t('chart.time'), value: xValue },
      {
        label: t('chart.energy', { unit }),
        scale: 'e',
        stroke: COLORS.energy,
        fill: COLORS.energyFill,
        width: 2,
        spanGaps: true,
        value: fixed(3),
      },
      {
        label: t('chart.paid', { unit }),
        scale: 'e',
        stroke: COLORS.paid,
        width: 2,
        paths: uPlot.paths.stepped({ align: 1 }),
        points: { show: false },
        value: fixed(3),
      },
    ],
    axes: [xAxis(), yAxis('e', unit)],
  };
  energyOpts.hooks.draw = [drawGaps, drawPayments];

  const tempsOpts = {
    ...common(syncKey, tempsEl.clientWidth || 600, range, events),
    series: [
      { label: t('chart.time'), value: xValue },
      { label: `${t('latest.t1')} °C`, scale: 'C', stroke: COLORS.t1, width: 1.5, value: fixed(2) },
      { label: `${t('latest.t2')} °C`, scale: 'C', stroke: COLORS.t2, width: 1.5, value: fixed(2) },
      { label: `${t('latest.tdif')} K`, scale: 'C', stroke: COLORS.tdif, width: 1.5, value: fixed(2) },
      { label: `${t('latest.flow')} l/h`, scale: 'flow', stroke: COLORS.flow, width: 1.5, value: fixed(1) },
      { label: `${t('latest.power')} kW`, scale: 'kW', stroke: COLORS.power, width: 1.5, value: fixed(2) },
    ],
    axes: [
      xAxis(),
      yAxis('C', '°C / K'),
      yAxis('flow', 'l/h', { side: 1, grid: false, stroke: COLORS.flow }),
      yAxis('kW', 'kW', { side: 1, grid: false, stroke: COLORS.power }),
    ],
  };

  tempsOpts.hooks.draw = [drawGaps];

  const energy = new uPlot(energyOpts, [[], [], []], energyEl);
  const temps = new uPlot(tempsOpts, [[], [], [], [], [], []], tempsEl);
  const charts = [energy, temps];

  let frame = 0;
  const resize = () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const height = chartHeight();
      for (const [u, elem] of [[energy, energyEl], [temps, tempsEl]]) {
        const width = Math.floor(elem.clientWidth);
        if (width > 0 && (width !== u.width || height !== u.height)) u.setSize({ width, height });
      }
    });
  };
  const observer = new ResizeObserver(resize);
  observer.observe(energyEl);
  observer.observe(tempsEl);

  function setRange(from, to) {
    settingRange = true;
    try {
      for (const u of charts) u.batch(() => u.setScale('x', { min: from, max: to }));
    } finally {
      settingRange = false;
    }
  }

  const setEmpty = (elem, data) => elem.classList.toggle('empty', !data[0] || data[0].length === 0 || data.slice(1).every((c) => c.every((v) => v === null || v === undefined)));

  return {
    // energyData: [time, sinceSetup, paid]; tempsData: [time, t1, t2, tdif, flow, power];
    // marks: [{time, label, void}]
    setData(energyData, tempsData, marks, from, to) {
      payments = marks;
      setEmpty(energyEl, [energyData[0], energyData[1]]);
      setEmpty(tempsEl, tempsData);
      settingRange = true;
      try {
        energy.batch(() => {
          energy.setData(energyData, false);
          energy.setScale('x', { min: from, max: to });
        });
        temps.batch(() => {
          temps.setData(tempsData, false);
          temps.setScale('x', { min: from, max: to });
        });
      } finally {
        settingRange = false;
      }
    },
    setRange,
    // [{from, to}]: the stretches without samples, drawn as bands.
    setGaps(list) {
      gaps = list;
      for (const u of charts) u.redraw(false);
    },
    destroy() {
      destroyed = true;
      observer.disconnect();
      cancelAnimationFrame(frame);
      for (const u of charts) u.destroy();
    },
  };
}

// The "needs attention" page's chart (attention.js): the energy delivered per day, a line per
// group, from GET /api/attention's groups[].daily ([[day start, "kWh"], ...], the same days for
// every group). Only draws; follows its element's width.
const GROUP_COLORS = ['#1864ab', '#e8590c', '#2b8a3e', '#7048e8', '#c2255c', '#0c8599', '#5c940d', '#495057'];

export function createDailyChart(elem, groups) {
  const days = groups.length ? groups[0].daily.map((d) => d[0]) : [];
  const data = [days, ...groups.map((g) => g.daily.map((d) => {
    const v = Number(d[1]);
    return Number.isFinite(v) ? v : null;
  }))];
  const opts = {
    width: elem.clientWidth || 600,
    height: chartHeight(),
    scales: { x: { time: true } },
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    series: [
      { label: t('chart.day'), value: (u, v) => (v === null || v === undefined ? '—' : dateTime(v).slice(0, 10)) },
      ...groups.map((g, i) => ({
        label: g.group || t('group.none'),
        stroke: GROUP_COLORS[i % GROUP_COLORS.length],
        width: 2,
        points: { show: true, size: 4 },
        value: fixed(1),
      })),
    ],
    axes: [xAxis(), yAxis('y', 'kWh')],
  };
  const u = new uPlot(opts, data, elem);
  elem.classList.toggle('empty', days.length === 0);
  let frame = 0;
  const observer = new ResizeObserver(() => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const width = Math.floor(elem.clientWidth);
      const height = chartHeight();
      if (width > 0 && (width !== u.width || height !== u.height)) u.setSize({ width, height });
    });
  });
  observer.observe(elem);
  return {
    destroy() {
      observer.disconnect();
      cancelAnimationFrame(frame);
      u.destroy();
    },
  };
}
