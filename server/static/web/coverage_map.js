/* The coverage map: households from /api/v1/coverage/map.geojson, clustered, coloured by status. */
(function () {
  'use strict'
  var element = document.getElementById('coverage-map')
  if (!element || !window.L) return
  var t = Lianhu.readJson(element, 'data-i18n') || {}
  var tiles = Lianhu.readJson(element, 'data-tiles') || { url: '', attribution: '' }
  var count = document.getElementById('map-count')
  var map = Lianhu.createMap(element, tiles, document.getElementById('map-note'))
  var ORDER = ['visited', 'unvisited', 'overdue', 'flagged']

  /** A cluster as a ring showing the share of each status, with the number of households inside. */
  function clusterIcon (cluster) {
    var counts = { visited: 0, unvisited: 0, overdue: 0, flagged: 0 }
    cluster.getAllChildMarkers().forEach(function (m) { counts[m.options.status] = (counts[m.options.status] || 0) + 1 })
    var n = cluster.getChildCount()
    var stops = []
    var done = 0
    ORDER.forEach(function (s) {
      if (!counts[s]) return
      var from = done / n * 360
      done += counts[s]
      stops.push(Lianhu.colours[s] + ' ' + from.toFixed(1) + 'deg ' + (done / n * 360).toFixed(1) + 'deg')
    })
    var size = n < 10 ? 36 : n < 100 ? 42 : n < 1000 ? 50 : 58
    return L.divIcon({ className: 'hh-cluster', iconSize: L.point(size, size),
      html: '<div style="background: conic-gradient(' + stops.join(', ') + ')"><span>' + n + '</span></div>' })
  }

  var clusters = L.markerClusterGroup({ chunkedLoading: true, maxClusterRadius: 50, showCoverageOnHover: false,
    disableClusteringAtZoom: 18, iconCreateFunction: clusterIcon })
  map.addLayer(clusters)

  function popup (p) {
    var status = p.status || 'unvisited'
    var when = p.last_visit ? new Date(p.last_visit).toLocaleDateString(t.locale || undefined) : (t.never || '—')
    return '<div class="popup"><strong><a href="' + element.dataset.householdUrl.replace('0', String(p.id)) + '">' +
      Lianhu.escape(p.code) + '</a></strong> ' + Lianhu.escape(p.head || '') + '<br>' +
      '<span class="dot" style="background:' + (Lianhu.colours[status] || '#607d8b') + '"></span>' +
      Lianhu.escape((t.status || {})[status] || status) + '<br>' +
      Lianhu.escape(t.cadre || 'Cadre') + ': ' + Lianhu.escape(p.cadre || '—') + '<br>' +
      Lianhu.escape(t.lastVisit || 'Last visit') + ': ' + Lianhu.escape(when) + '</div>'
  }

  function show (geojson) {
    var markers = []
    var bounds = []
    ;(geojson.features || []).forEach(function (f) {
      if (!f.geometry || !f.geometry.coordinates) return
      var c = f.geometry.coordinates
      var at = Lianhu.toMap(map, c[1], c[0])
      var status = f.properties.status || 'unvisited'
      var marker = L.marker(at, { icon: Lianhu.statusIcon(status), title: f.properties.code, status: status })
      marker.bindPopup(popup(f.properties))
      markers.push(marker)
      bounds.push(at)
    })
    clusters.addLayers(markers)
    if (bounds.length) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 17 })
    if (count) count.textContent = String(markers.length)
    var shown = { visited: 0, unvisited: 0, overdue: 0, flagged: 0 }
    markers.forEach(function (m) { shown[m.options.status] = (shown[m.options.status] || 0) + 1 })
    ORDER.forEach(function (s) {
      var cell = document.querySelector('[data-map-count="' + s + '"]')
      if (cell) cell.textContent = String(shown[s] || 0)
    })
    element.dataset.loaded = String(markers.length)
  }

  fetch(element.dataset.url, { credentials: 'same-origin', headers: { Accept: 'application/geo+json, application/json' } })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status + ' ' + response.statusText)
      return response.json()
    })
    .then(show)
    .catch(function (error) {
      var note = document.getElementById('map-error')
      if (note) { note.hidden = false; note.textContent = (t.loadFailed || 'Could not load households') + ': ' + error.message }
      element.dataset.loaded = 'error'
    })
})()
