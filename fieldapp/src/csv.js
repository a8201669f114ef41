// CSV as the form attachments have it (RFC 4180: quoted fields may hold commas, quotes and newlines).

/** The CSV's header and the record whose first column (`name`) is `code`; the whole file if there is none. */
export async function csvWithOnly (blob, code) {
  const text = await blob.text()
  const records = csvRecords(text)
  const match = records.slice(1).find(([start, end]) => firstField(text, start, end) === code)
  if (!match) return blob
  const raw = ([start, end]) => text.slice(start, end).replace(/\r?\n$/, '')
  return new Blob([`${raw(records[0])}\n${raw(match)}\n`], { type: blob.type || 'text/csv' })
}

/** Where each RFC 4180 record lies ([start, end] with its line break): a newline inside quotes is data. */
export function csvRecords (text) {
  const records = []
  let start = 0
  while (start < text.length) {
    let at = start; let end = text.length
    for (;;) {  // jumps from quote to quote (indexOf), no per-character loop: this runs before a form opens
      const newline = text.indexOf('\n', at); const quote = text.indexOf('"', at)
      if (newline === -1 && quote === -1) break
      if (quote === -1 || (newline !== -1 && newline < quote)) { end = newline + 1; break }
      let close = text.indexOf('"', quote + 1)
      while (close !== -1 && text[close + 1] === '"') close = text.indexOf('"', close + 2)
      if (close === -1) break
      at = close + 1
    }
    if (text.slice(start, end).trim()) records.push([start, end])
    start = end
  }
  return records
}

/** The first field of the record at [start, end], unquoted. */
export function firstField (text, start, end) {
  if (text[start] === '"') {
    let close = text.indexOf('"', start + 1)
    while (close !== -1 && close < end && text[close + 1] === '"') close = text.indexOf('"', close + 2)
    return text.slice(start + 1, close === -1 ? end : close).replaceAll('""', '"')
  }
  const comma = text.indexOf(',', start)
  return text.slice(start, comma === -1 || comma > end ? end : comma).replace(/\r?\n$/, '')
}
