import { z } from 'zod'

export const settingsSchema = z.object({
  language: z.enum(['system', 'en', 'ru']).default('system'),
  theme: z.enum(['system', 'light', 'dark']).default('system'),
  /** Fraction of the portal's limits the engine allows itself (0.5–0.98). */
  pacingMargin: z.number().min(0.5).max(0.98).default(0.9),
  /** Default for new profiles: tag chats with a tool ENTITY_TYPE/ENTITY_ID to make unknown outcomes resolvable. */
  dedupeTagging: z.boolean().default(true),
  verifyAfterCreate: z.boolean().default(false),
  avatarMaxEdge: z.number().int().min(64).max(5000).default(1024),
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
