/**
 * What a phase's Grafana dashboard is made of (panels of PromQL targets) and the Grafana JSON it renders to, plus
 * the metric-name lists every phase keeps beside its dashboard (`<phase>/dashboard.ts`). The analytics phase's
 * Dashboards component ships every enabled phase's dashboard as a ConfigMap that kube-prometheus-stack's Grafana
 * sidecar loads; a test checks every expression with promtool and every metric name against the phase's list.
 *
 * Expressions use fixed windows (no Grafana `$__rate_interval`), so each one is valid PromQL as written.
 */

interface PanelTarget {
  readonly expr: string;
  readonly legendFormat: string;
}

interface PanelSpec {
  readonly title: string;
  readonly type: "timeseries" | "stat";
  /** Grafana unit id (e.g. `bytes`, `percent`, `s`, `short`). */
  readonly unit: string;
  readonly description: string;
  readonly targets: readonly PanelTarget[];
}

export interface DashboardSpec {
  /** Stable id: the ConfigMap is `lakehouse-dashboard-<id>`, the Grafana uid `lakehouse-<id>`. */
  readonly id: "metastore" | "spark" | "trino" | "tables";
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

/** Grafana dashboard JSON (schemaVersion 39) for a spec: a Prometheus datasource variable, panels in a grid. Pure. */
export function grafanaDashboard(spec: DashboardSpec): Record<string, unknown> {
  const panels = spec.panels.map((p, i) => ({
    id: i + 1,
    title: p.title,
    description: p.description,
    type: p.type,
    datasource: { type: "prometheus", uid: "${datasource}" },
    gridPos:
      p.type === "stat"
        ? { h: 4, w: 6, x: (i % 4) * 6, y: Math.floor(i / 4) * 8 }
        : { h: 8, w: 12, x: (i % 2) * 12, y: 8 + Math.floor(i / 2) * 8 },
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options: {},
    targets: p.targets.map((t, j) => ({
      refId: String.fromCharCode(65 + j),
      datasource: { type: "prometheus", uid: "${datasource}" },
      expr: t.expr,
      legendFormat: t.legendFormat,
    })),
  }));
  return {
    uid: `lakehouse-${spec.id}`,
    title: spec.title,
    tags: ["lakehouse"],
    timezone: "browser",
    schemaVersion: 39,
    version: 1,
    editable: false,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    templating: {
      list: [
        { name: "datasource", label: "Data source", type: "datasource", query: "prometheus", current: {} },
      ],
    },
    panels,
  };
}

/** A metric a dashboard or alert may use, with where it comes from. */
export interface MetricSource {
  readonly name: string;
  /** Prometheus type: counter, gauge or summary (a summary's series are name, name_count, name_sum). */
  readonly type: "counter" | "gauge" | "summary";
  readonly source: string;
}

/** Series every scrape produces (Prometheus), usable for any component. */
export const SCRAPE_METRICS: readonly MetricSource[] = [
  { name: "up", type: "gauge", source: "Prometheus: 1 when the last scrape of the target succeeded" },
];

/** The series names a metric contributes to PromQL (a summary adds `_count` and `_sum`). */
export function seriesNames(m: MetricSource): string[] {
  return m.type === "summary" ? [m.name, `${m.name}_count`, `${m.name}_sum`] : [m.name];
}

/** A PromQL label value, quoted. */
export const q = (v: string): string => JSON.stringify(v);
