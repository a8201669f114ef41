import { createApp, markRaw } from 'vue'
import App from './App.vue'
import './app.css'
import { loadState, drainOutbox, syncNow, state, watchConnectivity } from './sync.js'
import { setLang, lang } from './i18n.js'

setLang(lang.value)

async function start () {
  await loadState()
  createApp(App).mount('#app')
  watchConnectivity()
  if (state.token) {
    if (navigator.onLine) syncNow()
    else drainOutbox({ force: true })
  }
}

// A new build waits until the user taps "update" (never in the middle of a form).
function watchUpdate (registration) {
  const waiting = () => { if (registration.waiting && navigator.serviceWorker.controller) state.update = markRaw(registration.waiting) }
  waiting()
  registration.addEventListener('updatefound', () => {
    registration.installing?.addEventListener('statechange', waiting)
  })
}

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).then(watchUpdate)
    .catch((e) => console.warn('service worker', e))
  let reloading = false
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (state.update && !reloading) { reloading = true; location.reload() }
  })
  navigator.serviceWorker.ready.then(() => { document.documentElement.dataset.offlineReady = '1' })
}
start()
