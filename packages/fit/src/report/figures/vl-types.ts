import type { TopLevelSpec } from 'vega-lite';

/**
 * Names for parts of a Vega-Lite spec, derived from the one type vega-lite exports publicly (TopLevelSpec), so figure
 * builders can share layers without reaching into its unstable internal type paths.
 */
type Layered = Extract<TopLevelSpec, { layer: unknown }>;
export type LayerItem = Layered['layer'][number];
export type UnitLayer = Extract<LayerItem, { mark: unknown }>;
export type Encoding = NonNullable<UnitLayer['encoding']>;
type Faceted = Extract<TopLevelSpec, { facet: unknown }>;
export type FacetedInner = Faceted['spec'];
export type ColumnFacet = Extract<Faceted['facet'], { column?: unknown }>['column'];
