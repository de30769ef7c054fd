// A small Leaflet map with one marker: where a feedback is. Like the device map, the tile layer
// comes only from GET /api/v1/meta → map.tile_url; without it the map has no tiles at all (plain
// background, the marker and a scale), so nothing is fetched from the internet.

import 'leaflet/dist/leaflet.css';
import * as L from 'leaflet';
import { state } from '../app';
import { h } from '../dom';

export function feedbackMap(opts: { testid: string; label: string; lat: number; lon: number; title: string }): HTMLElement {
  const container = h('div', {
    class: 'device-map fb-map',
    testid: opts.testid,
    role: 'region',
    'aria-label': opts.label,
    'data-lat': String(opts.lat),
    'data-lon': String(opts.lon),
  });
  const map = L.map(container, { attributionControl: true, zoomControl: true, keyboard: true, minZoom: 3, maxZoom: 19 });
  map.attributionControl.setPrefix('Leaflet');
  L.control.scale({ imperial: false, metric: true }).addTo(map);
  const tileUrl = (state.meta?.map?.tile_url ?? '').trim();
  const tiles = tileUrl ? L.tileLayer(tileUrl, { attribution: state.meta?.map?.attribution ?? '', maxZoom: 19 }) : null;
  container.dataset.tiles = tiles ? 'on' : 'off';
  if (!tiles) container.classList.add('no-tiles');
  const point = L.latLng(opts.lat, opts.lon);
  map.setView(point, 15, { animate: false });
  const marker = L.circleMarker(point, {
    radius: 10,
    color: '#ffffff',
    weight: 2,
    fillColor: '#b3261e',
    fillOpacity: 0.95,
    className: 'fb-marker',
  });
  marker.bindTooltip(opts.title);
  marker.addTo(map);

  let shown = false;
  const fit = () => {
    if (!container.isConnected || container.clientWidth === 0) return;
    map.invalidateSize();
    if (shown) return;
    shown = true;
    map.setView(point, 15, { animate: false });
    // Tiles (when configured) only once the map has its size: only the final view is fetched.
    if (tiles) window.setTimeout(() => tiles.addTo(map), 0);
  };
  if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => fit()).observe(container);
  else requestAnimationFrame(() => fit());
  return container;
}
