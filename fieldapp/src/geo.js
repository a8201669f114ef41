// Distances for sorting, and the tile arithmetic of the small household map.
export function distanceM (lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180
  const a = Math.sin((lat2 - lat1) * rad / 2) ** 2 +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin((lon2 - lon1) * rad / 2) ** 2
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a))
}

export function formatDistance (m) {
  if (m == null || Number.isNaN(m)) return ''
  return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`
}

/** The phone's position once ({lat, lon, accuracy}), or null. */
export function currentPosition (timeout = 10000) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null)
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy }),
      () => resolve(null), { enableHighAccuracy: true, timeout, maximumAge: 60000 })
  })
}

// WGS-84 -> GCJ-02, for tile sets published in the Chinese datum (TILE_CRS=gcj02).
export function wgs84ToGcj02 (lat, lon) {
  const a = 6378245.0; const ee = 0.00669342162296594323
  if (lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271) return [lat, lon]
  const x = lon - 105.0; const y = lat - 35.0
  let dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) +
    (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0 +
    (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0 +
    (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0
  let dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) +
    (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0 +
    (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0 +
    (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0
  const radLat = lat / 180.0 * Math.PI
  let magic = Math.sin(radLat); magic = 1 - ee * magic * magic
  const sqrtMagic = Math.sqrt(magic)
  dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sqrtMagic) * Math.PI)
  dLon = (dLon * 180.0) / (a / sqrtMagic * Math.cos(radLat) * Math.PI)
  return [lat + dLat, lon + dLon]
}

/** A 3x3 block of tiles around a point: [{url, left, top}] in px, and the point's offset. */
export function tileMosaic (template, lat, lon, zoom = 17, size = 256) {
  const n = 2 ** zoom
  const x = (lon + 180) / 360 * n
  const latRad = lat * Math.PI / 180
  const y = (1 - Math.log(Math.tan(latRad) + 1 / Math.cos(latRad)) / Math.PI) / 2 * n
  const tx = Math.floor(x); const ty = Math.floor(y)
  const tiles = []
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const url = template.replace('{z}', zoom).replace('{x}', tx + dx).replace('{y}', ty + dy)
        .replace('{s}', 'abc'[(tx + dx + ty + dy) % 3 >>> 0] || 'a')
      tiles.push({ url, left: (dx + 1) * size, top: (dy + 1) * size })
    }
  }
  return { tiles, pointX: (x - tx + 1) * size, pointY: (y - ty + 1) * size }
}
