/** Hostile files for tests and bench drivers. */
import { open } from 'node:fs/promises'

/** 1.9 GB: what "Seen" 1 of issue 13 synced whole before refusing it as too large. */
export const SPARSE_SIZE = Math.round(1.9 * 1024 ** 3)

/** A sparse file of `size` bytes that starts with `head` (ftruncate: nothing is written but the head). */
export async function sparseFile(path: string, size = SPARSE_SIZE, head = 'TITLE,USERS\n'): Promise<void> {
  const fh = await open(path, 'w')
  try {
    await fh.write(head)
    await fh.truncate(size)
  } finally {
    await fh.close()
  }
}
