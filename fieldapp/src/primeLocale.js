// PrimeVue's own texts (the date picker, selects, dialogs that @getodk/web-forms renders with it) in
// Chinese: primelocale's zh-CN. formEngine.js gives it to PrimeVue; scripts/engine-strings.mjs checks that it
// covers every key of the locale table in the pinned web-forms bundle.
import { zh_CN as primeZh } from 'primelocale/js/zh_CN.js'

export const ZH_LOCALE = { ...primeZh, aria: { ...primeZh.aria } }
