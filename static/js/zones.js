/*
 * zones.js — drawing an area's outline on the back office's «Zones» page. Without
 * JavaScript, without Leaflet or without tiles the administrator pastes GeoJSON in the
 * «Tracé» field; with them, each click on the map adds a vertex (a marker that can be dragged
 * to move it), and the field is filled at each change with the closed Polygon the form
 * posts. From the keyboard: the map pans with the arrow keys (Leaflet's), «Ajouter un sommet
 * au centre de la carte» adds one where the cross-hair is, «Retirer le dernier sommet» and
 * «Effacer le tracé» undo. The field stays the form's only input, and the server checks it.
 */
(function () {
  'use strict';

  var el = document.getElementById('zone-map');
  var field = document.getElementById('geojson');
  var tools = document.getElementById('zone-tools');
  /* Without the form (a manager's read-only view), the map only shows the areas. */
  if (!el || typeof window.L === 'undefined') {
    return;
  }
  var L = window.L;
  var lat = parseFloat(el.getAttribute('data-lat'));
  var lon = parseFloat(el.getAttribute('data-lon'));
  var zoom = parseInt(el.getAttribute('data-zoom'), 10);
  if (!isFinite(lat) || !isFinite(lon)) {
    return;
  }
  el.hidden = false;
  var map = L.map(el, { scrollWheelZoom: false, keyboard: true }).setView([lat, lon], zoom >= 1 && zoom <= 19 ? zoom : 14);
  if (el.getAttribute('data-tiles')) {
    L.tileLayer(el.getAttribute('data-tiles'), {
      maxZoom: 19,
      attribution: el.getAttribute('data-attribution') || ''
    }).addTo(map);
  }

  /* The collectivité's areas in grey, the one being edited in blue; not clickable, so that a
   * click inside one adds a vertex (the table names them for every reader). */
  var outlines = null;
  try {
    outlines = JSON.parse(el.getAttribute('data-outlines') || 'null');
  } catch (e) { outlines = null; }
  if (outlines) {
    var layer = L.geoJSON(outlines, {
      interactive: false,
      style: function (f) {
        return f.properties.editing ? { color: '#0b5cad', weight: 3, fillOpacity: 0.15 }
                                    : { color: '#6b6b6b', weight: 1, fillOpacity: 0.05 };
      }
    }).addTo(map);
    map.fitBounds(layer.getBounds());
  }
  if (!field || !tools) {
    return;
  }
  tools.hidden = false;

  var vertices = [];
  var shape = L.polygon([], { color: '#1b1b1b', weight: 3, fillColor: '#ffbf47', fillOpacity: 0.3 }).addTo(map);
  var status = document.getElementById('zone-status');

  /* Positions in GeoJSON's order (longitude, latitude), six decimals (about 10 cm). */
  function position(latlng) {
    return [Number(latlng.lng.toFixed(6)), Number(latlng.lat.toFixed(6))];
  }

  function write() {
    var latlngs = vertices.map(function (m) { return m.getLatLng(); });
    shape.setLatLngs(latlngs);
    if (latlngs.length >= 3) {
      var ring = latlngs.map(position);
      ring.push(ring[0]);
      field.value = JSON.stringify({ type: 'Polygon', coordinates: [ring] });
    } else {
      field.value = '';
    }
    if (status) {
      status.textContent = status.getAttribute('data-template').replace('{n}', String(vertices.length));
    }
  }

  function add(latlng) {
    var m = L.marker(latlng, { draggable: true, keyboard: false }).addTo(map);
    m.on('drag', write);
    vertices.push(m);
    write();
  }

  /* A drawing already in the field (an area being redrawn, or what was typed before a
   * refusal) is shown and can be changed. */
  try {
    var typed = JSON.parse(field.value);
    var outer = typed && typed.type === 'Polygon' && typed.coordinates[0];
    if (outer && outer.length >= 4) {
      outer.slice(0, -1).forEach(function (p) { add(L.latLng(p[1], p[0])); });
      map.fitBounds(shape.getBounds());
    }
  } catch (e) { /* not JSON: left as typed, for the server to say what is wrong */ }

  map.on('click', function (event) { add(event.latlng); });
  document.getElementById('zone-add').addEventListener('click', function () { add(map.getCenter()); });
  document.getElementById('zone-undo').addEventListener('click', function () {
    var m = vertices.pop();
    if (m) {
      map.removeLayer(m);
    }
    write();
  });
  document.getElementById('zone-clear').addEventListener('click', function () {
    vertices.forEach(function (m) { map.removeLayer(m); });
    vertices = [];
    write();
  });
})();
