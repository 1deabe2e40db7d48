/**
 * Bounds on everything read from outside (issue 13): sheet files of any kind (CSV, and the spreadsheet readers),
 * avatars, and what a sheet may contain. One place, used by the app backend, the browser shell, the CLI and the
 * renderer alike; every message that refuses an input names the limit from here. Pure data.
 */
export const INPUT_LIMITS = {
  /** Largest sheet file, in bytes, counted as they arrive (never trusted from the file's reported size). */
  sheetBytes: 50 * 1024 * 1024,
  /** Longest time a sheet file may take to read (a slow network share, a file that never ends). */
  sheetReadMs: 60_000,
  /** Most data rows in one sheet (the header row and blank rows not counted). */
  rows: 200_000,
  /** Most columns in the header row; a data row's cells beyond this are dropped (the row is an error anyway). */
  columns: 1_000,
  /** Longest record (one row, quoted line breaks included), in characters. Excel's own cell limit is 32,767. */
  recordChars: 1024 * 1024,
  /** Largest avatar file (or base64 text decoded), in bytes, counted as they arrive. */
  avatarBytes: 25 * 1024 * 1024,
  /** Longest time one avatar file may take to read. */
  avatarReadMs: 10_000,
  /** Largest small text file the CLI reads besides sheets (a --ca certificate). */
  smallFileBytes: 1024 * 1024,
} as const

export type InputLimits = typeof INPUT_LIMITS

/** A size as the limit messages show it: "1.9 MB", "12.0 KB", "300 bytes". */
export const formatSize = (n: number): string =>
  n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} bytes`
