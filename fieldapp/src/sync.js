// Sign-in, the pull of households and forms, and the outbox that sends saved visits over OpenRosa.
import { reactive } from 'vue'
import * as api from './api.js'
import * as store from './db.js'
import { lang, t } from './i18n.js'

export const state = reactive({
  ready: false, token: null, username: null, pending: 0, lastSync: null, syncing: false,
  online: navigator.onLine, error: '', revoked: false, version: 0, update: null
})

const MAX_BACKOFF_MS = 10 * 60 * 1000
let retryTimer = null
let draining = null

export async function loadState () {
  state.token = (await store.getKv('token')) ?? null
  state.username = (await store.getKv('username')) ?? null
  state.lastSync = (await store.getKv('last_sync')) ?? null
  state.revoked = Boolean(await store.getKv('revoked'))
  await refreshPending()
  state.ready = true
}

export async function refreshPending () {
  state.pending = await store.outboxCount()
  state.version++
}

export async function signIn (username, password) {
  const previous = await store.getKv('username')
  const { token, deviceId } = await api.registerDevice(username, password, deviceName())
  if (previous && previous !== username) await store.clearUserData()
  await store.setKv('token', token)
  await store.setKv('username', username)
  await store.setKv('device_id', deviceId)
  await store.delKv('revoked')
  Object.assign(state, { token, username, revoked: false, error: '' })
  await syncNow()
}

function deviceName () {
  const ua = navigator.userAgent
  const model = /Android[^;)]*;\s*([^;)]+)/.exec(ua)?.[1] || (/iPhone|iPad/.exec(ua)?.[0]) || 'browser'
  return `fieldapp ${model}`.slice(0, 80)
}

export async function signOut () {
  clearTimeout(retryTimer)
  await store.forgetEverything()
  navigator.serviceWorker?.controller?.postMessage('forget-data')
  Object.assign(state, { token: null, username: null, pending: 0, lastSync: null, revoked: false, error: '' })
  state.version++
}

async function tokenRevoked () {
  await store.delKv('token')
  await store.setKv('revoked', true)
  Object.assign(state, { token: null, revoked: true })
}

/** Send the outbox first, then pull households, forms and cases, then ask for the verdicts on what was
 * sent: after a sync the list already shows the visits just sent (no household left "due" by mistake). */
export async function syncNow () {
  if (!state.token || state.syncing) return
  state.syncing = true
  state.error = ''
  try {
    await drainOutbox({ force: true, pull: false })
    if (!state.token) return
    await pullAll(state.token)
    await refreshCases(state.token)
    await refreshVerdicts(state.token)
    const now = new Date().toISOString()
    await store.setKv('last_sync', now)
    state.lastSync = now
  } catch (error) {
    if (error instanceof api.TokenRevoked) await tokenRevoked()
    else state.error = error instanceof api.NetworkError ? t('noNetwork') : error.message
  } finally {
    state.syncing = false
    state.version++
  }
}

/** After visits were sent outside a full sync: pull so the households' due dates and verdicts are right. */
async function pullAfterSend () {
  if (!state.token || state.syncing || !navigator.onLine) return
  try {
    await pullAll(state.token)
    await refreshCases(state.token)
    await refreshVerdicts(state.token)
  } catch (error) {
    if (error instanceof api.TokenRevoked) await tokenRevoked()
    else console.warn('pull after send', error)
  } finally {
    state.version++
  }
}

/** Ask the server how it judged our sent visits (until each has a verdict that will not change by itself). */
async function refreshVerdicts (token) {
  const open = (await store.allSent()).filter((v) => !v.geo_status || v.review_state === 'received')
    .sort((a, b) => (b.sent_at || '').localeCompare(a.sent_at || '')).slice(0, 200)
  if (!open.length) return
  const byId = new Map(open.map((v) => [v.id, v]))
  for (const verdict of await api.verdicts(token, [...byId.keys()])) {
    const sent = byId.get(verdict.instance_id)
    if (sent) await store.updateSent({ ...sent, ...verdict, id: sent.id })
  }
}

/** The cases the server shows this user, with the changes still queued in the outbox applied on top. */
async function refreshCases (token) {
  const items = await api.listCases(token)
  await store.replaceCases(items)
  await applyQueuedCaseChanges()
}

async function applyQueuedCaseChanges () {
  for (const item of (await store.allOutbox()).filter((i) => i.kind === 'case' && i.status !== 'rejected')) {
    const cached = await store.getCase(item.case_id)
    if (cached) await store.putCase({ ...cached, status: item.to_status, queued: true })
  }
}

/** A queued case change: its photo first (once), then the status change with the note. */
async function sendCaseChange (token, item) {
  const photo = (item.parts || []).find((p) => p.name === 'photo' && p.blob)
  if (photo && !item.photo_ref) {
    const sent = await api.putCasePhoto(token, item.case_id, photo.blob)
    if (!sent.ok) return sent
    item.photo_ref = sent.photo
    await store.updateOutbox(item)
  }
  return api.patchCase(token, item)
}

/** Queue a case change (claimed | resolved, with a note and an optional photo) in the outbox; it is
 * sent like a visit. */
export async function queueCaseChange (caseItem, toStatus, note = '', photo = null) {
  const id = `case:${caseItem.id}:${toStatus}:${Date.now()}`
  const parts = photo ? [{ name: 'photo', blob: photo, filename: photo.name || 'photo.jpg', type: photo.type || 'image/jpeg' }] : []
  await store.addToOutbox({
    id, kind: 'case', case_id: caseItem.id, to_status: toStatus, note, household_code: caseItem.household_code,
    form_title: caseItem.text, created_at: new Date().toISOString(), parts, status: 'pending', attempts: 0,
    message: '', next_at: 0, username: state.username
  })
  await store.putCase({ ...caseItem, status: toStatus, queued: true, ...(toStatus === 'resolved' ? { note } : {}) })
  await refreshPending()
  setTimeout(() => drainOutbox({ force: true }), 0)
}

async function pullAll (token) {
  let cursor = (await store.getKv('cursor')) ?? null
  let forms = null
  for (let pages = 0; pages < 1000; pages++) {
    let page
    try {
      page = await api.pull(token, cursor)
    } catch (error) {
      if (!(error instanceof api.ServerError && error.status === 400 && cursor != null)) throw error
      cursor = null  // the server no longer understands our cursor: start again from everything
      await store.delKv('cursor')
      continue
    }
    await store.applyPull(page)
    if (page.forms) forms = page.forms
    if (!page.more || page.cursor == null || page.cursor === cursor) break
    cursor = page.cursor
  }
  if (forms) await refreshForms(token, forms)
}

/** Download forms whose hash changed; households.csv (per user) is fetched on every sync. */
async function refreshForms (token, forms) {
  for (const form of forms) {
    const stored = await store.getForm(form.form_id)
    let xml = stored?.xml
    if (!stored || stored.hash !== form.hash || stored.version !== form.version) {
      xml = await api.fetchXForm(token, form)
    }
    const media = [...xml.matchAll(/jr:\/\/(?:file|file-csv|images|audio|video)\/([^"'<\s]+)/g)].map((m) => m[1])
    for (const name of new Set(media)) {
      try {
        await store.putMedia(form.form_id, name, await api.fetchMedia(token, form.form_id, name))
      } catch (error) {
        if (!(error instanceof api.ServerError)) throw error
        console.warn(`media ${form.form_id}/${name}:`, error.message)  // keep the copy we have
      }
    }
    await store.putForm({ ...form, xml, media: [...new Set(media)] })
  }
  const published = new Set(forms.map((f) => f.form_id))
  for (const stored of await store.allForms()) {
    if (!published.has(stored.form_id)) await store.deleteForm(stored.form_id)  // closed or withdrawn
  }
}

/** Save a submission (the FormData the form engine gives) in the outbox before anything is sent. */
export async function saveSubmission (formId, householdCode, formData, formTitle = '') {
  const parts = []
  let xml = ''
  for (const [name, value] of formData.entries()) {
    if (typeof value === 'string') {
      parts.push({ name, text: value })
    } else {
      parts.push({ name, blob: value, filename: value.name || name, type: value.type || '' })
      if (name === 'xml_submission_file') xml = await value.text()
    }
  }
  const instanceId = /<instanceID>([^<]+)<\/instanceID>/.exec(xml)?.[1] || `local:${crypto.randomUUID()}`
  const household = /<household>([^<]*)<\/household>/.exec(xml)?.[1] || householdCode || ''
  await store.addToOutbox({
    id: instanceId, instance_id: instanceId, form_id: formId, form_title: formTitle, household_code: household, created_at: new Date().toISOString(),
    parts, status: 'pending', attempts: 0, message: '', next_at: 0, username: state.username
  })
  await refreshPending()
  setTimeout(() => drainOutbox({ force: true }), 0)
  return instanceId
}

/** Send what is due; 201 removes, 4xx keeps with the server's message, network errors back off.
 * When something was sent (and this is not part of syncNow), pull afterwards. */
export function drainOutbox ({ force = false, only = null, pull = true } = {}) {
  draining ??= (async () => {
    let sent = 0
    try { sent = await sendDue(force, only) } finally { draining = null; await refreshPending(); schedule() }
    if (sent && pull) await pullAfterSend()
  })()
  return draining
}

async function sendDue (force, only) {
  let sentCount = 0
  if (!state.token || !navigator.onLine) return 0
  const now = Date.now()
  const items = (await store.allOutbox()).sort((a, b) => a.created_at.localeCompare(b.created_at))
  for (const item of items) {
    if (only && item.id !== only) continue
    if (item.username && item.username !== state.username) continue
    if (item.status === 'rejected' && !only) continue
    if (!force && item.next_at > now) continue
    let result
    try {
      result = item.kind === 'case' ? await sendCaseChange(state.token, item) : await api.postSubmission(state.token, item)
    } catch (error) {
      if (error instanceof api.TokenRevoked) { await tokenRevoked(); return sentCount }
      item.attempts += 1
      Object.assign(item, { message: error instanceof api.NetworkError ? '' : error.message, message_lang: lang.value,
        problem: error.problem || null, http_status: error.status || null })
      item.network_error = error instanceof api.NetworkError
      item.next_at = Date.now() + Math.min(5000 * 2 ** Math.min(item.attempts - 1, 10), MAX_BACKOFF_MS)
      item.status = 'pending'
      await store.updateOutbox(item)
      if (error instanceof api.NetworkError) return sentCount  // no network: stop, retry later
      continue
    }
    item.network_error = false
    if (result.status === 403 && !(await api.tokenAccepted(state.token).catch(() => true))) {
      await tokenRevoked()
      return sentCount
    }
    if (result.ok) {
      if (item.kind === 'case') await store.removeFromOutbox(item.id)
      else await store.markSent(item)
      sentCount += 1
    } else {
      item.attempts += 1
      // the server's message is in the language the app had when sending; the problem id and status let
      // the outbox show the app's own text after a switch of language (OutboxPage.vue)
      Object.assign(item, { message: result.message || '', message_lang: result.lang || null,
        problem: result.problem || null, http_status: result.status, message_key: result.messageKey || null })
      if (result.status >= 500 || result.status === 429) {
        item.status = 'pending'
        item.next_at = Date.now() + Math.min(5000 * 2 ** Math.min(item.attempts - 1, 10), MAX_BACKOFF_MS)
      } else {
        item.status = 'rejected'
      }
      await store.updateOutbox(item)
    }
    await refreshPending()
  }
  return sentCount
}

function schedule () {
  clearTimeout(retryTimer)
  store.allOutbox().then((items) => {
    const times = items.filter((i) => i.status === 'pending' && i.username === state.username).map((i) => i.next_at)
    if (!times.length || !state.token) return
    const wait = Math.max(1000, Math.min(...times) - Date.now())
    retryTimer = setTimeout(() => drainOutbox(), wait)
  })
}

export async function removeOutboxItem (id) {
  await store.removeFromOutbox(id)
  await refreshPending()
}

export function watchConnectivity () {
  addEventListener('online', () => { state.online = true; syncNow() })
  addEventListener('offline', () => { state.online = false })
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && navigator.onLine) drainOutbox({ force: true })
  })
}
