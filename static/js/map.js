/*
 * map.js — the optional map of the location step. Without JavaScript, without Leaflet or
 * without network the citizen types an address or coordinates; with them, a click on the
 * map fills the latitude and longitude fields, and typing coordinates moves the marker.
 * With address.js, a place chosen in the address search or found by «Me localiser»
 * (`guichet:place` {lat, lon, label} on the document) moves the marker there, and a click
 * tells the address search where the marker now is (`guichet:pick` {lat, lon}), which fills
 * the address text from the collectivité's address list.
 * Configuration comes from the map container's data attributes (tile URL, attribution,
 * centre and zoom — the collectivité's, set in the back office —, names of the coordinate
 * inputs).
 */
(function () {
  'use strict';

  var el = document.getElementById('map');
  if (!el || typeof window.L === 'undefined' || !el.getAttribute('data-tiles')) {
    return;
  }
  var L = window.L;
  var latInput = document.getElementById(el.getAttribute('data-lat-input') || 'lat');
  var lonInput = document.getElementById(el.getAttribute('data-lon-input') || 'long');
  if (!latInput || !lonInput) {
    return;
  }

  function parse(value) {
    var n = parseFloat(String(value || '').replace(',', '.'));
    return isFinite(n) ? n : null;
  }

  var lat = parse(el.getAttribute('data-lat'));
  var lon = parse(el.getAttribute('data-lon'));
  if (lat === null || lon === null) {
    return;
  }

  el.hidden = false;
  var help = document.getElementById('map-help');
  if (help) {
    help.hidden = false;
  }

  var zoom = parseInt(el.getAttribute('data-zoom'), 10);
  if (!(zoom >= 1 && zoom <= 19)) {
    zoom = 15;
  }
  var map = L.map(el, { scrollWheelZoom: false }).setView([lat, lon], zoom);
  L.tileLayer(el.getAttribute('data-tiles'), {
    maxZoom: 19,
    attribution: el.getAttribute('data-attribution') || ''
  }).addTo(map);

  var marker = null;
  function place(latlng) {
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = L.circleMarker(latlng, { radius: 9, weight: 3, color: '#1b1b1b', fillColor: '#ffbf47', fillOpacity: 1 }).addTo(map);
    }
  }

  if (el.getAttribute('data-marker') === '1') {
    place([lat, lon]);
  }

  function announce(name, detail) {
    var event;
    try {
      event = new CustomEvent(name, { detail: detail });
    } catch (e) {
      event = document.createEvent('CustomEvent');
      event.initCustomEvent(name, false, false, detail);
    }
    document.dispatchEvent(event);
  }

  map.on('click', function (event) {
    place(event.latlng);
    latInput.value = event.latlng.lat.toFixed(6);
    lonInput.value = event.latlng.lng.toFixed(6);
    announce('guichet:pick', { lat: event.latlng.lat, lon: event.latlng.lng });
  });

  document.addEventListener('guichet:place', function (event) {
    var d = event.detail || {};
    if (typeof d.lat !== 'number' || typeof d.lon !== 'number' ||
        Math.abs(d.lat) > 90 || Math.abs(d.lon) > 180) {
      return;
    }
    place([d.lat, d.lon]);
    map.setView([d.lat, d.lon], Math.max(map.getZoom(), 17));
  });

  function fromInputs() {
    var a = parse(latInput.value);
    var b = parse(lonInput.value);
    if (a !== null && b !== null && Math.abs(a) <= 90 && Math.abs(b) <= 180) {
      place([a, b]);
      map.panTo([a, b]);
    }
  }
  latInput.addEventListener('change', fromInputs);
  lonInput.addEventListener('change', fromInputs);
})();
