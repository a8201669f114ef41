// Builds the field app into server/static/fieldapp/, served by Flask at /app/.
// The service worker (src/sw.js) gets the list of every built file to precache.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

const outDir = resolve(import.meta.dirname, '../server/static/fieldapp')

function listFiles (dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? listFiles(path) : [path]
  })
}

function serviceWorker () {
  return {
    name: 'lianhu-service-worker',
    apply: 'build',
    closeBundle () {
      const files = listFiles(outDir).map((f) => relative(outDir, f).split('\\').join('/'))
        .filter((f) => f !== 'sw.js' && !f.endsWith('.map') && f !== 'index.html').sort()
      const hash = createHash('sha256')
      for (const f of [...files, 'index.html']) hash.update(f).update(readFileSync(join(outDir, f)))
      const urls = ['/app/', ...files.map((f) => '/app/' + f)]
      const source = readFileSync(resolve(import.meta.dirname, 'src/sw.js'), 'utf8')
        .replace("'__VERSION__'", JSON.stringify(hash.digest('hex').slice(0, 16)))
        .replace("['__PRECACHE__']", JSON.stringify(urls))
      writeFileSync(join(outDir, 'sw.js'), source)
    }
  }
}

// @getodk/web-forms 0.22 decodes its two WebAssembly modules (about 1 MB, inlined as base64) with
// Uint8Array.from(string, mapper): a callback per byte, about 10% of a first form open at 4x CPU slowdown.
// The same bytes by Uint8Array.fromBase64 where the browser has it, else one plain loop. The build fails
// if the pinned engine's code changed (then look again).
const SLOW_DECODE = 'const tA = eA.replace(WEB_ASSEMBLY_DATA_URL_PREFIX, ""), AA = atob(tA);\n  return Uint8Array.from(AA, (rA) => rA.charCodeAt(0));'
const FAST_DECODE = 'const tA = eA.replace(WEB_ASSEMBLY_DATA_URL_PREFIX, "");\n' +
  '  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(tA);\n' +
  '  const AA = atob(tA), out = new Uint8Array(AA.length);\n' +
  '  for (let i = 0; i < AA.length; i++) out[i] = AA.charCodeAt(i);\n  return out;'

function fasterWasmDecode () {
  return {
    name: 'lianhu-web-forms-wasm-decode',
    transform (code, id) {
      if (!/@getodk[\\/]web-forms[\\/]dist[\\/]index-[^\\/]+\.js$/.test(id)) return null
      if (!code.includes(SLOW_DECODE)) this.error('@getodk/web-forms changed: its WebAssembly decoding is not where vite.config.js expects it')
      return { code: code.replace(SLOW_DECODE, FAST_DECODE), map: null }
    }
  }
}

// The form engine's chunks are compiled whole while they stream in (V8's explicit compile hint): without it
// V8 compiles each function on the page's thread the first time it runs, which is most of the engine during
// a first form open; with it that work happens on a background thread, in parallel with the page.
const COMPILE_HINT = '//# allFunctionsCalledOnLoad\n'

function engineCompileHint () {
  return {
    name: 'lianhu-engine-compile-hint',
    apply: 'build',
    writeBundle (options, bundle) {  // on the written files: minification and Vite's own rewrites drop or replace comments
      for (const chunk of Object.values(bundle)) {
        const engine = chunk.type === 'chunk' && (chunk.name === 'formEngine' ||
          chunk.moduleIds.some((id) => /@getodk[\\/]web-forms[\\/]dist[\\/]index-/.test(id)))
        if (!engine) continue
        const path = join(options.dir, chunk.fileName)
        writeFileSync(path, COMPILE_HINT + readFileSync(path, 'utf8'))
      }
    }
  }
}

export default defineConfig({
  base: '/app/',
  plugins: [vue(), fasterWasmDecode(), engineCompileHint(), serviceWorker()],
  // `npm run dev` next to `make run` (Flask on :5000): the API and OpenRosa go to Flask
  server: { proxy: { '/api': 'http://127.0.0.1:5000', '/key': 'http://127.0.0.1:5000', '/app/config.json': 'http://127.0.0.1:5000' } },
  build: {
    outDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
    rolldownOptions: {
      onwarn (warning, warn) {
        // the form engine's prebuilt bundle uses eval in a code path we do not reach (CSP forbids it anyway)
        if (warning.code === 'EVAL' && String(warning.id ?? warning.loc?.file ?? '').includes('@getodk')) return
        warn(warning)
      }
    },
    target: 'es2022'
  }
})
