// Everything the phone keeps, in one IndexedDB database (via idb):
//   kv          token, username, device_id, cursor, last_sync, last_error
//   households  the user's linked households from /api/v1/sync/pull (keyed by id)
//   forms       published XForms {form_id, version, hash, title, xml}
//   media       form attachments such as households.csv {key: "<form_id>/<name>", blob}
//   outbox      saved submissions not yet confirmed by a 201 {id, parts: [{name, blob|text, filename}], ...}
//   sent        visits from this phone that the server accepted, with the server's verdict once known
//   drafts      visits being filled {id, form_id, household_id, household_code, xml, files: [{name, blob}], updated_at}
//   cases       the user's cases from /api/v1/cases, with what is queued for them locally
import { deleteDB, openDB } from 'idb'

const NAME = 'lianhu-fieldapp'
let dbPromise = null

export function db () {
  dbPromise ??= openDB(NAME, 2, {
    upgrade (d, oldVersion) {
      if (oldVersion < 1) {
        d.createObjectStore('kv')
        d.createObjectStore('households', { keyPath: 'id' })
        d.createObjectStore('forms', { keyPath: 'form_id' })
        d.createObjectStore('media', { keyPath: 'key' })
        d.createObjectStore('outbox', { keyPath: 'id' }).createIndex('household', 'household_code')
        d.createObjectStore('sent', { keyPath: 'id' }).createIndex('household', 'household_code')
      }
      if (oldVersion < 2) {
        d.createObjectStore('drafts', { keyPath: 'id' }).createIndex('household', 'household_code')
        d.createObjectStore('cases', { keyPath: 'id' })
      }
    },
    blocking () { dbPromise?.then((d) => d.close()); dbPromise = null }
  })
  return dbPromise
}

export async function getKv (key) { return (await db()).get('kv', key) }
export async function setKv (key, value) { return (await db()).put('kv', value, key) }
export async function delKv (key) { return (await db()).delete('kv', key) }

export async function allHouseholds () { return (await db()).getAll('households') }
export async function getHousehold (id) {
  const d = await db()
  return (await d.get('households', id)) ?? (await d.get('households', Number(id))) ??
    (await d.getAll('households')).find((h) => String(h.id) === String(id) || h.code === id)
}

export async function applyPull (page) {
  const d = await db()
  const tx = d.transaction(['households', 'kv'], 'readwrite')
  for (const h of page.households) await tx.objectStore('households').put(h)
  for (const id of page.removed) {
    await tx.objectStore('households').delete(id)
    await tx.objectStore('households').delete(String(id))
  }
  if (page.cursor != null) await tx.objectStore('kv').put(page.cursor, 'cursor')
  await tx.done
}

export async function allForms () { return (await db()).getAll('forms') }
export async function getForm (formId) { return (await db()).get('forms', formId) }
export async function putForm (form) { return (await db()).put('forms', form) }
export async function deleteForm (formId) { return (await db()).delete('forms', formId) }
export async function putMedia (formId, name, blob) { return (await db()).put('media', { key: `${formId}/${name}`, blob }) }
export async function getMedia (formId, name) { return (await db()).get('media', `${formId}/${name}`) }

export async function addToOutbox (item) { return (await db()).add('outbox', item) }
export async function allOutbox () { return (await db()).getAll('outbox') }
export async function updateOutbox (item) { return (await db()).put('outbox', item) }
export async function removeFromOutbox (id) { return (await db()).delete('outbox', id) }
export async function outboxCount () { return (await db()).count('outbox') }

/** Moves a confirmed submission from the outbox to the history of this phone, in one transaction. */
export async function markSent (item) {
  const d = await db()
  const tx = d.transaction(['outbox', 'sent'], 'readwrite')
  await tx.objectStore('sent').put({ id: item.instance_id || item.id, form_id: item.form_id, form_title: item.form_title, household_code: item.household_code,
    created_at: item.created_at, sent_at: new Date().toISOString(), username: item.username })
  await tx.objectStore('outbox').delete(item.id)
  await tx.done
}

export async function allSent () { return (await db()).getAll('sent') }
export async function updateSent (item) { return (await db()).put('sent', item) }

export async function getDraft (id) { return (await db()).get('drafts', id) }
export async function putDraft (draft) { return (await db()).put('drafts', draft) }
export async function deleteDraft (id) { return (await db()).delete('drafts', id) }
export async function allDrafts () {
  return (await (await db()).getAll('drafts')).sort((a, b) => (b.updated_at || '').localeCompare(a.updated_at || ''))
}
export async function draftsFor (code) { return (await db()).getAllFromIndex('drafts', 'household', code) }

export async function allCases () { return (await db()).getAll('cases') }
export async function getCase (id) { return (await db()).get('cases', Number(id)) }
export async function putCase (item) { return (await db()).put('cases', item) }
/** Replace the cached cases with the server's list (what is queued locally is applied again by the caller). */
export async function replaceCases (items) {
  const d = await db()
  const tx = d.transaction('cases', 'readwrite')
  await tx.store.clear()
  for (const item of items) await tx.store.put(item)
  await tx.done
}

export async function visitsFor (code) {
  const d = await db()
  const [waiting, sent] = await Promise.all([d.getAllFromIndex('outbox', 'household', code),
    d.getAllFromIndex('sent', 'household', code)])
  return [...waiting.filter((v) => v.kind !== 'case').map((v) => ({ ...v, state: v.status === 'rejected' ? 'failed' : 'waiting' })),
    ...sent.map((v) => ({ ...v, state: 'sent' }))].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''))
}

/** Forget the user's data but keep the outbox (another user signs in on this phone). */
export async function clearUserData () {
  const d = await db()
  const tx = d.transaction(['households', 'forms', 'media', 'sent', 'drafts', 'cases', 'kv'], 'readwrite')
  for (const store of ['households', 'forms', 'media', 'sent', 'drafts', 'cases']) await tx.objectStore(store).clear()
  await tx.objectStore('kv').delete('cursor')
  await tx.objectStore('kv').delete('last_sync')
  await tx.done
}

/** Sign-out: forget everything. */
export async function forgetEverything () {
  if (dbPromise) (await dbPromise).close()
  dbPromise = null
  await deleteDB(NAME)
}
