// Leaflet map of an alert's areas: CAP polygons and circles as vector shapes. Like the device
// map, the tile layer comes only from GET /api/v1/meta → map.tile_url; without it the map has no
// tiles at all (plain background, shapes, scale), so nothing is fetched from the internet.
// Geocodes (administrative unit codes) have no shape here: the detail page lists them.

import 'leaflet/dist/leaflet.css';
import * as L from 'leaflet';
import { state } from '../app';
import { h } from '../dom';
import type { AlertArea } from '../types';

const SHAPE_STYLE: L.PathOptions = { color: '#b3261e', weight: 2, fillColor: '#b3261e', fillOpacity: 0.18 };

/** The number of polygons and circles of `areas`. */
export function shapeCount(areas: AlertArea[]): number {
  return areas.reduce((n, a) => n + (a.polygons?.length ?? 0) + (a.circles?.length ?? 0), 0);
}

/**
 * A Leaflet map on `container` with a metric scale and the configured tile layer (not yet added:
 * add it once the final view is known, so only its tiles are fetched), or none at all.
 */
export function baseMap(container: HTMLElement, options: L.MapOptions = {}): { map: L.Map; tiles: L.TileLayer | null } {
  const map = L.map(container, { attributionControl: true, zoomControl: true, keyboard: true, minZoom: 3, maxZoom: 19, ...options });
  map.attributionControl.setPrefix('Leaflet');
  L.control.scale({ imperial: false, metric: true }).addTo(map);
  const tileUrl = (state.meta?.map?.tile_url ?? '').trim();
  const tiles = tileUrl ? L.tileLayer(tileUrl, { attribution: state.meta?.map?.attribution ?? '', maxZoom: 19 }) : null;
  container.dataset.tiles = tiles ? 'on' : 'off';
  if (!tiles) container.classList.add('no-tiles');
  return { map, tiles };
}

/** Calls `fn` whenever `container` gets or changes its size (the view is built before it is attached). */
export function onSized(container: HTMLElement, fn: () => void): void {
  if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => fn()).observe(container);
  else requestAnimationFrame(() => fn());
}

export function alertMap(opts: { testid: string; label: string; areas: AlertArea[] }): HTMLElement {
  const container = h('div', { class: 'device-map alert-map', testid: opts.testid, role: 'region', 'aria-label': opts.label });
  const { map, tiles } = baseMap(container);

  const layer = L.featureGroup().addTo(map);
  // Computed from the coordinates (a circle's own bounds depend on the zoom it was projected at).
  const bounds = L.latLngBounds([]);
  let shapes = 0;
  opts.areas.forEach((area, i) => {
    const tip = area.desc || `#${i + 1}`;
    for (const ring of area.polygons ?? []) {
      for (const [lat, lon] of ring) bounds.extend([lat, lon]);
      L.polygon(
        ring.map(([lat, lon]) => L.latLng(lat, lon)),
        { ...SHAPE_STYLE, className: `alert-shape alert-polygon alert-area-${i}` },
      )
        .bindTooltip(tip)
        .addTo(layer);
      shapes++;
    }
    for (const c of area.circles ?? []) {
      bounds.extend(L.latLng(c.lat, c.lon).toBounds(c.radius_km * 2000));
      L.circle(L.latLng(c.lat, c.lon), { ...SHAPE_STYLE, radius: c.radius_km * 1000, className: `alert-shape alert-circle alert-area-${i}` })
        .bindTooltip(tip)
        .addTo(layer);
      shapes++;
    }
  });
  container.dataset.shapes = String(shapes);
  // A first view; the real fit happens once the container has a size.
  map.setView([16, 106], 5, { animate: false });

  let fitted = false;
  const fit = () => {
    if (!container.isConnected || container.clientWidth === 0) return;
    map.invalidateSize();
    if (fitted) return;
    fitted = true;
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.15), { maxZoom: 14, animate: false });
    // Tiles (when configured) only once the final view is known: only its tiles are fetched.
    if (tiles) window.setTimeout(() => tiles.addTo(map), 0);
  };
  onSized(container, fit);
  return container;
}
