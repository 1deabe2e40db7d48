/**
 * Runs one import that used to be quadratic, in its own process so a test can stop it (synchronous work cannot be
 * interrupted inside the test's own thread). Prints the figure the test checks as one JSON line.
 *   node --import tsx test/helpers/complexity-child.ts duplicates
 */
import { importSheet } from '../../electron/core/import'

async function main(): Promise<void> {
  const kind = process.argv[2]
  if (kind === 'duplicates') {
    // 100,000 equal rows: each names a few of the others. Listing them by filtering the group per row took ~10^10 steps.
    const s = await importSheet(new TextEncoder().encode(`TITLE,USERS\n${'Same,1\n'.repeat(100_000)}`), { fileName: 'dup.csv' })
    process.stdout.write(`${JSON.stringify({ rows: s.length, message: s.rowAt(50_000).problems[0]?.message })}\n`)
  } else if (kind === 'columns') {
    // 200,000 columns of one name, under a column limit raised to let them in: renaming them was quadratic.
    const header = `TITLE,${Array.from({ length: 200_000 }, () => 'x').join(',')}`
    const s = await importSheet(new TextEncoder().encode(`${header}\nA,${'1,'.repeat(199_999)}1\n`), { fileName: 'wide.csv' }, { limits: { columns: 300_000, recordChars: 10_000_000 } })
    process.stdout.write(`${JSON.stringify({ rows: s.length, columns: s.meta.headers.length, last: s.meta.headers.at(-1) })}\n`)
  }
}

void main()
