import type { KernelFile, Target } from './types.js'

/** A small kernel file (boot_id, count_threshold, /proc/version) as text. */
export async function readText(target: Target, file: KernelFile): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  for await (const chunk of target.read(file)) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
  return text + decoder.decode()
}

/** Whether any line of a (possibly huge) kernel file contains `needle`, stopping at the first hit. */
export async function fileContains(target: Target, file: KernelFile, needle: string): Promise<boolean> {
  const decoder = new TextDecoder()
  let tail = ''
  for await (const chunk of target.read(file)) {
    const text = tail + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }))
    if (text.includes(needle)) return true
    // Keep enough of the end to find a needle split across chunks.
    tail = text.slice(-needle.length)
  }
  return false
}

/** A file's name for messages: the target's path for it where it knows one. */
export function where(target: Target, file: KernelFile): string {
  return target.locate?.(file) ?? file
}
