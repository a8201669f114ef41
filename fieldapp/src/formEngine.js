// The one module that knows about @getodk/web-forms (pinned in package.json). Loaded lazily, so
// the household list opens without the 2 MB engine. To replace the engine, replace this file:
//   mountForm(element, {xml, attachments, language, values, draft, onChange, onSubmit})
//     -> {unmount(), snapshot()}
//   onSubmit(formData) must resolve once the FormData (xml_submission_file + one part per file) is stored.
//   snapshot() resolves to the answers so far {xml, files: [{name, blob}]} (a draft), or null;
//   draft (a snapshot) reopens those answers; onChange() is called (debounced) as the user answers.
import { createApp, h, isRef, toRaw } from 'vue'
import { OdkWebForm, POST_SUBMIT__NEW_INSTANCE, webFormsPlugin } from '@getodk/web-forms'
import { engineText } from './engineText.js'
import { ZH_LOCALE } from './primeLocale.js'

/**
 * Preselect answers: web-forms 0.22 has no prop for initial values, so the value is written as the
 * default of the field in the form's primary instance (form version and hash are unchanged).
 * `language` ("zh" | "en") moves default="true()" to the matching itext translation.
 */
export function prepareXForm (xml, { values = {}, language = null } = {}) {
  const doc = new DOMParser().parseFromString(xml, 'text/xml')
  if (doc.getElementsByTagName('parsererror').length) return xml
  const XF = 'http://www.w3.org/2002/xforms'
  const model = doc.getElementsByTagNameNS(XF, 'model')[0]
  const instance = model && [...model.children].find((el) => el.localName === 'instance' && !el.getAttribute('id'))
  const root = instance && [...instance.children][0]
  for (const [name, value] of Object.entries(values)) {
    const field = root && [...root.children].find((el) => el.localName === name)
    if (field && value != null) field.textContent = String(value)
  }
  if (language) {
    const translations = [...doc.getElementsByTagNameNS(XF, 'translation')]
    const match = translations.find((tr) => new RegExp(`\\(${language}\\)|^${language}\\b`, 'i').test(tr.getAttribute('lang') || ''))
    if (match) {
      for (const tr of translations) tr.removeAttribute('default')
      match.setAttribute('default', 'true()')
    }
  }
  return new XMLSerializer().serializeToString(doc)
}

/**
 * The engine writes its UI texts (buttons, the location dialog, validation) as English literals
 * (scripts/engine-strings.mjs lists them all from the bundle): replace them, in the form and in the dialogs it opens on <body>, as they are rendered. Mutations are
 * collected and translated once per frame (before paint), each new subtree walked once: a walk per
 * mutation record cost about 3 s of a first form open at 4x CPU slowdown.
 */
function translateEngine (root, lang) {
  if (lang === 'en') return () => {}
  const ATTRIBUTES = ['placeholder', 'aria-label', 'title', 'alt']
  const SELECTOR = ATTRIBUTES.map((a) => `[${a}]`).join(',')
  const LATIN = /[A-Za-z]/
  const text = (node) => {
    const value = node.nodeValue
    if (!value || !LATIN.test(value)) return
    const translated = engineText(lang, value)
    if (translated != null && translated !== value) node.nodeValue = translated
  }
  const attributes = (el) => {
    for (const name of ATTRIBUTES) {
      const value = el.getAttribute(name)
      const translated = value && LATIN.test(value) && engineText(lang, value)
      if (translated && translated !== value) el.setAttribute(name, translated)
    }
  }
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return text(node)
    if (node.nodeType !== Node.ELEMENT_NODE) return
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) text(n)
    if (node.matches(SELECTOR)) attributes(node)
    node.querySelectorAll(SELECTOR).forEach(attributes)
  }
  const pending = new Set()
  let frame = 0
  const flush = () => {
    frame = 0
    const nodes = new Set(pending)
    pending.clear()
    for (const node of nodes) {
      if (!node.isConnected) continue
      let covered = false  // an ancestor is walked anyway
      for (let p = node.parentNode; p && !covered; p = p.parentNode) covered = nodes.has(p)
      if (!covered) walk(node)
    }
  }
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') attributes(r.target)
      else if (r.type === 'characterData') pending.add(r.target)
      else r.addedNodes.forEach((n) => pending.add(n))
    }
    if (pending.size && !frame) frame = requestAnimationFrame(flush)
  })
  observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRIBUTES })
  walk(root)
  return () => { observer.disconnect(); cancelAnimationFrame(frame) }
}

/** The engine's form node (its `root`), found through the rendered component tree (FormHeader's `form` prop). */
function findFormRoot (element) {
  const seen = new Set()
  const visit = (vnode) => {
    if (!vnode || typeof vnode !== 'object' || seen.has(vnode)) return null
    seen.add(vnode)
    const form = vnode.component?.props?.form
    if (form && typeof form.prepareInstancePayload === 'function') return form
    if (vnode.component) return visit(vnode.component.subTree)
    if (Array.isArray(vnode.children)) {
      for (const child of vnode.children) { const hit = visit(child); if (hit) return hit }
    }
    if (vnode.suspense) return visit(vnode.suspense.activeBranch)
    return null
  }
  return visit(element._vnode)  // Vue keeps the rendered tree on the container
}

/**
 * A draft is reopened through the engine's edit mode (the only way 0.22 takes answers back), which also
 * turns every geopoint into a map to place by hand: needs tiles, so no use offline. Once the form is
 * loaded, switch the engine's "edit mode" flag (provided to its controls) back off.
 */
function keepCaptureControls (element) {
  let tries = 0
  const timer = setInterval(() => {
    let flag = null
    for (let c = element._vnode?.component; c && !flag; c = c.subTree?.component) {
      const key = Object.getOwnPropertySymbols(c.provides || {}).find((k) => k.description === 'isFormEditMode')
      if (key) flag = toRaw(c.provides[key])
    }
    if (isRef(flag) && flag.value === true) { flag.value = false; clearInterval(timer) }
    if (++tries > 400) clearInterval(timer)
  }, 25)
  return () => clearInterval(timer)
}

/** A resumed draft is opened with the engine's edit mode: drop the link to the (never sent) draft. */
async function withoutDeprecatedId (formData) {
  const file = formData.get('xml_submission_file')
  if (!file || typeof file === 'string') return formData
  const xml = await file.text()
  if (!/<deprecatedID>/.test(xml)) return formData
  const cleaned = xml.replace(/<deprecatedID>[^<]*<\/deprecatedID>|<deprecatedID\s*\/>/g, '')
  const out = new FormData()
  for (const [name, value] of formData.entries()) {
    if (name === 'xml_submission_file') out.append(name, new File([cleaned], file.name || 'submission.xml', { type: 'text/xml' }))
    else out.append(name, value)
  }
  return out
}

const MEDIA_TYPES = {
  csv: 'text/csv', geojson: 'application/geo+json', json: 'application/json', xml: 'text/xml',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml', webp: 'image/webp',
  mp3: 'audio/mpeg', m4a: 'audio/mp4', ogg: 'audio/ogg', wav: 'audio/wav', mp4: 'video/mp4'
}

/** The content type the engine needs to read a media file (pulldata and lists by extension; images, audio). */
export function mediaType (name, given = '') {
  const ext = name.toLowerCase().split('.').pop()
  return MEDIA_TYPES[ext] || given || 'application/octet-stream'
}

export function mountForm (element, { xml, attachments = {}, values = {}, language = null, draft = null, onChange = null, onSubmit }) {
  const formXml = prepareXForm(xml, { values, language })
  const fetchFormAttachment = async (url) => {
    // jr://file-csv/x.csv, jr://file/x.geojson, jr://images/x.png, ...: the form's media, by file name
    const name = decodeURIComponent(String(url?.href ?? url).split('/').pop())
    const blob = attachments[name]
    if (!blob) return new Response('', { status: 404, statusText: 'Not Found' })
    return new Response(blob, { status: 200, headers: { 'Content-Type': mediaType(name, blob.type) } })
  }
  const draftFiles = new Map((draft?.files || []).map((f) => [f.name, f.blob]))
  const editInstance = draft?.xml
    ? {
        resolveInstance: async () => draft.xml,
        attachmentFileNames: [...draftFiles.keys()],
        resolveAttachment: async (name) => {  // the engine reads it like a fetch
          const blob = draftFiles.get(name)
          if (!blob) return new Response('', { status: 404, statusText: 'Not Found' })
          return new Response(blob, { status: 200, headers: { 'Content-Type': blob.type || 'image/jpeg' } })
        }
      }
    : undefined
  const app = createApp({
    render: () => h(OdkWebForm, {
      formXml,
      fetchFormAttachment,
      missingResourceBehavior: 'BLANK',
      ...(editInstance ? { editInstance } : {}),
      onSubmit: async (payload, done) => {
        const formData = payload?.data?.[0] ?? payload?.data
        await onSubmit(draft ? await withoutDeprecatedId(formData) : formData)
        if (typeof done === 'function') done({ next: POST_SUBMIT__NEW_INSTANCE })
      }
    })
  })
  app.use(webFormsPlugin)
  // PrimeVue (installed by the plugin) takes its texts from a locale table: ours in Chinese. Written on
  // the raw config, before anything renders: PrimeVue deep-watches its whole config, theme preset
  // included, and a reactive write re-walked all of it (about 5% of a first form open)
  const prime = app.config.globalProperties.$primevue?.config
  if (prime && language !== 'en') {
    const raw = toRaw(prime)
    raw.locale = { ...raw.locale, ...ZH_LOCALE, aria: { ...raw.locale?.aria, ...ZH_LOCALE.aria } }
  }
  const stopTranslating = translateEngine(document.body, language)
  app.mount(element)
  const stopWatchingMode = draft ? keepCaptureControls(element) : () => {}
  let timer = null
  const changed = () => { clearTimeout(timer); timer = setTimeout(() => onChange?.(), 400) }
  for (const type of ['input', 'change', 'click']) element.addEventListener(type, changed, true)
  const dialogClick = (event) => { if (event.target?.closest?.('.p-dialog')) changed() }  // the location dialog
  document.addEventListener('click', dialogClick, true)

  async function snapshot () {
    const root = findFormRoot(element)
    if (!root) return null
    const payload = await root.prepareInstancePayload({ payloadType: 'monolithic' })
    const data = payload?.data?.[0]
    if (!data) return null
    const files = []
    let instance = ''
    for (const [name, value] of data.entries()) {
      if (name === 'xml_submission_file') instance = await value.text()
      else if (value instanceof Blob) files.push({ name, blob: value })
    }
    return instance ? { xml: instance, files } : null
  }
  return {
    snapshot,
    unmount: () => { clearTimeout(timer); stopWatchingMode(); document.removeEventListener('click', dialogClick, true); stopTranslating(); app.unmount() }
  }
}
