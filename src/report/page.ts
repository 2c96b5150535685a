/**
 * The one look and the one set of words of pyrolive's HTML pages (`pyrolive report`, `detect --plot`): the page
 * frame and its style sheet, the chart titles and axis names (the dashboard's, web/index.html and web/src/charts.ts),
 * the event sentences and the events table. Pure: strings in, strings out.
 */
import { escapeXml, type SvgAxis } from './svg';

/** Chart titles, as the dashboard's cards name them. */
export const CHART_TITLES = {
  time: 'Temperature vs time',
  power: 'Temperature vs laser power',
} as const;

/** Axis names and units, as on the dashboard's charts. */
export const AXES: Record<'time' | 'power' | 'temperature', SvgAxis> = {
  time: { label: 'Time', unit: 's' },
  power: { label: 'Laser power', unit: 'W' },
  temperature: { label: 'Temperature', unit: 'K' },
};

/** Colours on the light page: the dashboard's hues, darkened to read on white. */
export const PAGE_COLORS = {
  temperature: '#d9480f',
  mean: '#1971c2',
  flagged: '#c2255c',
  outlier: '#868e96',
  plateau: '#f59f00',
  slopeChange: '#495057',
};

/**
 * The colours of the ROIs after the first (double-sided heating; the first ROI is the main series, in
 * `temperature`): the dashboard's violet, green, pink and yellow, darkened.
 */
export const PAGE_ROI_COLORS = ['#7048e8', '#2b8a3e', '#d6336c', '#ae8f00'];

/** What an event is called on a chart, in a sentence and in the table (the dashboard's words). */
export function eventName(kind: string): string {
  return kind === 'plateau' ? 'plateau' : 'slope change';
}

/** A chart label: "plateau", "plateau (open)" while its end is not known, "slope change". */
export function eventLabel(kind: string, endPower: number | null): string {
  return kind === 'plateau' && endPower === null ? 'plateau (open)' : eventName(kind);
}

export function escapeHtml(text: string): string {
  return escapeXml(text);
}

/** A number with `digits` decimals, or "—". */
export function formatValue(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

/** "24.04 ± 0.21", or the value alone without a finite error. */
export function formatWithError(
  value: number | null | undefined,
  error: number | null | undefined,
  digits: number,
): string {
  if (error === null || error === undefined || !Number.isFinite(error)) {
    return formatValue(value, digits);
  }
  return `${formatValue(value, digits)} ± ${formatValue(error, digits)}`;
}

/** "plateau at 24.1 W, 3120 K": the same sentence as the live dashboard's event list. */
export function eventSentence(event: { kind: string; startPower: number; temperature: number }): string {
  return `${eventName(event.kind)} at ${formatValue(event.startPower, 1)} W, ${formatValue(event.temperature, 0)} K`;
}

/** The fields of an event the table shows (the detector's SlopeEvent and the live LiveEvent both have them). */
export interface TableEvent {
  kind: string;
  startPower: number;
  endPower: number | null;
  temperature: number;
  slopeBefore: number | null;
  slopeAfter: number | null;
  significance: number | null;
  detectedAtIndex: number | null;
  startPowerError?: number | null;
  endPowerError?: number | null;
  slopeBeforeError?: number | null;
  slopeAfterError?: number | null;
}

const TABLE_HEAD = [
  'event',
  'start power (W)',
  'end power (W)',
  'T at kink (K)',
  'slope before (K/W)',
  'slope after (K/W)',
  'significance (σ)',
  'detected at frame',
];

function eventRow(event: TableEvent): string {
  const cells = [
    eventName(event.kind),
    formatWithError(event.startPower, event.startPowerError, 2),
    event.kind !== 'plateau'
      ? '—'
      : event.endPower === null
        ? 'open'
        : formatWithError(event.endPower, event.endPowerError, 2),
    formatValue(event.temperature, 0),
    formatWithError(event.slopeBefore, event.slopeBeforeError, 1),
    formatWithError(event.slopeAfter, event.slopeAfterError, 1),
    formatValue(event.significance, 1),
    event.detectedAtIndex === null ? '—' : String(event.detectedAtIndex),
  ];
  const cellsHtml = cells.map((text) => `<td>${escapeHtml(text)}</td>`).join('');
  return `<tr class="${event.kind === 'plateau' ? 'plateau' : 'slope-change'}">${cellsHtml}</tr>`;
}

/** The events table (scrolls sideways inside its box on a narrow screen), or "no events". */
export function eventsTable(events: readonly TableEvent[]): string {
  if (!events.length) {
    return '<p class="none" id="events">no events</p>';
  }
  const head = TABLE_HEAD.map((name) => `<th>${escapeHtml(name)}</th>`).join('');
  const rows = events.map(eventRow).join('\n');
  const table = `<table id="events"><thead><tr>${head}</tr></thead>\n<tbody>${rows}</tbody></table>`;
  return `<div class="table-wrap">${table}</div>`;
}

/** A chart in its card, under its title. */
export function chartSection(id: string, title: string, svg: string): string {
  return `<h2>${escapeHtml(title)}</h2><div class="chart" id="${escapeHtml(id)}">${svg}</div>`;
}

export const PAGE_CSS = `
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#f6f7f9;color:#1d232b;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px;overflow-wrap:anywhere}
h2{font-size:13px;margin:28px 0 10px;text-transform:uppercase;letter-spacing:.08em;color:#55606c}
.src{color:#55606c;overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:16px 0 0}
.card{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:10px 12px;min-width:0}
.card dt{font-size:12px;color:#6b7682}
.card dd{margin:2px 0 0;font-size:18px;font-weight:650;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.chart{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:8px;margin-bottom:14px}
.chart svg{width:100%;height:auto;display:block}
.none{color:#6b7682;font-style:italic}
.table-wrap{overflow-x:auto;max-width:100%;border:1px solid #dde2e8;border-radius:8px;background:#fff}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;border-bottom:1px solid #eceff3;text-align:right;white-space:nowrap}
th{background:#eef1f5;font-size:12px;color:#3d4751;white-space:normal;vertical-align:bottom}
td:first-child,th:first-child{text-align:left}
tr.plateau td:first-child{font-weight:650;color:#a15c00}
footer{margin-top:28px;color:#8a949e;font-size:12px}
@media (max-width:700px){main{padding:14px}h1{font-size:19px}}
@media print{body{background:#fff}.chart,.card,table{break-inside:avoid}}
`;

export interface PageOptions {
  title: string;
  /** The file or folder the page is about, under the title. */
  source: string;
  /** HTML fragments (already escaped), in order. */
  body: string[];
  /** pyrolive version for the generator tag and the footer. */
  version?: string;
  /** ISO time stamp in the footer (none when left out). */
  generatedAt?: string;
}

/** A whole self-contained page (inline CSS, no script, no external asset). */
export function renderPage(options: PageOptions): string {
  const version = options.version ? ` ${escapeHtml(options.version)}` : '';
  const when = options.generatedAt ? ` on ${escapeHtml(options.generatedAt)}` : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="generator" content="pyrolive${version}">
<title>${escapeHtml(options.title)}</title><style>${PAGE_CSS}</style></head>
<body><main>
<h1>${escapeHtml(options.title)}</h1>
<div class="src">${escapeHtml(options.source)}</div>
${options.body.join('\n')}
<footer>generated by pyrolive${version}${when}</footer>
</main></body></html>
`;
}
