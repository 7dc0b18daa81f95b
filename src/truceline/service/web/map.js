// The map: the theatre drawn from the service's own GeoJSON (no tiles, no glyphs, no
// sprite) and the incidents as circles coloured by status, sized and shaded by confidence.

import * as maplibregl from "./vendor/maplibre-gl/maplibre-gl.mjs";

export const STATUS_COLOURS = {
  clear_breach: "#c0392b",
  suspected_breach: "#e67e22",
  deconflicted: "#2e86c1",
  no_violation: "#7f8c8d",
};

const PARTY_COLOURS = ["#9ebcda", "#e3b59f", "#b5d3a7", "#d7b5d8"];

const EMPTY = { type: "FeatureCollection", features: [] };

function partyFill(parties) {
  const match = ["match", ["get", "party"]];
  parties.forEach((party, i) => match.push(party.code, PARTY_COLOURS[i % PARTY_COLOURS.length]));
  match.push("#cccccc");
  return match;
}

function style(theatre) {
  const kind = (k) => ["==", ["get", "kind"], k];
  const statusColour = ["match", ["get", "status"]];
  for (const [status, colour] of Object.entries(STATUS_COLOURS)) statusColour.push(status, colour);
  statusColour.push("#555555");
  return {
    version: 8,
    sources: {
      theatre: { type: "geojson", data: theatre },
      incidents: { type: "geojson", data: EMPTY, promoteId: "id" },
    },
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#f3f1ec" } },
      {
        id: "held-areas", type: "fill", source: "theatre", filter: kind("held_area"),
        paint: { "fill-color": partyFill(theatre.parties || []), "fill-opacity": 0.45 },
      },
      {
        id: "zones", type: "fill", source: "theatre", filter: kind("zone"),
        paint: {
          "fill-color": ["case", ["==", ["get", "zone"], "buffer"], "#b03a2e", "#d4ac0d"],
          "fill-opacity": ["case", ["==", ["get", "zone"], "buffer"], 0.18, 0.06],
        },
      },
      {
        id: "zone-edges", type: "line", source: "theatre", filter: kind("zone"),
        paint: { "line-color": "#7d6608", "line-width": 0.6, "line-dasharray": [3, 3] },
      },
      {
        id: "exclusions", type: "fill", source: "theatre", filter: kind("exclusion"),
        paint: { "fill-color": "#6a3d9a", "fill-opacity": 0.12 },
      },
      {
        id: "exclusion-edges", type: "line", source: "theatre", filter: kind("exclusion"),
        paint: { "line-color": "#6a3d9a", "line-width": 1, "line-dasharray": [2, 2] },
      },
      {
        id: "line", type: "line", source: "theatre", filter: kind("line"),
        paint: { "line-color": "#1b1b1b", "line-width": 2.2 },
      },
      {
        id: "incidents", type: "circle", source: "incidents",
        paint: {
          "circle-color": statusColour,
          "circle-radius": ["interpolate", ["linear"], ["get", "confidence"], 0, 3, 1, 9],
          "circle-opacity": ["interpolate", ["linear"], ["get", "confidence"], 0, 0.35, 1, 0.95],
          "circle-stroke-color": [
            "case", ["boolean", ["feature-state", "selected"], false], "#000000", "#ffffff",
          ],
          "circle-stroke-width": [
            "case", ["boolean", ["feature-state", "selected"], false], 2.5, 0.8,
          ],
        },
      },
    ],
  };
}

/** The features of the incidents layer, one point per determination. */
export function incidentFeatures(determinations) {
  return {
    type: "FeatureCollection",
    features: determinations.map((d) => ({
      type: "Feature",
      id: d.id,
      properties: {
        id: d.id,
        incident_id: d.incident_id,
        status: d.status,
        confidence: d.confidence,
        clear_breach: d.clear_breach,
        severity: d.severity || "",
        start: d.start,
      },
      geometry: { type: "Point", coordinates: [d.lon, d.lat] },
    })),
  };
}

/**
 * Make the map in `container` over the theatre; `onOpen(incidentId)` is called when an
 * incident is clicked. Resolves once the style is loaded.
 */
export function makeMap(container, theatre, onOpen) {
  const bounds = theatre.bbox;
  const map = new maplibregl.Map({
    container,
    style: style(theatre),
    bounds: [[bounds[0], bounds[1]], [bounds[2], bounds[3]]],
    fitBoundsOptions: { padding: 24 },
    attributionControl: false,
    maxPitch: 0,
    dragRotate: false,
    fadeDuration: 0,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  map.on("click", "incidents", (event) => {
    const feature = event.features && event.features[0];
    if (feature) onOpen(feature.properties.incident_id);
  });
  map.on("mouseenter", "incidents", () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", "incidents", () => { map.getCanvas().style.cursor = ""; });
  return new Promise((resolve) => map.once("load", () => resolve(map)));
}

/**
 * Replace the incidents drawn. The container's `data-count` is the number given;
 * `data-features` the number drawn in view, once the map is idle again.
 */
export function showIncidents(map, determinations) {
  const container = map.getContainer();
  container.dataset.loading = "true";
  container.dataset.count = String(determinations.length);
  map.getSource("incidents").setData(incidentFeatures(determinations));
  map.once("idle", () => {
    const ids = new Set(map.querySourceFeatures("incidents").map((f) => f.properties.id));
    container.dataset.features = String(ids.size);
    container.dataset.loading = "false";
  });
}

let selected = null;

/** Outline one determination's circle (or none). */
export function select(map, determinationId) {
  if (selected) map.setFeatureState({ source: "incidents", id: selected }, { selected: false });
  selected = determinationId;
  if (selected) map.setFeatureState({ source: "incidents", id: selected }, { selected: true });
}
