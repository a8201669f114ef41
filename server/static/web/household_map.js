/* The household page's small map: its reference point and where each visit was captured. */
(function () {
  'use strict'
  var element = document.getElementById('household-map')
  if (!element || !window.L) return
  var home = Lianhu.readJson(element, 'data-household') || {}
  var visits = Lianhu.readJson(element, 'data-visits') || []
  var tiles = Lianhu.readJson(element, 'data-tiles') || { url: '', attribution: '' }
  var map = Lianhu.createMap(element, tiles, document.getElementById('map-note'))
  var points = []
  if (home.lat != null && home.lon != null) {
    var at = Lianhu.toMap(map, home.lat, home.lon)
    L.circle(at, { radius: home.radius || 100, color: '#1565c0', weight: 1, fillOpacity: 0.08 }).addTo(map)
    L.marker(at, { icon: L.divIcon({ className: 'hh-home', html: '<span>⌂</span>', iconSize: [22, 22], iconAnchor: [11, 11] }) })
      .bindPopup('<strong>' + Lianhu.escape(home.code) + '</strong>').addTo(map)
    points.push(at)
  }
  visits.forEach(function (v) {
    var at = Lianhu.toMap(map, v.lat, v.lon)
    L.marker(at, { icon: Lianhu.statusIcon(v.status) })
      .bindPopup('<div class="popup">' + Lianhu.escape(v.label || v.at) + '<br>' + Lianhu.escape(v.by) + '</div>').addTo(map)
    points.push(at)
  })
  if (points.length === 1) map.setView(points[0], 17)
  else if (points.length > 1) map.fitBounds(points, { padding: [30, 30], maxZoom: 18 })
})()
