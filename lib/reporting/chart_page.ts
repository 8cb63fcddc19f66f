// One self-contained HTML page of charts and tables: Chart.js (the installed npm package's UMD
// build) is inlined, the chart data travels as JSON in a <script type="application/json"> block,
// tables are rendered as HTML. Opening the file needs no network. Every string given here (titles,
// series names, cells) is escaped: callers pass plain text, never HTML.
import * as fs from 'fs';
import * as path from 'path';

/** A line chart: each series is a list of [x, y] points; a non-finite y is drawn as a gap. */
export interface LineChartSpec {
  /** Unique on the page (also the canvas element's id, prefixed with "chart-"). */
  id: string;
  title: string;
  kind: 'line';
  xLabel: string;
  yLabel: string;
  series: Array<{ name: string; points: Array<[number, number]> }>;
  /** Logarithmic y axis at first (every line chart has a "log y" toggle). */
  logY?: boolean;
}

/** A grouped bar chart: one bar per series at each label; `errors[i]` draws a ±error bar on `values[i]`. */
export interface BarChartSpec {
  id: string;
  title: string;
  kind: 'bar';
  xLabel: string;
  yLabel: string;
  labels: string[];
  series: Array<{ name: string; values: number[]; errors?: number[] }>;
  logY?: boolean;
}

export type ChartSpec = LineChartSpec | BarChartSpec;

export type TableCell = string | number | boolean | null;

/** A table of plain-text cells; numbers are shown to 6 significant digits (the exact value on hover), null as a dash. */
export interface TableSpec {
  caption?: string;
  columns: string[];
  rows: TableCell[][];
  /** Indexes of rows to emphasise. */
  highlightRows?: number[];
  /** Folded away (a <details> element whose summary is the caption) until clicked. */
  collapsed?: boolean;
}

export interface PageSection {
  heading: string;
  /** Paragraphs of plain text shown under the heading. */
  notes?: string[];
  charts?: ChartSpec[];
  tables?: TableSpec[];
}

export interface ChartPage {
  title: string;
  /** A line of plain text under the title (what the page shows, when it was made). */
  subtitle?: string;
  sections: PageSection[];
}

/**
 * The whole page as one HTML string. A series name keeps its colour on every chart of the page,
 * and a table column header equal to a series name gets that colour's swatch, so a run (or any
 * other series) is recognisable throughout.
 */
export function renderChartPage(page: ChartPage): string {
  const library = chartLibrary();
  const colors = seriesColors(page.sections.flatMap((s) => s.charts ?? []));
  const ids = new Set<string>();
  const charts: object[] = [];
  const body = page.sections.map((section) => {
    const figures = (section.charts ?? []).map((chart) => {
      if (ids.has(chart.id)) throw new Error(`renderChartPage: chart id "${chart.id}" is used twice`);
      ids.add(chart.id);
      charts.push(chartData(chart, colors));
      return `<figure class="chart"><figcaption>${escapeHtml(chart.title)}</figcaption><div class="canvas"><canvas id="chart-${escapeHtml(chart.id)}"></canvas></div></figure>`;
    });
    return [
      `<section><h2>${escapeHtml(section.heading)}</h2>`,
      ...(section.notes ?? []).map((note) => `<p class="note">${escapeHtml(note)}</p>`),
      figures.length > 0 ? `<div class="charts">${figures.join('\n')}</div>` : '',
      ...(section.tables ?? []).map((table) => renderTable(table, colors)),
      '</section>',
    ].join('\n');
  });
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="bertrun">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(page.title)}</h1>
${page.subtitle ? `<p class="subtitle">${escapeHtml(page.subtitle)}</p>` : ''}
<noscript><p class="note">The charts need JavaScript; the tables below do not.</p></noscript>
${body.join('\n')}
<footer>Charts drawn by Chart.js ${escapeHtml(library.version)} (MIT License), embedded in this file.</footer>
<script type="application/json" id="chart-data">${jsonForScript({ charts })}</script>
<script>
${library.code}
</script>
<script>
${PAGE_SCRIPT}
</script>
</body>
</html>
`;
}

/** Text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON that can sit inside a <script> element: `<`, `>` and `&` only occur in JSON strings, where
 * their \u escapes mean the same, so neither `</script` nor `<!--` can end or alter the element.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Chart.js's UMD build (it defines the global `Chart`) from the installed package, and its version. */
export function chartLibrary(): { code: string; version: string; file: string } {
  let main: string;
  try {
    // The package's exports map hides dist/*.umd.js from require.resolve; its main entry sits beside them.
    main = require.resolve('chart.js');
  } catch (e) {
    throw new Error(
      'the chart library chart.js is not installed (bertrun depends on it to draw reports). Fix: run `npm install` in the bertrun package, or `npm install chart.js@^4`',
      { cause: e },
    );
  }
  const dist = path.dirname(main);
  const file = ['chart.umd.min.js', 'chart.umd.js'].map((name) => path.join(dist, name)).find((f) => fs.existsSync(f));
  if (!file)
    throw new Error(`chart.js in ${path.dirname(dist)} has no dist/chart.umd.min.js or dist/chart.umd.js: is it version 4? Fix: npm install chart.js@^4`);
  const code = fs.readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n');
  // Inline script text ends at the first `</script`, and `<!--` with `<script` changes how it is parsed.
  if (/<\/script|<!--|<script/i.test(code)) throw new Error(`${file} contains "</script", "<script" or "<!--" and cannot be inlined into a page`);
  const version = /Chart\.js v(\d[\w.-]*)/.exec(code.slice(0, 500))?.[1] ?? 'unknown version';
  return { code, version, file };
}

// Tableau 10, then golden-angle hues for more series than that.
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

function seriesColors(charts: readonly ChartSpec[]): Map<string, string> {
  const colors = new Map<string, string>();
  for (const chart of charts) {
    for (const { name } of chart.series) {
      if (colors.has(name)) continue;
      const n = colors.size;
      colors.set(name, n < PALETTE.length ? PALETTE[n] : `hsl(${Math.round((n * 137.508) % 360)}, 60%, 45%)`);
    }
  }
  return colors;
}

function finiteOrNull(v: number | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function chartData(chart: ChartSpec, colors: Map<string, string>): object {
  const common = { id: chart.id, kind: chart.kind, xLabel: chart.xLabel, yLabel: chart.yLabel, logY: chart.logY === true };
  if (chart.kind === 'line') {
    return {
      ...common,
      series: chart.series.map((s) => ({
        name: s.name,
        color: colors.get(s.name),
        points: s.points.filter(([x]) => Number.isFinite(x)).map(([x, y]) => [x, finiteOrNull(y)]),
      })),
    };
  }
  for (const s of chart.series) {
    if (s.values.length !== chart.labels.length || (s.errors && s.errors.length !== chart.labels.length)) {
      throw new Error(`renderChartPage: bar chart "${chart.id}", series "${s.name}": ${chart.labels.length} labels but a different number of values or errors`);
    }
  }
  return {
    ...common,
    labels: chart.labels,
    series: chart.series.map((s) => ({
      name: s.name,
      color: colors.get(s.name),
      values: s.values.map(finiteOrNull),
      ...(s.errors ? { errors: s.errors.map(finiteOrNull) } : {}),
    })),
  };
}

export function formatCell(cell: TableCell): string {
  if (cell === null) return '—';
  if (typeof cell !== 'number') return String(cell);
  if (Number.isInteger(cell) || !Number.isFinite(cell)) return String(cell);
  return String(Number(cell.toPrecision(6)));
}

function renderTable(table: TableSpec, colors: Map<string, string>): string {
  const highlight = new Set(table.highlightRows ?? []);
  const header = table.columns.map((c) => {
    const color = colors.get(c);
    return `<th>${color ? `<span class="swatch" style="background:${escapeHtml(color)}"></span>` : ''}${escapeHtml(c)}</th>`;
  });
  const rows = table.rows.map((row, i) => {
    const cells = row.map((cell, j) => {
      const exact = typeof cell === 'number' && formatCell(cell) !== String(cell) ? ` title="${escapeHtml(String(cell))}"` : '';
      const tag = j === 0 ? 'th' : 'td';
      return `<${tag}${typeof cell === 'number' ? ' class="num"' : ''}${exact}>${escapeHtml(formatCell(cell))}</${tag}>`;
    });
    return `<tr${highlight.has(i) ? ' class="highlight"' : ''}>${cells.join('')}</tr>`;
  });
  const element = `<div class="table"><table><thead><tr>${header.join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
  if (!table.collapsed) return `${table.caption ? `<h3>${escapeHtml(table.caption)}</h3>\n` : ''}${element}`;
  return `<details><summary>${escapeHtml(table.caption ?? 'table')} (${table.rows.length} rows)</summary>\n${element}\n</details>`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 1.5em auto; max-width: 1400px; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.6em; }
.subtitle, .note, footer { color: #666; } footer { margin-top: 2em; font-size: 0.85em; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 1em; }
figure.chart { margin: 0; border: 1px solid #e4e4e4; border-radius: 4px; padding: 0.5em; }
figcaption { font-weight: 600; display: flex; justify-content: space-between; } figcaption label { font-weight: normal; color: #666; font-size: 0.85em; }
.canvas { position: relative; height: 300px; }
.table { overflow-x: auto; margin: 0.8em 0; }
table { border-collapse: collapse; } h3 { font-size: 1em; margin: 1em 0 0.3em; }
th, td { border: 1px solid #e0e0e0; padding: 0.25em 0.6em; text-align: left; vertical-align: top; white-space: pre-wrap; }
thead th { background: #f5f5f5; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.highlight > * { background: #fff6d6; font-weight: 600; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 2px; margin-right: 0.4em; vertical-align: middle; }
details { margin: 0.8em 0; } summary { cursor: pointer; font-weight: 600; }
`;

// Runs in the browser: builds each chart from the JSON block; the error-bar plugin draws ±errors on bars.
const PAGE_SCRIPT = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('chart-data').textContent);
  var errorBars = {
    id: 'errorBars',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx, y = chart.scales.y;
      chart.data.datasets.forEach(function (ds, i) {
        if (!ds.errors || !chart.isDatasetVisible(i)) return;
        chart.getDatasetMeta(i).data.forEach(function (bar, j) {
          var v = ds.data[j], e = ds.errors[j];
          if (v === null || e === null || e === undefined) return;
          var top = y.getPixelForValue(v + e), bottom = y.getPixelForValue(v - e), w = Math.min(6, bar.width / 4);
          if (!isFinite(bottom)) bottom = y.bottom;
          ctx.save();
          ctx.strokeStyle = '#333';
          ctx.lineWidth = 1.2;
          ctx.beginPath();
          ctx.moveTo(bar.x, top); ctx.lineTo(bar.x, bottom);
          ctx.moveTo(bar.x - w, top); ctx.lineTo(bar.x + w, top);
          ctx.moveTo(bar.x - w, bottom); ctx.lineTo(bar.x + w, bottom);
          ctx.stroke();
          ctx.restore();
        });
      });
    }
  };
  function axis(type, label) {
    return { type: type, title: { display: true, text: label } };
  }
  data.charts.forEach(function (spec) {
    var canvas = document.getElementById('chart-' + spec.id);
    var y = axis(spec.logY ? 'logarithmic' : 'linear', spec.yLabel);
    var config;
    if (spec.kind === 'line') {
      config = {
        type: 'line',
        data: {
          datasets: spec.series.map(function (s) {
            return {
              label: s.name, borderColor: s.color, backgroundColor: s.color, borderWidth: 1.5, spanGaps: false,
              pointRadius: s.points.length > 80 ? 0 : 2.5, pointHitRadius: 6,
              data: s.points.map(function (p) { return { x: p[0], y: p[1] }; })
            };
          })
        },
        options: { scales: { x: axis('linear', spec.xLabel), y: y }, interaction: { mode: 'nearest', axis: 'x', intersect: false } }
      };
    } else {
      var high = 0;
      spec.series.forEach(function (s) {
        s.values.forEach(function (v, i) { if (v !== null) high = Math.max(high, v + ((s.errors && s.errors[i]) || 0)); });
      });
      if (!spec.logY) y.suggestedMax = high;
      config = {
        type: 'bar',
        data: {
          labels: spec.labels,
          datasets: spec.series.map(function (s) {
            return { label: s.name, backgroundColor: s.color, data: s.values, errors: s.errors };
          })
        },
        options: { scales: { x: { type: 'category', title: { display: true, text: spec.xLabel } }, y: y } },
        plugins: [errorBars]
      };
    }
    config.options.animation = false;
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    config.options.plugins = { legend: { position: 'bottom', display: spec.series.length > 1 } };
    var chart = new Chart(canvas, config);
    var toggle = document.createElement('label');
    toggle.innerHTML = '<input type="checkbox"> log y';
    toggle.firstChild.checked = spec.logY;
    toggle.firstChild.addEventListener('change', function (event) {
      chart.options.scales.y.type = event.target.checked ? 'logarithmic' : 'linear';
      chart.update();
    });
    canvas.parentNode.parentNode.querySelector('figcaption').appendChild(toggle);
  });
})();`;
