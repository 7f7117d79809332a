// npm run bench: every side-by-side benchmark, in one run (needs `npm run build`).
await import('./sample.mjs')
await import('./aggregate.mjs')
await import('./perpage.mjs')
await import('./watch.mjs')
;(await import('./goals.mjs')).printGoals()
