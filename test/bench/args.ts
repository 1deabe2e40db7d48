/**
 * `npm run bench` options, checked before anything runs: a bad value stops the bench with a message that names the
 * option and what it takes, instead of a run on NaN rows or an empty selection.
 */
import { parseArgs } from 'node:util'
import { CONCURRENCY } from '../../electron/shared/settings'
import { CASES, SCALE } from './config'
import type { Billing, Kind } from './config'

export interface BenchArgs {
  /** Case ids to run; null: every case. */
  cases: string[] | null
  billings: Billing[]
  /** Contender kinds to run; null: every kind of each case. */
  only: Kind[] | null
  /** Engine and pool settings to run; null: each case's own. */
  levels: number[] | null
  /** Rows of every case; null: each case's own. */
  rows: number | null
  margin: number
  /** The one time factor of the scaled cases (the "real" cases keep 1). */
  scale: number
}

const KINDS: readonly Kind[] = ['engine', 'pool', 'fb24', 'sdk-single', 'sdk-batch', 'newman']
const BILLINGS: readonly Billing[] = ['docs', 'batch-half']

const list = (v: string | undefined): string[] | null => (v === undefined ? null : v.split(',').map((x) => x.trim()).filter(Boolean))

function pick<T extends string>(option: string, v: string | undefined, known: readonly T[]): T[] | null {
  const xs = list(v)
  if (xs === null) return null
  if (!xs.length) throw new Error(`--${option} is empty; it takes ${known.join(', ')}`)
  const unknown = xs.filter((x) => !known.includes(x as T))
  if (unknown.length) throw new Error(`--${option}: unknown ${unknown.join(', ')}; it takes ${known.join(', ')}`)
  return xs as T[]
}

function integer(option: string, s: string, min: number, max: number): number {
  const n = /^\d+$/.test(s) ? Number(s) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`--${option} takes a whole number from ${min} to ${max}, not "${s}"`)
  return n
}

/** A number in (0, 1], written `0.2` or `1/5`. */
function fraction(option: string, s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\d+(?:\.\d+)?))?\s*$/.exec(s)
  const n = m ? Number(m[1]) / (m[2] === undefined ? 1 : Number(m[2])) : NaN
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new Error(`--${option} takes a number above 0 and at most 1 (0.05 or 1/20), not "${s}"`)
  return n
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: { case: { type: 'string' }, billing: { type: 'string' }, only: { type: 'string' }, concurrency: { type: 'string' }, rows: { type: 'string' }, margin: { type: 'string' }, scale: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  })
  const levels = list(values.concurrency)
  if (levels !== null && !levels.length) throw new Error(`--concurrency is empty; it takes settings from ${CONCURRENCY.min} to ${CONCURRENCY.max}, e.g. 1,4`)
  return {
    cases: pick('case', values.case, CASES.map((c) => c.id)),
    billings: pick('billing', values.billing, BILLINGS) ?? [...BILLINGS],
    only: pick('only', values.only, KINDS),
    levels: levels?.map((s) => integer('concurrency', s, CONCURRENCY.min, CONCURRENCY.max)) ?? null,
    rows: values.rows === undefined ? null : integer('rows', values.rows, 1, 1_000_000),
    margin: values.margin === undefined ? 0.9 : fraction('margin', values.margin),
    scale: values.scale === undefined ? SCALE : fraction('scale', values.scale),
  }
}

/** 0.05 → "1/20", 1 → "1", 0.3 → "0.3". */
export function scaleLabel(scale: number): string {
  const inv = 1 / scale
  return scale === 1 ? '1' : Math.abs(inv - Math.round(inv)) < 1e-9 ? `1/${Math.round(inv)}` : String(scale)
}

/** The options of the two sweeps (`npm run sweep`, `npm run sweep:engine`): how many cases, from which seed. */
export interface SweepArgs {
  cases: number
  seed: number
  /** `--show-soft` (the pacing sweep only): print the cases that went over the client's own allowance too. */
  showSoft: boolean
}

export function parseSweepArgs(argv: string[], o: { cases: number; showSoft: boolean }): SweepArgs {
  const { values } = parseArgs({
    args: argv,
    options: { cases: { type: 'string' }, seed: { type: 'string' }, 'show-soft': { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  })
  if (values['show-soft'] && !o.showSoft) throw new Error('--show-soft is an option of the pacing sweep (npm run sweep) only')
  return {
    cases: values.cases === undefined ? o.cases : integer('cases', values.cases, 1, 1_000_000),
    seed: values.seed === undefined ? 1 : integer('seed', values.seed, 0, 2 ** 31 - 1),
    showSoft: values['show-soft'] === true,
  }
}
