/** What a write of 256 to the fixture patches' knob holds: 256 pages on the base, 512 with the regression. */
export const PROBE = 'echo 256 > /sys/kernel/debug/page_budget_probe'
/** The budget on debugfs writes that the suite and the bisection check, as `page-budget run` takes it. */
export const BUDGET = { frames: ['full_proxy_write'], atMost: '300 pages' } as const
