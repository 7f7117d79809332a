/**
 * The files of a recording made by `page-budget record` (or `watch --out`). Besides these, a
 * recording holds `boot_id`, `version`, `show_stacks_handles` (only the stacks its output named)
 * and `start.show_handles` / `end.show_handles`, so plain-file tools and the replay target read it
 * like any capture. (A module of its own, without zod: `top` and `diff` look for it before reading a byte.)
 */
export const SERIES_FILE = 'series.json'
