// Leaflet map of devices. Markers are vector circles (L.circleMarker: SVG paths, no marker images)
// coloured by condition. The tile layer comes only from GET /api/v1/meta → map.tile_url; when it is
// empty or absent the map has no tiles at all (plain background, markers, scale, bounds fitted to
// the devices), so it works fully offline. Never a hard-coded internet tile URL.

import 'leaflet/dist/leaflet.css';
import * as L from 'leaflet';
import { state } from '../app';
import { h } from '../dom';
import { t } from '../i18n';
import type { Device } from '../types';
import { condition, CONDITION_COLOURS, CONDITIONS, deviceHref } from './deviceBits';

export interface DeviceMap {
  el: HTMLElement;
  setDevices(devices: Device[]): void;
}

/** Vietnam, when no device has a position yet. */
const VN_BOUNDS = L.latLngBounds([8.2, 102.1], [23.4, 109.5]);

export function deviceMap(opts: { testid: string; label: string }): DeviceMap {
  const container = h('div', { class: 'device-map', testid: opts.testid, role: 'region', 'aria-label': opts.label });
  const legend = h(
    'ul',
    { class: 'map-legend', testid: `${opts.testid}-legend`, 'aria-label': t('dev.map.legend') },
    CONDITIONS.map((c) => {
      const dot = h('span', { class: 'legend-dot', 'aria-hidden': 'true' });
      dot.style.background = CONDITION_COLOURS[c];
      return h('li', null, dot, t(`dev.cond.${c}`));
    }),
  );
  const noPos = h('p', { class: 'hint map-note', testid: `${opts.testid}-nopos`, hidden: true });
  const el = h('div', { class: 'device-map-wrap' }, container, legend, noPos);

  const map = L.map(container, {
    attributionControl: true,
    zoomControl: true,
    keyboard: true,
    minZoom: 3,
    maxZoom: 19,
    worldCopyJump: false,
  });
  map.attributionControl.setPrefix('Leaflet');
  L.control.scale({ imperial: false, metric: true }).addTo(map);
  const tileUrl = (state.meta?.map?.tile_url ?? '').trim();
  // Added once the container has a size (see fit), so no tile is fetched for a hidden map.
  const tiles = tileUrl ? L.tileLayer(tileUrl, { attribution: state.meta?.map?.attribution ?? '', maxZoom: 19 }) : null;
  if (tiles) {
    container.dataset.tiles = 'on';
  } else {
    container.dataset.tiles = 'off';
    container.classList.add('no-tiles');
  }
  map.fitBounds(VN_BOUNDS, { animate: false });
  map.on('zoomend', () => {
    container.dataset.zoom = String(map.getZoom());
  });

  const layer = L.featureGroup().addTo(map);
  let fitted = false;
  let loaded = false;
  let bounds: L.LatLngBounds | null = null;

  const fit = () => {
    if (!container.isConnected || container.clientWidth === 0) return;
    map.invalidateSize();
    // Wait for the first list of devices: the first view is the final one.
    if (fitted || !loaded) return;
    if (tiles && !map.hasLayer(tiles)) {
      // Fit first, then add the tiles: only the tiles of the final view are fetched.
      window.setTimeout(() => tiles.addTo(map), 0);
    }
    if (bounds && bounds.isValid()) {
      map.fitBounds(bounds.pad(0.2), { maxZoom: 15, animate: false });
    } else {
      map.fitBounds(VN_BOUNDS, { animate: false });
    }
    fitted = true;
  };
  // The view is built before it is attached: fit once the container has a size.
  if (typeof ResizeObserver !== 'undefined') {
    new ResizeObserver(() => fit()).observe(container);
  } else {
    requestAnimationFrame(() => fit());
  }

  const setDevices = (devices: Device[]) => {
    loaded = true;
    layer.clearLayers();
    let placed = 0;
    let unplaced = 0;
    const pts: L.LatLng[] = [];
    for (const d of devices) {
      if (typeof d.lat !== 'number' || typeof d.lon !== 'number' || !Number.isFinite(d.lat) || !Number.isFinite(d.lon)) {
        unplaced++;
        continue;
      }
      const c = condition(d);
      const ll = L.latLng(d.lat, d.lon);
      pts.push(ll);
      const marker = L.circleMarker(ll, {
        radius: c === 'playing' ? 10 : 8,
        color: '#ffffff',
        weight: 2,
        fillColor: CONDITION_COLOURS[c],
        fillOpacity: c === 'never' || c === 'decommissioned' ? 0.55 : 0.95,
        className: `dev-marker dev-marker-${d.id} cond-${c}`,
      });
      const link = h('a', { href: deviceHref(d.id), text: d.name || d.id });
      marker.bindPopup(h('div', { class: 'map-popup' }, h('strong', null, link), h('br'), `${d.id} · ${t(`dev.cond.${c}`)}`));
      marker.bindTooltip(`${d.name || d.id} — ${t(`dev.cond.${c}`)}`);
      marker.addTo(layer);
      placed++;
    }
    container.dataset.markers = String(placed);
    const newBounds = pts.length ? L.latLngBounds(pts) : null;
    // Refit when the set of positions changed (filter), not on every refresh.
    if (!bounds || !newBounds || !bounds.equals(newBounds)) fitted = false;
    bounds = newBounds;
    noPos.hidden = unplaced === 0;
    noPos.textContent = unplaced ? t('dev.map.unplaced', { n: unplaced }) : '';
    fit();
  };

  return { el, setDevices };
}
