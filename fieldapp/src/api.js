// Every request the app makes to the Lianhu server (same origin), with tolerant parsing.
// Each one says the app's language (Accept-Language), so the server's refusals come in it.
import { lang } from './i18n.js'

export class TokenRevoked extends Error {}
export class NetworkError extends Error {}
export class ServerError extends Error {
  constructor (message, status, problem = null) { super(message); this.status = status; this.problem = problem }
}

export const acceptLanguage = () => (lang.value === 'en' ? 'en' : 'zh-CN,zh;q=0.9')

async function call (url, options = {}) {
  let response
  try {
    const headers = { 'Accept-Language': acceptLanguage(), ...(options.headers || {}) }
    response = await fetch(url, { cache: 'no-store', ...options, headers })
  } catch (error) {
    throw new NetworkError(error.message || 'network error')
  }
  if (response.status === 403 && options.tokenAuth) throw new TokenRevoked('token refused')
  return response
}

/** What the server said about a refusal: {message (in the language asked for, or ''), problem id or null}. */
async function problemOf (response) {
  const text = await response.text().catch(() => '')
  const problem = response.headers.get('X-Lianhu-Problem')
  try {
    const body = JSON.parse(text)
    return { message: body.message || body.detail || body.title || '', problem: body.problem || problem }
  } catch {
    return { message: openRosaMessage(text), problem }
  }
}

/** A ServerError for a refused response; its message is the server's, or the app's text for the status. */
async function refused (response) {
  const { message, problem } = await problemOf(response)
  return new ServerError(message || statusText(response.status), response.status, problem)
}

function statusText (status) {
  return lang.value === 'en' ? `The server refused the request (${status}).` : `服务器拒绝了请求（${status}）。`
}

/** The message of an OpenRosaResponse body, or ''. */
export function openRosaMessage (text) {
  if (!text || !text.includes('<')) return ''
  const doc = new DOMParser().parseFromString(text, 'text/xml')
  const messages = [...doc.getElementsByTagName('message')].map((m) => m.textContent.trim()).filter(Boolean)
  return messages.join(' ')
}

export async function registerDevice (username, password, name) {
  const response = await call('/api/v1/devices', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username, password, name })
  })
  if (!response.ok) throw await refused(response)
  const body = await response.json()
  return { token: body.token, deviceId: body.device_id ?? body.id }
}

/** One page of /api/v1/sync/pull, normalised. */
export async function pull (token, cursor) {
  const query = cursor != null && cursor !== '' ? `?cursor=${encodeURIComponent(cursor)}` : ''
  const response = await call(`/api/v1/sync/pull${query}`, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, tokenAuth: true
  })
  if (response.status === 401) throw new TokenRevoked('token refused')
  if (!response.ok) throw await refused(response)
  const body = await response.json()
  return {
    cursor: body.cursor ?? body.next_cursor ?? null,
    more: Boolean(body.more ?? body.has_more),
    serverTime: body.server_time,
    forms: Array.isArray(body.forms) ? body.forms.map(normaliseForm) : null,
    households: (body.households || []).map(normaliseHousehold),
    removed: (body.removed_households || body.removed || []).map((r) => (typeof r === 'object' ? r.id : r))
  }
}

function normaliseForm (f) {
  return {
    form_id: f.form_id ?? f.id ?? f.formID, version: f.version ?? '', hash: f.hash ?? f.md5 ?? '',
    title: f.title ?? f.name ?? f.form_id ?? f.id, kind: f.kind, xform_url: f.xform_url ?? f.download_url ?? f.url ?? null,
    manifest_url: f.manifest_url ?? null, media: f.media ?? f.media_files ?? null
  }
}

function pick (obj, ...keys) {
  for (const k of keys) if (obj?.[k] != null) return obj[k]
  return null
}

function normaliseHousehold (h) {
  const loc = h.location || {}
  const last = pick(h, 'last_counted_visit_at', 'last_counted_visit', 'last_visit', 'last_visit_at')
  const lat = pick(loc, 'lat', 'latitude') ?? pick(h, 'lat', 'latitude')
  const lon = pick(loc, 'lon', 'lng', 'longitude') ?? pick(h, 'lon', 'lng', 'longitude')
  const cases = pick(h, 'open_cases', 'open_case_count')
  return {
    ...h,
    id: h.id,
    code: h.code,
    label: h.label ?? [h.code, h.head_name, h.address].filter(Boolean).join(' · '),
    head_name: h.head_name ?? h.head ?? null,
    address: h.address ?? null,
    category: h.category ?? null,
    lat: lat == null ? null : Number(lat),
    lon: lon == null ? null : Number(lon),
    last_visit_at: last && typeof last === 'object' ? pick(last, 'captured_at', 'at', 'date') : last,
    last_visit: last && typeof last === 'object' ? last : null,
    due_date: pick(h, 'due_date', 'due', 'next_due'),
    open_cases: Array.isArray(cases) ? cases.length : (cases ?? 0)
  }
}

function keyBase (token) { return `/key/${encodeURIComponent(token)}/openrosa` }

export async function fetchXForm (token, form) {
  let response = await call(`${keyBase(token)}/forms/${encodeURIComponent(form.form_id)}.xml`, { tokenAuth: true })
  if (response.status === 404 && form.xform_url) {
    response = await call(form.xform_url, { headers: { Authorization: `Bearer ${token}` }, tokenAuth: true })
  }
  if (!response.ok) throw await refused(response)
  return response.text()
}

/** False when the server refuses the token (revoked), true otherwise; NetworkError offline. */
export async function tokenAccepted (token) {
  const response = await call(`${keyBase(token)}/submission`, { method: 'HEAD', headers: { 'X-OpenRosa-Version': '1.0' } })
  return response.status !== 403 && response.status !== 401
}

export async function fetchMedia (token, formId, name) {
  const response = await call(`${keyBase(token)}/forms/${encodeURIComponent(formId)}/media/${encodeURIComponent(name)}`,
    { tokenAuth: true })
  if (!response.ok) throw await refused(response)
  return response.blob()
}

/** POST one stored submission; resolves to {ok, status, message}. Network failures throw NetworkError. */
export async function postSubmission (token, item) {
  const body = new FormData()
  for (const part of item.parts) {
    if (part.blob) body.append(part.name, part.blob, part.filename || part.name)
    else body.append(part.name, part.text ?? '')
  }
  // a 403 here may also mean "not your household": the caller checks the token before signing out
  // X-Device-Time: the phone's clock as sent, so the server can tell a clock set back (or forward)
  const response = await call(`${keyBase(token)}/submission`, {
    method: 'POST', body, headers: { 'X-OpenRosa-Version': '1.0', 'X-Device-Time': new Date().toISOString() }
  })
  const ok = response.status === 201 || response.status === 202
  if (ok) return { ok, status: response.status, message: '' }
  const { message, problem } = await problemOf(response)
  return { ok, status: response.status, message, problem, lang: lang.value }
}

/** The server's verdicts (review state, location check) on our own sent visits, by instanceID. */
export async function verdicts (token, instanceIds) {
  if (!instanceIds.length) return []
  const query = instanceIds.map((id) => `instance_id=${encodeURIComponent(id)}`).join('&')
  const response = await call(`/api/v1/fieldapp/verdicts?${query}`, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, tokenAuth: true
  })
  if (response.status === 401) throw new TokenRevoked('token refused')
  if (!response.ok) throw await refused(response)
  return response.json()
}

/** The cases the server lets this user see (the cadre's own; never residents' satisfaction follow-ups). */
export async function listCases (token) {
  const all = []
  for (let page = 1; page <= 20; page++) {
    const response = await call(`/api/v1/cases?page=${page}&page_size=100`, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, tokenAuth: true
    })
    if (response.status === 401) throw new TokenRevoked('token refused')
    if (!response.ok) throw await refused(response)
    const items = await response.json()
    all.push(...items)
    const pagination = JSON.parse(response.headers.get('X-Pagination') || '{}')
    if (!pagination.next_page || items.length === 0) break
  }
  return all
}

/** PATCH a queued case change; resolves to {ok, status, message}. A change the server already has is ok. */
export async function patchCase (token, item) {
  const response = await call(`/api/v1/cases/${encodeURIComponent(item.case_id)}`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify({ status: item.to_status, ...(item.note ? { note: item.note } : {}), ...(item.photo_ref ? { photo: item.photo_ref } : {}) }),
    tokenAuth: true
  })
  if (response.status === 401) throw new TokenRevoked('token refused')
  const text = await response.text().catch(() => '')
  let body = null
  try { body = JSON.parse(text) } catch { body = null }
  const already = response.status === 409 && (body?.status === item.to_status || body?.details?.status === item.to_status ||
    body?.errors?.status === item.to_status)
  const ok = response.ok || already
  return { ok, status: response.status, message: ok ? '' : (body?.message || body?.detail || ''), problem: body?.problem || null,
    lang: lang.value, messageKey: ok ? null : ({ 403: 'caseForbidden', 404: 'caseGone', 409: 'caseMoved' }[response.status] || null) }
}

/** PUT the photo of a case's result; resolves to the reference to send when resolving. */
export async function putCasePhoto (token, caseId, blob) {
  const response = await call(`/api/v1/fieldapp/cases/${encodeURIComponent(caseId)}/photo`, {
    method: 'PUT', body: blob,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', 'Content-Type': blob.type || 'image/jpeg' },
    tokenAuth: true
  })
  if (response.status === 401) throw new TokenRevoked('token refused')
  if (!response.ok) return { ok: false, status: response.status, ...(await problemOf(response)), lang: lang.value }
  return { ok: true, status: response.status, photo: (await response.json()).photo }
}
