/** One element of `list`, drawn with `rng` (a seeded generator, so a draw is the same for the same seed). */
export const pickOne = <T>(rng: () => number, list: readonly T[]): T => list[Math.floor(rng() * list.length)] as T
