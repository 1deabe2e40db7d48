import { it } from 'vitest'
it('leaves a timer', () => { window.setTimeout(() => window.clearTimeout(0), 300) })
