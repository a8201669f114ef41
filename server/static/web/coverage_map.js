/* The coverage map: households from /api/v1/coverage/map.json (the compact form of map.geojson: one array
   per household), clustered, coloured by status. */
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

  /** The compact map's rows as the properties the popup shows (p.status a name, p.cadre a name). */
  function households (data) {
    var at = {}
    ;(data.fields || []).forEach(function (name, i) { at[name] = i })
    var statuses = data.statuses || []
    var cadres = data.cadres || {}
    return (data.rows || []).map(function (r) {
      var cadre = r[at.cadre]
      return { lon: r[at.lon], lat: r[at.lat], id: r[at.id], code: r[at.code], head: r[at.head],
        status: statuses[r[at.status]], last_visit: r[at.last_visit], area_id: r[at.area_id],
        cadre: cadre === null || cadre === undefined ? null : (cadres[String(cadre)] || null) }
    })
  }

  function show (data) {
    var markers = []
    var bounds = []
    households(data).forEach(function (p) {
      if (p.lat === null || p.lon === null || p.lat === undefined || p.lon === undefined) return
      var at = Lianhu.toMap(map, p.lat, p.lon)
      var status = p.status || 'unvisited'
      var marker = L.marker(at, { icon: Lianhu.statusIcon(status), title: p.code, status: status })
      marker.bindPopup(function () { return popup(p) })  // built when opened, not for every household
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

  fetch(element.dataset.url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
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
