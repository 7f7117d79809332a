import { UnsupportedKernelError, UsageError } from '../errors.js'
import type { Frame } from '../format/types.js'
import { describeOwner, isProcessOwner, ownsPage, type ProcessOwner } from '../select/owners.js'
import type { OwnerEntry, OwnersSample } from '../snapshot/owners.js'
import type { CompiledSelector, StackSelector } from '../select/selector.js'
import type { Measurement } from '../session/measurement.js'
import { diffCounts } from '../format/counts.js'
import type { Snapshot } from '../snapshot/snapshot.js'
import { countedAs } from '../snapshot/include.js'
import { formatAmount, formatBytes, toleranceAllowance, type Tolerance } from '../amount.js'
import { formatCompared, formatStackList } from './message.js'
import { asMeasurement, type Judges } from './receiver.js'
import { budgetRecord, callText } from './record.js'

export interface OwnershipOptions {
  /** The mark whose pages must still be the owner's. Process owners need `mark(name, { owners: true })`. */
  since: string
  /** Pages allowed to move away: an amount, or a percentage of what the owner held at the mark. */
  tolerance?: Tolerance
  /** Refuse up front on a kernel that cannot follow pages through swap (no swap_page_owner). */
  requireSwapTracking?: boolean
}

/** How many new holders a failure lists. */
const TOP = 5

/** Pages an owner held at the mark and holds now, and who gained pages in between. */
interface Holding {
  then: number
  now: number
  /** `resident + swap` breakdown of `now`, where the answer came from the per-page files. */
  split?: { resident: number; swap: number }
  gainers: { headline: string; frames: Frame[]; pages: number }[]
  keep?: CompiledSelector['names']
  /** What was read to answer, for the message. */
  cost: string
  before: Pick<Snapshot, 'label' | 'takenAt' | 'bootId'>
  after: Pick<Snapshot, 'label' | 'takenAt'>
}

/** Process owners: the per-page files at the mark and now, pages per (process, stack). */
async function processHolding(measurement: Measurement, owner: ProcessOwner, since: string): Promise<Holding> {
  const then = measurement.ownersAt(since)
  const now = await measurement.owners('expect')
  const held = (sample: OwnersSample) => sum([...sample.entries.values()].filter((e) => ownsPage(owner, e)))
  const nowMine = [...now.entries.values()].filter((e) => ownsPage(owner, e))
  const gainers = [...now.entries]
    .filter(([, entry]) => !ownsPage(owner, entry))
    .map(([key, entry]) => ({ entry, pages: total(entry) - (then.entries.get(key) ? total(then.entries.get(key)!) : 0) }))
    .filter((g) => g.pages > 0)
    .sort((a, b) => b.pages - a.pages)
    .slice(0, TOP)
  const mark = measurement.baseline(since)
  return {
    then: held(then),
    now: sum(nowMine),
    split: { resident: nowMine.reduce((n, e) => n + e.resident, 0), swap: nowMine.reduce((n, e) => n + e.swap, 0) },
    gainers: gainers.map(({ entry, pages }) => ({
      headline: `${entry.comm} (pid ${entry.pid}): +${formatAmount(pages, measurement.session.pageSize)}`,
      frames: entry.frames,
      pages,
    })),
    cost: `read ${formatBytes(then.bytesRead + now.bytesRead)} of ${now.swapTracking ? 'page_owner and swap_page_owner' : 'page_owner'} (${((then.ms + now.ms) / 1000).toFixed(1)} s)`,
    before: mark,
    after: { label: now.label, takenAt: Date.now() },
  }
}

/** Stack owners: show_handles at the mark and now; the stacks that gained pages are the new holders. */
async function stackHolding(measurement: Measurement, owner: StackSelector, since: string): Promise<Holding> {
  const session = measurement.session
  const selector = session.selector(owner)
  const baseline = measurement.baseline(since)
  // A page in swap is still its stack's: where the mark read swap_page_owner (mark(name, { swap:
  // true }) or countSwap), count pages in memory and in swap alike, read now the same way.
  const swap = baseline.swap !== undefined
  const include = swap ? 'all' : 'resident'
  const before = countedAs(baseline, include, swap)
  const after = countedAs(await measurement.snapshot('expect', { swap }), include, swap)
  const frames = await session.stacks.resolve(new Set([...before.counts.keys(), ...after.counts.keys()]))
  const mine = (key: number) => selector.matches(key, frames.get(key) ?? [])
  const held = (snapshot: Snapshot) => [...snapshot.counts].reduce((n, [key, pages]) => n + (mine(key) ? pages : 0), 0)
  const gainers = diffCounts(before.counts, after.counts)
    .filter((row) => row.delta > 0 && !mine(row.key))
    .sort((a, b) => b.delta - a.delta)
    .slice(0, TOP)
  return {
    then: held(before),
    now: held(after),
    gainers: gainers.map((row) => ({
      headline: `handle ${row.key}: +${formatAmount(row.delta, session.pageSize)}`,
      frames: frames.get(row.key) ?? [],
      pages: row.delta,
    })),
    keep: selector.names,
    cost: swap ? 'read show_handles and swap_page_owner' : 'read show_handles',
    before,
    after,
  }
}

function total(entry: OwnerEntry): number {
  return entry.resident + entry.swap
}

function sum(entries: OwnerEntry[]): number {
  return entries.reduce((n, e) => n + total(e), 0)
}

export const ownershipMatchers: Judges<'toRemainOwnedBy'> = {
  async toRemainOwnedBy(received, owner, options) {
    const measurement = asMeasurement(received, 'toRemainOwnedBy')
    const session = measurement.session
    if (typeof owner !== 'object' || owner === null) throw new UsageError(`toRemainOwnedBy needs an owner, got ${String(owner)}`)
    const byProcess = isProcessOwner(owner)
    if (typeof options?.since !== 'string') {
      throw new UsageError('toRemainOwnedBy(owner, { since }) needs the mark whose pages must stay the owner\'s', {
        hint: "await pageOwner.mark('written', { owners: true }) after the workload, then toRemainOwnedBy(owner, { since: 'written' })",
      })
    }
    const swapTracking = session.capabilities.files.swap_page_owner
    if (options.requireSwapTracking && !swapTracking) {
      throw new UnsupportedKernelError(
        `${session.target.description}: the kernel does not track pages in swap (no /sys/kernel/debug/swap_page_owner), and requireSwapTracking is set`,
        "boot a kernel with page-budget's swap patches: page-budget kernel build --swap-page-owner, booted page_owner=on,swap (the QEMU target's swapPageOwner: true)",
      )
    }
    if (byProcess) measurement.ownersAt(options.since)
    const holding = byProcess ? await processHolding(measurement, owner, options.since) : await stackHolding(measurement, owner as StackSelector, options.since)

    const pageSize = session.pageSize
    const words = (pages: number) => formatAmount(pages, pageSize)
    const allowance = toleranceAllowance(options.tolerance, { pages: holding.then, bytes: holding.then * pageSize }, pageSize).pages
    const moved = holding.then - holding.now
    const pass = moved <= allowance
    const { call, site } = this
    const isNot = call.negated
    const who = describeOwner(owner)
    const expected = `the ${words(holding.then)} ${who} held at '${options.since}' still its own${allowance ? ` (tolerance ${words(allowance)})` : ''}`
    const received_ = `${words(Math.max(holding.now, 0))} still its own${holding.split ? ` (${holding.split.resident} resident, ${holding.split.swap} in swap)` : ''}${moved > 0 ? `; ${words(moved)} moved away` : ''}`
    return {
      record: budgetRecord({ call, site, selector: who, expected, pages: holding.now, pageSize, pass }),
      result: {
        pass,
        message: () => [
          `expect(pageOwner)${callText(call)}`,
          '',
          `Owner:    ${who} (${byProcess ? 'process, from the per-page files' : 'stacks, from show_handles'})`,
          `Expected: ${isNot ? 'not ' : ''}${expected}`,
          `Received: ${received_}`,
          '',
          ...(holding.gainers.length
            ? formatStackList(`Now held by (gained since '${options.since}'):`, holding.gainers, holding.keep)
            : ['No other owner gained pages.', '']),
          ...(swapTracking ? [] : ['This kernel does not track pages in swap: a page swapped out and read back in belongs to whoever read it.', '']),
          formatCompared(holding.before, holding.after),
          `          ${holding.cost}`,
        ].join('\n'),
      },
    }
  },
}
