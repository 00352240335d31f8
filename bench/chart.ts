/**
 * The latency distributions of one bench run as an SVG (ECharts' server-side SVG renderer): for
 * each scenario, turn latency at every percentile, on a log scale, so the echo floor and Forbear
 * can be compared across the whole distribution and not only at p50/p99.
 */
import * as echarts from 'echarts';

const PERCENTILES = [...Array.from({ length: 99 }, (_, i) => i + 1), 99.5, 99.9, 100];

const COLOURS: Record<string, string> = {
  'echo/memory': '#9ecae1',
  'forbear/memory': '#08519c',
  'echo/redis': '#fdae6b',
  'forbear/redis': '#a63603',
};

export function latencyChart(latencies: Map<string, number[]>, measuredAt: string, machine: { nproc: number; cpuModel: string; node: string }): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 900, height: 480 });
  chart.setOption({
    animation: false,
    title: {
      text: 'Turn latency by percentile: Forbear and the bare echo floor',
      subtext: `${measuredAt.slice(0, 10)} · ${machine.nproc} × ${machine.cpuModel} · node ${machine.node} · all interleaved rounds pooled`,
      left: 'center',
    },
    legend: { top: 72 },
    grid: { top: 110, left: 70, right: 30, bottom: 50 },
    xAxis: { type: 'value', name: 'percentile', nameLocation: 'middle', nameGap: 28, min: 0, max: 100 },
    yAxis: { type: 'log', name: 'ms', logBase: 10 },
    series: [...latencies].map(([name, samples]) => {
      const sorted = [...samples].sort((a, b) => a - b);
      return {
        name,
        type: 'line',
        showSymbol: false,
        lineStyle: { width: name.startsWith('forbear') ? 2.5 : 1.5, color: COLOURS[name] },
        itemStyle: { color: COLOURS[name] },
        data: PERCENTILES.map((p) => [p, Math.max(0.1, sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0)]),
      };
    }),
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}
