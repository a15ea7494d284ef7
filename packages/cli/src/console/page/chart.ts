// The live chart: processed per second (left axis, solid) and total lag (right axis, dashed) over the
// last minutes, drawn as inline SVG from the server's history — no chart library.
import type { HistoryPoint } from "../api-types.js";
import { replace, svg } from "./dom.js";
import { short } from "./format.js";

const height = 180;
const margin = { left: 44, right: 44, top: 10, bottom: 22 };
const windowMs = 5 * 60_000;

export function renderChart(target: SVGSVGElement, history: readonly HistoryPoint[], now: number): void {
  // Drawn in the element's own pixels, so its text keeps its size on a phone and on a wide screen.
  const width = Math.max(280, Math.round(target.getBoundingClientRect().width) || 600);
  target.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const from = now - windowMs;
  const points = history.filter((point) => point.at >= from);
  const maxRate = niceCeiling(Math.max(1, ...points.map((point) => point.processedPerSecond)));
  const lags = points.map((point) => point.lag).filter((lag): lag is number => lag !== null);
  const maxLag = niceCeiling(Math.max(1, ...lags));
  const x = (at: number) => margin.left + ((at - from) / windowMs) * plotWidth;
  const y = (value: number, max: number) => margin.top + plotHeight - (value / max) * plotHeight;

  const grid = [0, 0.5, 1].map((fraction) => {
    const lineY = margin.top + plotHeight * (1 - fraction);
    return svg("line", { class: "grid", x1: margin.left, x2: width - margin.right, y1: lineY, y2: lineY });
  });
  const labels = [
    svg(
      "text",
      { class: "axis", x: margin.left - 6, y: margin.top + 10, "text-anchor": "end" },
      short(maxRate),
    ),
    svg("text", { class: "axis", x: margin.left - 6, y: margin.top + plotHeight, "text-anchor": "end" }, "0"),
    svg(
      "text",
      { class: "axis", x: width - margin.right + 6, y: margin.top + 10 },
      lags.length ? short(maxLag) : "–",
    ),
    svg("text", { class: "axis", x: width - margin.right + 6, y: margin.top + plotHeight }, "0"),
    svg("text", { class: "axis", x: margin.left, y: height - 4 }, "−5 min"),
    svg("text", { class: "axis", x: width - margin.right, y: height - 4, "text-anchor": "end" }, "now"),
  ];
  const throughput = polyline(
    "throughput",
    points.map((point) => [x(point.at), y(point.processedPerSecond, maxRate)]),
  );
  // A gap in the lag (the source could not tell) breaks its line rather than drawing a false zero.
  const lagLines: SVGPolylineElement[] = [];
  let run: Array<[number, number]> = [];
  for (const point of points) {
    if (point.lag === null) {
      if (run.length) lagLines.push(polyline("lag", run));
      run = [];
    } else run.push([x(point.at), y(point.lag, maxLag)]);
  }
  if (run.length) lagLines.push(polyline("lag", run));
  replace(target, ...grid, throughput, ...lagLines, ...labels);
}

function polyline(kind: string, points: ReadonlyArray<readonly [number, number]>): SVGPolylineElement {
  const text = points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ");
  return svg("polyline", { class: kind, points: text, "data-series": kind });
}

/** 1, 2, 5, 10, 20, 50… at or above `value`, so the axis reads round numbers. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}
