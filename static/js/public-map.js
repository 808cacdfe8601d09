/*
 * public-map — progressive enhancement of the public incidents pages (/signalements): once
 * Leaflet has loaded, shows the incidents listed in the page's #map-data block on a map.
 * Without JavaScript, without Leaflet or without tiles, the list stays the whole page, and
 * the map repeats nothing the list does not already say.
 */
(function () {
    'use strict';
    var el = document.getElementById('public-map');
    var dataEl = document.getElementById('map-data');
    if (!el || !dataEl || typeof window.L === 'undefined') return;
    var tiles = el.getAttribute('data-tiles');
    if (!tiles) return;
    var data;
    try {
        data = JSON.parse(dataEl.textContent);
    } catch (e) {
        return;
    }
    var markers = (data && data.markers) || [];
    if (!markers.length) return;

    el.hidden = false;
    var L = window.L;
    var map = L.map(el, { scrollWheelZoom: false });
    L.tileLayer(tiles, {
        attribution: el.getAttribute('data-attribution') || '',
        maxZoom: 19,
    }).addTo(map);

    /* Popups are built from text nodes: the data came from citizens' input (addresses). */
    function popup(m) {
        var div = document.createElement('div');
        var title = document.createElement('strong');
        title.textContent = m.title || '';
        div.appendChild(title);
        [m.status, m.address].forEach(function (line) {
            if (!line) return;
            var p = document.createElement('p');
            p.textContent = line;
            div.appendChild(p);
        });
        if (m.url && m.url.charAt(0) === '/' && m.url.charAt(1) !== '/') {
            var a = document.createElement('a');
            a.href = m.url;
            a.textContent = m.title || m.url;
            div.appendChild(a);
        }
        return div;
    }

    var points = [];
    markers.forEach(function (m) {
        if (typeof m.lat !== 'number' || typeof m.lon !== 'number') return;
        var label = (m.title || '') + (m.address ? ' – ' + m.address : '');
        L.marker([m.lat, m.lon], { title: label, alt: label, keyboard: true })
            .bindPopup(popup(m))
            .addTo(map);
        points.push([m.lat, m.lon]);
    });
    if (!points.length) {
        el.hidden = true;
        return;
    }
    if (points.length === 1) map.setView(points[0], 17);
    else map.fitBounds(points, { padding: [24, 24], maxZoom: 17 });
})();
