/** What a write of 256 to the fixture patches' knob holds: 256 pages on the base, 512 with the regression. */
export const PROBE = 'echo 256 > /sys/kernel/debug/page_budget_probe'
/** The budget on the knob's write path (its handler is in every commit that has it) that the suite and the bisection check. */
export const BUDGET = { frames: ['page_budget_probe_write'], atMost: '300 pages' } as const
