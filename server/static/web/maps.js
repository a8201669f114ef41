/* Shared map helpers for the manager pages: tiles from config, GCJ-02 offset, status colours. */
(function () {
  'use strict'
  var A = 6378245.0
  var EE = 0.00669342162296594323

  function outOfChina (lat, lon) {
    return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
  }
  function tLat (x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3
    r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3
    r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3
    return r
  }
  function tLon (x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3
    r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3
    r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3
    return r
  }
  /** WGS-84 (what phones report and we store) to GCJ-02 (what Chinese tile sets are drawn in). */
  function wgsToGcj (lat, lon) {
    if (outOfChina(lat, lon)) return [lat, lon]
    var dLat = tLat(lon - 105, lat - 35)
    var dLon = tLon(lon - 105, lat - 35)
    var radLat = lat / 180 * Math.PI
    var magic = Math.sin(radLat)
    magic = 1 - EE * magic * magic
    var sqrtMagic = Math.sqrt(magic)
    dLat = (dLat * 180) / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI)
    dLon = (dLon * 180) / (A / sqrtMagic * Math.cos(radLat) * Math.PI)
    return [lat + dLat, lon + dLon]
  }

  var COLOURS = { visited: '#2e7d32', unvisited: '#9e9e9e', overdue: '#ef6c00', flagged: '#c62828',
    verified: '#2e7d32', anchored: '#2e7d32', far: '#c62828', suspect: '#c62828', low_accuracy: '#ef6c00', no_fix: '#ef6c00' }

  function escape (text) {
    return String(text == null ? '' : text).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]
    })
  }

  /** A Leaflet map in `element` with the configured tiles; markers keep working when tiles fail. */
  function createMap (element, tiles, note) {
    var map = L.map(element, { zoomControl: true, worldCopyJump: true }).setView([29.29, 121.43], 12)
    var layer = L.tileLayer(tiles.url, { attribution: tiles.attribution, maxZoom: 19, crossOrigin: true })
    var failed = 0
    layer.on('tileerror', function () {
      failed += 1
      if (failed === 3 && note) note.hidden = false
    })
    layer.addTo(map)
    map.lianhuCrs = tiles.crs === 'gcj02' ? 'gcj02' : 'wgs84'
    return map
  }

  /** Where to draw a stored WGS-84 point on this map's tiles. */
  function toMap (map, lat, lon) {
    return map.lianhuCrs === 'gcj02' ? wgsToGcj(lat, lon) : [lat, lon]
  }

  function statusIcon (status) {
    return L.divIcon({ className: 'hh-marker st-' + status, html: '<span style="background:' + (COLOURS[status] || '#607d8b') + '"></span>', iconSize: [16, 16], iconAnchor: [8, 8], popupAnchor: [0, -8] })
  }

  function readJson (element, name) {
    try { return JSON.parse(element.getAttribute(name) || 'null') } catch (e) { return null }
  }

  window.Lianhu = { wgsToGcj: wgsToGcj, createMap: createMap, toMap: toMap, statusIcon: statusIcon, colours: COLOURS, escape: escape, readJson: readJson }
})()
