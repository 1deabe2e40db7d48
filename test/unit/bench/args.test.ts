/** `npm run bench` options (test/bench/args.ts): every bad value stops the bench with the option's name. */
import { describe, expect, it } from 'vitest'
import { parseBenchArgs, parseSweepArgs, scaleLabel } from '../../bench/args'
import { SCALE } from '../../bench/config'

describe('the bench options', () => {
  it('defaults to every case, both billings, the bench scale and margin 0.9', () => {
    expect(parseBenchArgs([])).toEqual({ cases: null, billings: ['docs', 'batch-half'], only: null, levels: null, rows: null, margin: 0.9, scale: SCALE })
  })

  it('reads lists, whole numbers and a scale written as a fraction or a decimal', () => {
    const a = parseBenchArgs(['--case', '1000-w16, 5000', '--billing', 'docs', '--only', 'engine,pool', '--concurrency', '1,16', '--rows', '250', '--margin', '0.8', '--scale', '1/5'])
    expect(a).toEqual({ cases: ['1000-w16', '5000'], billings: ['docs'], only: ['engine', 'pool'], levels: [1, 16], rows: 250, margin: 0.8, scale: 0.2 })
    expect(parseBenchArgs(['--scale', '0.1']).scale).toBe(0.1)
    expect(parseBenchArgs(['--scale', '1']).scale).toBe(1)
  })

  it.each([
    [['--case', '1000-w8'], /--case: unknown 1000-w8; it takes 1000-w1, /],
    [['--case', ','], /--case is empty/],
    [['--billing', 'half'], /--billing: unknown half; it takes docs, batch-half/],
    [['--only', 'engines'], /--only: unknown engines/],
    [['--concurrency', '4,x'], /--concurrency takes a whole number from 1 to 16, not "x"/],
    [['--concurrency', '17'], /--concurrency takes a whole number from 1 to 16, not "17"/],
    [['--concurrency', '0'], /from 1 to 16, not "0"/],
    [['--concurrency', ''], /--concurrency is empty/],
    [['--rows', 'abc'], /--rows takes a whole number from 1 to 1000000, not "abc"/],
    [['--rows', '2.5'], /--rows takes a whole number/],
    [['--rows', '0'], /--rows takes a whole number/],
    [['--margin', '1.5'], /--margin takes a number above 0 and at most 1/],
    [['--scale', '0'], /--scale takes a number above 0 and at most 1 \(0.05 or 1\/20\), not "0"/],
    [['--scale', '5'], /--scale takes a number above 0/],
    [['--scale', '1/0'], /--scale takes a number above 0/],
    [['--scale=-0.1'], /--scale takes a number above 0/],
    [['--scale', 'fast'], /--scale takes a number above 0/],
    [['--speed', '2'], /Unknown option '--speed'/],
    [['1000-w4'], /Unexpected argument '1000-w4'/],
  ])('refuses %j with a message that names the option', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(message)
  })

  it('labels a scale as the fraction it is', () => {
    expect([SCALE, 0.2, 0.1, 1, 0.3].map(scaleLabel)).toEqual(['1/20', '1/5', '1/10', '1', '0.3'])
  })
})

describe('the sweep options (npm run sweep, npm run sweep:engine)', () => {
  it('defaults to the sweep\'s own number of cases from seed 1, and reads --cases, --seed and --show-soft', () => {
    expect(parseSweepArgs([], { cases: 200, showSoft: true })).toEqual({ cases: 200, seed: 1, showSoft: false })
    expect(parseSweepArgs(['--cases', '1', '--seed', '54', '--show-soft'], { cases: 200, showSoft: true })).toEqual({ cases: 1, seed: 54, showSoft: true })
    expect(parseSweepArgs(['--seed', '0'], { cases: 24, showSoft: false })).toEqual({ cases: 24, seed: 0, showSoft: false })
  })

  it.each([
    [['--cases', '0'], /--cases takes a whole number from 1 to 1000000, not "0"/],
    [['--cases', '2.5'], /--cases takes a whole number/],
    [['--seed=-1'], /--seed takes a whole number from 0/],
    [['--seed', 'x'], /--seed takes a whole number/],
    [['--show-soft'], /--show-soft is an option of the pacing sweep \(npm run sweep\) only/],
    [['--rows', '5'], /Unknown option '--rows'/],
  ])('the engine sweep refuses %j with a message that names the option', (argv, message) => {
    expect(() => parseSweepArgs(argv, { cases: 24, showSoft: false })).toThrow(message)
  })
})
