// The one module that knows about @getodk/web-forms (pinned in package.json). Loaded lazily, so
// the household list opens without the 2 MB engine. To replace the engine, replace this file:
//   mountForm(element, {xml, attachments, language, onSubmit}) -> {unmount()}
//   onSubmit(formData) must resolve once the FormData (xml_submission_file + one part per file) is stored.
import { createApp, h } from 'vue'
import { OdkWebForm, POST_SUBMIT__NEW_INSTANCE, webFormsPlugin } from '@getodk/web-forms'

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

export function mountForm (element, { xml, attachments = {}, values = {}, language = null, onSubmit }) {
  const formXml = prepareXForm(xml, { values, language })
  const fetchFormAttachment = async (url) => {
    const name = decodeURIComponent(String(url?.href ?? url).split('/').pop())
    const blob = attachments[name]
    if (!blob) return new Response('', { status: 404, statusText: 'Not Found' })
    const type = name.endsWith('.csv') ? 'text/csv' : (blob.type || 'application/octet-stream')
    return new Response(blob, { status: 200, headers: { 'Content-Type': type } })
  }
  const app = createApp({
    render: () => h(OdkWebForm, {
      formXml,
      fetchFormAttachment,
      missingResourceBehavior: 'BLANK',
      onSubmit: async (payload, done) => {
        const formData = payload?.data?.[0] ?? payload?.data
        await onSubmit(formData)
        if (typeof done === 'function') done({ next: POST_SUBMIT__NEW_INSTANCE })
      }
    })
  })
  app.use(webFormsPlugin)
  app.mount(element)
  return { unmount: () => app.unmount() }
}
