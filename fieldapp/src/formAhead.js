// A new visit's form mounted ahead, while the cadre reads the household page: the engine's form init
// (the largest part of a form open) runs before the tap, and FormPage adopts the mounted form.
// Only a blank form for one household and language is prepared; anything else mounts as before.
import { csvWithOnly } from './csv.js'
import { getForm, getHousehold, getMedia } from './db.js'

const HOUSEHOLDS_CSV = 'households.csv'
let ahead = null  // {key, host, hooks, dropped, ready: Promise<{handle, form, household, attachments} | null>}

const keyOf = (formId, householdId, lang) => `${formId}\n${householdId}\n${lang}`

/**
 * The form's stored XForm, attachments and household, as FormPage needs them to mount. A blank form
 * opened for one household (`onlyHousehold`) gets a households.csv with that household's row only: the
 * household is preselected and the page is that household's, so the engine need not build, label and
 * watch an item per linked household (about a tenth of a form open with 60 households, growing with
 * the list). The form's `pending_cases` look-up reads the same row; what the form collects is unchanged.
 */
export async function loadFormInputs (formId, householdId, { onlyHousehold = false } = {}) {
  const form = await getForm(formId)
  if (!form?.xml) return { form: null, household: null, attachments: {} }
  const household = householdId ? await getHousehold(householdId) : null
  const attachments = {}
  for (const name of form.media || []) {
    const media = await getMedia(formId, name)
    if (media) attachments[name] = media.blob
  }
  const list = attachments[HOUSEHOLDS_CSV]
  if (onlyHousehold && household?.code && list) attachments[HOUSEHOLDS_CSV] = await csvWithOnly(list, household.code)
  return { form, household, attachments }
}

/** Start mounting the blank form for this household in a hidden host (replaces any other one). */
export function prepareAhead (formId, householdId, lang) {
  const key = keyOf(formId, householdId, lang)
  if (ahead?.key === key) return
  discardAhead()
  const host = document.createElement('div')
  host.className = 'form-ahead'
  host.setAttribute('aria-hidden', 'true')
  host.inert = true
  document.body.appendChild(host)
  const hooks = { onChange: null, onSubmit: null }
  const entry = { key, host, hooks, ready: null, dropped: false }
  entry.ready = (async () => {
    performance.mark('lianhu:ahead-start')
    const [{ mountForm }, inputs] = await Promise.all([import('./formEngine.js'), loadFormInputs(formId, householdId, { onlyHousehold: true })])
    if (entry.dropped || !inputs.form) return null
    const handle = mountForm(host, {
      xml: inputs.form.xml, attachments: inputs.attachments, language: lang,
      values: inputs.household ? { household: inputs.household.code } : {},
      onChange: () => hooks.onChange?.(),
      onSubmit: (formData) => hooks.onSubmit(formData)
    })
    return { handle, ...inputs }
  })().catch((error) => { console.warn('form ahead', error); return null })
  ahead = entry
}

/** The form prepared for this key, taken over by the caller (who unmounts it), or null. */
export async function adoptAhead (formId, householdId, lang) {
  const entry = ahead
  if (!entry || entry.key !== keyOf(formId, householdId, lang)) { discardAhead(); return null }
  ahead = null
  const prepared = await entry.ready
  if (!prepared) { entry.host.remove(); return null }
  return { ...prepared, host: entry.host, hooks: entry.hooks }
}

/** Drop the prepared form (the cadre went elsewhere). */
export function discardAhead () {
  const entry = ahead
  ahead = null
  if (!entry) return
  entry.dropped = true
  entry.ready.then((prepared) => prepared?.handle.unmount()).finally(() => entry.host.remove())
}

/** After the household page goes: drop what the next page did not adopt. */
export function releaseAheadSoon () {
  setTimeout(() => { if (ahead && !location.hash.startsWith('#/form/')) discardAhead() }, 0)
}
