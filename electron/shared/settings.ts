import { z } from 'zod'

/**
 * Requests in flight to one portal (issue 11). The docs warn against "multiple parallel series of requests from a
 * single IP", and the operating budget (480 s of server time per 10 min) is spent 4× as fast with 4 heavy batches in
 * flight: a whole window's budget in about 2 minutes. So more than a few never speeds up a budget-bound job; it only
 * loads the portal. 4 finishes a job that fits one window (≈1,600 chats) about 4× sooner than one at a time; 16 is
 * the most the setting allows.
 */
export const CONCURRENCY = { default: 4, min: 1, max: 16 } as const

export const settingsSchema = z.object({
  language: z.enum(['system', 'en', 'ru']).default('system'),
  theme: z.enum(['system', 'light', 'dark']).default('system'),
  /** Fraction of the portal's limits the engine allows itself (0.5–0.98). */
  pacingMargin: z.number().min(0.5).max(0.98).default(0.9),
  /** Default for new profiles: tag chats with a tool ENTITY_TYPE/ENTITY_ID to make unknown outcomes resolvable. */
  dedupeTagging: z.boolean().default(true),
  verifyAfterCreate: z.boolean().default(false),
  avatarMaxEdge: z.number().int().min(64).max(5000).default(1024),
  /** The most requests in flight to one portal; the pacer adapts below it (CONCURRENCY). */
  maxConcurrency: z.number().int().min(CONCURRENCY.min).max(CONCURRENCY.max).default(CONCURRENCY.default),
})
export type Settings = z.infer<typeof settingsSchema>
export const DEFAULT_SETTINGS: Settings = settingsSchema.parse({})

/**
 * A partial update of the settings: each key optional and WITHOUT its default. (`settingsSchema.partial()` would
 * fill every absent key with its default under zod 4, so saving the language reset the theme and vice versa.)
 */
export const settingsPatchSchema = z.object(
  Object.fromEntries(Object.entries(settingsSchema.shape).map(([k, v]) => [k, v.unwrap().optional()])) as {
    [K in keyof typeof settingsSchema.shape]: z.ZodOptional<ReturnType<(typeof settingsSchema.shape)[K]['unwrap']>>
  },
)
