// The UI strings of the pinned @getodk/web-forms, read from its bundle, against the app's Chinese texts.
//   node scripts/engine-strings.mjs          prints {locale, literals, missing} as JSON
// Two tables: PrimeVue's locale (the defaults web-forms installs; formEngine.js sets ours, primeLocale.js)
// and the English literals of web-forms' own components (every object with a Vue `__name`: the texts in
// its render functions, its text props and the sentences in its code) plus the form engine's default
// messages; those are replaced in the DOM (engineText.js). `missing` lists what has no Chinese text.
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from '@babel/parser'
import { engineText, IGNORED } from '../src/engineText.js'
import { ZH_LOCALE } from '../src/primeLocale.js'

const here = dirname(fileURLToPath(import.meta.url))
const dist = join(here, '..', 'node_modules', '@getodk', 'web-forms', 'dist')
const bundles = readdirSync(dist).filter((f) => /\.js$/.test(f) && f !== 'index.js')

const VNODE = new Set(['createElementVNode', 'createTextVNode', 'createVNode', 'createBaseVNode', 'createBlock', 'createElementBlock'])
const TEXT_PROPS = new Set(['label', 'placeholder', 'title', 'aria-label', 'ariaLabel', 'alt', 'header', 'message',
  'emptyMessage', 'empty-message', 'emptyFilterMessage', 'filterPlaceholder', 'tooltip', 'text', 'summary', 'description'])
const PROSE = /^[A-Z][A-Za-z']*( [A-Za-z0-9'(),:.%/-]+)+[.:!?]?$|^[A-Z][a-z]+[.:!?]?$/  // "Get location", "Send"

function walk (node, visit, parent = null) {
  if (!node || typeof node.type !== 'string') return
  if (visit(node, parent) === false) return
  for (const key of Object.keys(node)) {
    if (key === 'loc' || key === 'start' || key === 'end') continue
    const value = node[key]
    if (Array.isArray(value)) value.forEach((v) => walk(v, visit, node))
    else if (value && typeof value.type === 'string') walk(value, visit, node)
  }
}

const keyName = (prop) => prop.key?.name ?? prop.key?.value
const literals = new Set()
let locale = null
for (const file of bundles) {
  const ast = parse(readFileSync(join(dist, file), 'utf8'), { sourceType: 'module', errorRecovery: true })
  const aliases = new Map()  // a minified bundle imports createElementVNode as N
  walk(ast, (node) => {
    if (node.type === 'ImportSpecifier' && VNODE.has(node.imported.name)) aliases.set(node.local.name, node.imported.name)
  })
  const isVNode = (callee) => callee?.type === 'Identifier' && (VNODE.has(callee.name) || aliases.has(callee.name))
  walk(ast, (node) => {
    if (node.type === 'VariableDeclarator' && node.id?.name === 'defaultOptions' && node.init?.type === 'ObjectExpression') {
      const prop = node.init.properties.find((p) => keyName(p) === 'locale')
      if (prop) locale = literalObject(prop.value)
    }
    if (node.type === 'ObjectProperty' && ['requiredMsg', 'constraintMsg'].includes(keyName(node)) && node.value.type === 'StringLiteral') {
      literals.add(node.value.value.trim())
    }
    if (node.type !== 'ObjectExpression' || !node.properties.some((p) => keyName(p) === '__name')) return
    const collect = (inner, parent) => {
      // "Location will be saved at " + value + " m": one text node; {} marks where a value goes
      if (inner.type === 'BinaryExpression' && inner.operator === '+' && hasLiteral(inner)) {
        const text = concat(inner).trim()
        if (/[A-Za-z]{2}/.test(text.replace(/\{\}/g, '')) && !/^[\w{}-]+$/.test(text)) literals.add(text)
        return false
      }
      // a key name or a value compared with (tA.code === "Escape", case "point":) is no text
      if (inner.type === 'BinaryExpression' && /^[!=]==?$/.test(inner.operator)) return false
      if (inner.type === 'SwitchCase') { inner.consequent.forEach((statement) => walk(statement, collect, inner)); return false }
      if (inner.type === 'StringLiteral') {
        const text = inner.value.trim()
        if (!/[A-Za-z]{2}/.test(text)) return
        const child = parent?.type === 'CallExpression' && isVNode(parent.callee) && parent.arguments.indexOf(inner) >= 1 &&
          !(parent.arguments.indexOf(inner) === 0)
        const prop = parent?.type === 'ObjectProperty' && parent.value === inner && TEXT_PROPS.has(keyName(parent))
        if ((child && parent.arguments.indexOf(inner) !== 1) || prop || PROSE.test(text)) literals.add(text)
      } else if (inner.type === 'TemplateLiteral') {
        const text = inner.quasis.map((q) => q.value.cooked).join('{}').trim()
        if (/[A-Za-z]{2,} [A-Za-z]/.test(text) && !/[<>=;]/.test(text)) literals.add(text)
      }
    }
    walk(node, collect)
    return false
  })
}

function hasLiteral (node) {
  return node.type === 'StringLiteral' || (node.type === 'BinaryExpression' && node.operator === '+' &&
    (hasLiteral(node.left) || hasLiteral(node.right)))
}

function concat (node) {
  if (node.type === 'StringLiteral') return node.value
  if (node.type === 'BinaryExpression' && node.operator === '+') return concat(node.left) + concat(node.right)
  return '{}'
}

function literalObject (node) {
  if (node.type === 'StringLiteral') return node.value
  if (node.type === 'ArrayExpression') return node.elements.map(literalObject)
  if (node.type === 'ObjectExpression') return Object.fromEntries(node.properties.map((p) => [keyName(p), literalObject(p.value)]))
  return null  // numbers, booleans: not texts
}

/** Every text leaf of PrimeVue's locale that our Chinese locale lacks (by key path). */
function missingLocale (english, ours, path = '') {
  if (typeof english === 'string') return typeof ours === 'string' && ours ? [] : [path]
  if (Array.isArray(english)) return Array.isArray(ours) && ours.length === english.length ? [] : [path]
  if (english && typeof english === 'object') {
    return Object.entries(english).flatMap(([k, v]) => missingLocale(v, ours?.[k], path ? `${path}.${k}` : k))
  }
  return []
}

// a sample number for the texts with a number in them ({} is where the template literal has one)
const sample = (text) => text.replace(/\{\}/g, '2')
const missing = [
  ...missingLocale(locale, ZH_LOCALE).map((key) => `primevue locale: ${key}`),
  ...[...literals].filter((t) => !IGNORED.has(t) && engineText('zh', sample(t)) == null).map((t) => `web-forms: ${t}`)
]
console.log(JSON.stringify({ bundles, locale, literals: [...literals].sort(), missing }, null, 1))
