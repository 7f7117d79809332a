import { addPages } from '../format/counts.js'
import { parseShowHandles } from '../format/show-handles.js'
import { hashText, stackText } from '../format/stack-key.js'
import { readShowStacksText } from '../format/stacks.js'
import { readSwapPageOwner } from '../format/swap-page-owner.js'
import type { Body } from '../format/record-scan.js'
import type { HandleCounts } from '../format/types.js'
import type { SamplePath } from '../format/detect.js'
import { where } from '../target/read.js'
import type { Target } from '../target/types.js'
import { pagesPerBody } from './owners.js'
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
        addPages(counts, key, pages)
        stacks.learnText(key, text)
      }
      return counts
    }
    case 'page_owner': {
      const counts: HandleCounts = new Map()
      for (const [body, pages] of await pagesPerBody(target.read('page_owner'), file)) {
        addPages(counts, body.key, pages)
        stacks.learnFrames(body.key, [...body.frames])
      }
      return counts
    }
  }
}

/**
 * Pages in swap per stack handle, from swap_page_owner (page-budget's swap patches; one record
 * per page in swap, with the frames of its first allocation). Records are keyed by frames text, then mapped
 * to handles through the stacks cache; a stack the kernel no longer lists keeps its text hash.
 */
export async function readSwapCounts(target: Target, stacks: StacksCache): Promise<HandleCounts> {
  const perBody = new Map<Body, number>()
  const file = where(target, 'swap_page_owner')
  await readSwapPageOwner(target.read('swap_page_owner'), file, (_, body) => addPages(perBody, body, 1), { validate: false })
  const byText = new Map<string, number>()
  for (const [body, pages] of perBody) addPages(byText, stackText(body.frames), pages)
  const keys = await stacks.keysOfStacks(byText.keys())
  const counts: HandleCounts = new Map()
  for (const [text, pages] of byText) addPages(counts, keys.get(text) ?? hashText(text), pages)
  return counts
}
