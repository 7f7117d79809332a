import { parseFrame, parseShowHandles, readPageOwner, readShowStacksText } from '../format/index.js'
import { where } from '../target/read.js'
import type { Frame, HandleCounts } from '../format/types.js'
import type { SamplePath } from '../target/probe.js'
import type { Target } from '../target/types.js'
import { hashText } from './hash.js'
import type { StacksCache } from './stacks.js'

/**
 * Reads pages per stack through the cheapest path the kernel has. On the fallback paths the
 * stack text is the only identity, so it is hashed here and taught to the stacks cache.
 */
export async function readCounts(target: Target, path: SamplePath, stacks: StacksCache): Promise<HandleCounts> {
  const file = where(target, path)
  switch (path) {
    case 'show_handles':
      return parseShowHandles(target.read('show_handles'), file)
    case 'show_stacks': {
      const counts: HandleCounts = new Map()
      for (const { text, pages } of await readShowStacksText(target.read('show_stacks'), file)) {
        const key = hashText(text)
        counts.set(key, (counts.get(key) ?? 0) + pages)
        stacks.learnText(key, text)
      }
      return counts
    }
    case 'page_owner': {
      const counts: HandleCounts = new Map()
      await readPageOwner(target.read('page_owner'), file, (record) => {
        const text = record.frames.map((f) => f.raw).join('\n')
        const key = hashText(text)
        counts.set(key, (counts.get(key) ?? 0) + 2 ** record.order)
        stacks.learnFrames(key, record.frames)
      })
      return counts
    }
  }
}

/** Frames from a stack's text (one frame per line), for keys learned on a fallback path. */
export function framesOfText(text: string): Frame[] {
  return text.split('\n').flatMap((line) => parseFrame(line) ?? [])
}
