// Drawing one polygon on a Leaflet map: each click on the map adds a vertex; "undo" takes back the
// last step (a vertex, or the closing of the ring), "clear" starts again, "close" finishes the
// ring. Keyboard users pan the map with the arrow keys and add the vertex at the map's centre.
// Same map set-up as the alert map (alertMap.ts): tiles only when the server configures them, so
// it works offline on a plain background. Points are [lat, lon], rounded to 6 decimals (~0.1 m).

import * as L from 'leaflet';
import { h } from '../dom';
import { t } from '../i18n';
import { baseMap, onSized } from './alertMap';

export interface PolygonDraw {
  el: HTMLElement;
  /** The vertices drawn so far, [lat, lon], without repeating the first one. */
  points(): [number, number][];
  /** True once the ring was closed with the "close" button. */
  closed(): boolean;
  /** Grey dots to draw around (e.g. the devices of a unit); the view moves to them while nothing is drawn. */
  setReference(dots: { lat: number; lon: number }[]): void;
}

/** Vietnam: the first view, before anything is drawn. */
const VN_BOUNDS = L.latLngBounds([8.2, 102.1], [23.4, 109.5]);
const LINE_STYLE: L.PathOptions = { color: '#b3261e', weight: 2, fillColor: '#b3261e', fillOpacity: 0.18, interactive: false };

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

export function polygonDraw(opts: { testid: string; label: string }): PolygonDraw {
  const id = opts.testid;
  const container = h('div', { class: 'device-map polygon-map', testid: `${id}-map`, role: 'region', 'aria-label': opts.label, 'data-vertices': '0' });
  const { map, tiles } = baseMap(container, { doubleClickZoom: false });
  const refLayer = L.featureGroup().addTo(map);
  const layer = L.featureGroup().addTo(map);
  let pts: L.LatLng[] = [];
  /** Where the view should be while nothing is drawn: the reference dots, else Vietnam. */
  let home = VN_BOUNDS;
  let isClosed = false;

  const count = h('p', { class: 'polygon-count', testid: `${id}-count`, 'aria-live': 'polite' });
  const button = (suffix: string, text: string, onClick: () => void) =>
    h('button', { type: 'button', class: 'btn btn-small', testid: `${id}-${suffix}`, text, on: { click: onClick } });
  const addCentre = button('add-centre', t('poly.addCentre'), () => add(map.getCenter()));
  const undo = button('undo', t('poly.undo'), () => {
    if (isClosed) isClosed = false;
    else pts = pts.slice(0, -1);
    redraw();
  });
  const close = button('close', t('poly.close'), () => {
    isClosed = true;
    redraw();
  });
  const clear = button('clear', t('poly.clear'), () => {
    pts = [];
    isClosed = false;
    redraw();
  });

  const add = (ll: L.LatLng) => {
    const p = L.latLng(round6(ll.lat), round6(ll.lng));
    // A second click on the same spot (a double click) adds nothing.
    if (isClosed || pts[pts.length - 1]?.equals(p)) return;
    pts = [...pts, p];
    redraw();
  };

  const redraw = () => {
    layer.clearLayers();
    if (isClosed && pts.length >= 3) L.polygon(pts, { ...LINE_STYLE, className: 'draw-shape draw-polygon' }).addTo(layer);
    else if (pts.length >= 2) L.polyline(pts, { ...LINE_STYLE, className: 'draw-shape draw-line' }).addTo(layer);
    for (const p of pts) {
      L.circleMarker(p, { radius: 5, color: '#ffffff', weight: 2, fillColor: '#b3261e', fillOpacity: 1, interactive: false, className: 'draw-vertex' }).addTo(layer);
    }
    container.dataset.vertices = String(pts.length);
    container.dataset.closed = String(isClosed);
    count.textContent = countText(pts.length, isClosed);
    addCentre.disabled = isClosed;
    undo.disabled = pts.length === 0;
    close.disabled = isClosed || pts.length < 3;
    clear.disabled = pts.length === 0;
  };

  map.on('click', (ev: L.LeafletMouseEvent) => add(ev.latlng));
  map.fitBounds(VN_BOUNDS, { animate: false });
  let sized = false;
  const goHome = () => map.fitBounds(home.pad(0.2), { maxZoom: 12, animate: false });
  onSized(container, () => {
    if (!container.isConnected || container.clientWidth === 0) return;
    map.invalidateSize();
    if (sized) return;
    sized = true;
    goHome();
    if (tiles) window.setTimeout(() => tiles.addTo(map), 0);
  });
  redraw();

  const refNote = h('p', { class: 'hint', testid: `${id}-ref`, hidden: true });
  const setReference = (dots: { lat: number; lon: number }[]) => {
    refLayer.clearLayers();
    const placed = dots.filter((d) => Number.isFinite(d.lat) && Number.isFinite(d.lon));
    for (const d of placed) {
      L.circleMarker([d.lat, d.lon], { radius: 4, color: '#ffffff', weight: 1, fillColor: '#6b7683', fillOpacity: 0.9, interactive: false, className: 'draw-ref' }).addTo(refLayer);
    }
    container.dataset.refs = String(placed.length);
    refNote.hidden = placed.length === 0;
    refNote.textContent = placed.length ? t('poly.refs', { n: placed.length }) : '';
    home = placed.length ? L.latLngBounds(placed.map((d) => [d.lat, d.lon] as [number, number])) : VN_BOUNDS;
    if (sized && pts.length === 0) goHome();
  };

  const el = h(
    'div',
    { class: 'polygon-draw', testid: id },
    h('p', { class: 'hint', text: t('poly.hint') }),
    container,
    refNote,
    h('div', { class: 'polygon-tools' }, count, h('div', { class: 'row-actions' }, addCentre, undo, close, clear)),
  );
  return {
    el,
    points: () => pts.map((p) => [p.lat, p.lng] as [number, number]),
    closed: () => isClosed,
    setReference,
  };
}

function countText(n: number, closed: boolean): string {
  if (n === 0) return t('poly.none');
  if (closed) return t('poly.countClosed', { n });
  return n < 3 ? t('poly.countShort', { n }) : t('poly.countOpen', { n });
}

/** Twice the signed area of triangle (a, b, c): the side of c relative to a→b. */
function cross(a: [number, number], b: [number, number], c: [number, number]): number {
  return (b[1] - a[1]) * (c[0] - a[0]) - (b[0] - a[0]) * (c[1] - a[1]);
}

/** True when segments p1–p2 and q1–q2 cross or touch. */
function segmentsMeet(p1: [number, number], p2: [number, number], q1: [number, number], q2: [number, number]): boolean {
  const d1 = cross(q1, q2, p1);
  const d2 = cross(q1, q2, p2);
  const d3 = cross(p1, p2, q1);
  const d4 = cross(p1, p2, q2);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  const within = (a: [number, number], b: [number, number], c: [number, number]) =>
    Math.min(a[0], b[0]) <= c[0] && c[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= c[1] && c[1] <= Math.max(a[1], b[1]);
  return (d1 === 0 && within(q1, q2, p1)) || (d2 === 0 && within(q1, q2, p2)) || (d3 === 0 && within(p1, p2, q1)) || (d4 === 0 && within(p1, p2, q2));
}

/** True when the ring through `pts` (closed back to the first point) crosses itself. */
export function selfIntersects(pts: [number, number][]): boolean {
  const n = pts.length;
  if (n < 4) return false;
  const edge = (i: number): [[number, number], [number, number]] => [pts[i], pts[(i + 1) % n]];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      // Neighbouring edges share a vertex: that is not a crossing.
      if (j === i + 1 || (i === 0 && j === n - 1)) continue;
      const [a, b] = edge(i);
      const [c, d] = edge(j);
      if (segmentsMeet(a, b, c, d)) return true;
    }
  }
  return false;
}
