// The types a dashboard JSON is checked against: Grafana's own (@grafana/schema), with enums
// relaxed to their string values since JSON carries strings, not TypeScript enum members.
import type { Dashboard, DataQuery, FieldConfigSource, Panel, RowPanel } from '@grafana/schema';
import type * as BarGauge from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type * as Stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type * as Table from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type * as TimeSeries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

export type Json<T> = T extends string
  ? `${T}`
  : T extends number
    ? number
    : T extends boolean | null | undefined
      ? T
      : T extends Array<infer E>
        ? Array<Json<E>>
        : T extends object
          ? { [K in keyof T]: Json<T[K]> }
          : T;

// Prometheus' query model is not in @grafana/schema 11.1: the common fields are checked, the
// Prometheus ones (expr, format, instant, ...) are proven by tests/stack/test_prometheus.py.
type Query = Json<DataQuery> & Record<string, unknown>;

type PanelOf<Type extends string, O, C> = Json<Omit<Panel, 'type' | 'options' | 'fieldConfig' | 'targets'>> & {
  type: Type;
  options: Json<O>;
  fieldConfig: Json<FieldConfigSource<Partial<C>>>;
  targets: Query[];
};

export type AnyPanel =
  | PanelOf<'timeseries', TimeSeries.Options, TimeSeries.FieldConfig>
  | PanelOf<'stat', Stat.Options, Record<string, unknown>>
  | PanelOf<'bargauge', BarGauge.Options, Record<string, unknown>>
  | PanelOf<'table', Table.Options, Table.FieldConfig>
  | (Json<Omit<RowPanel, 'panels'>> & { panels: [] });

export type DashboardJson = Json<Omit<Dashboard, 'panels'>> & { panels: AnyPanel[] };
