/* Lianhu field app service worker: the app shell is precached (cache first), so a reload with no
   network opens the app; the published XForms and the user's households.csv are cached as they are
   fetched (network first, cache when offline). API calls and submissions always go to the network. */
const VERSION = '__VERSION__'
const PRECACHE = ['__PRECACHE__']
const SHELL = 'lianhu-shell-' + VERSION
const DATA = 'lianhu-data'

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(PRECACHE)))
})

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('lianhu-shell-') && key !== SHELL) await caches.delete(key)
    }
    await self.clients.claim()
  })())
})

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting()
  if (event.data === 'forget-data') event.waitUntil(caches.delete(DATA))
})

async function shellFirst (request) {
  const cache = await caches.open(SHELL)
  const hit = await cache.match(request, { ignoreSearch: true })
  return hit || fetch(request)
}

async function networkFirst (request) {
  const cache = await caches.open(DATA)
  try {
    const response = await fetch(request)
    if (response.ok) await cache.put(request, response.clone())
    return response
  } catch (error) {
    const hit = await cache.match(request)
    if (hit) return hit
    throw error
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin) return
  const path = url.pathname
  if (request.mode === 'navigate' && (path === '/app' || path.startsWith('/app/'))) {
    event.respondWith(caches.open(SHELL).then((c) => c.match('/app/')).then((hit) => hit || fetch(request)))
  } else if (path === '/app/config.json') {
    event.respondWith(networkFirst(request))
  } else if (path.startsWith('/app/')) {
    event.respondWith(shellFirst(request))
  } else if (/^\/key\/[^/]+\/openrosa\/forms\//.test(path)) {
    event.respondWith(networkFirst(request))
  }
})

console.debug('lianhu sw', VERSION)
