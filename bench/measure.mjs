// Side-by-side timing: the contenders run interleaved (A B A B ...) in one process, so machine
// noise hits both alike; the result is a ratio of medians, never an absolute time.

export async function sideBySide(contenders, { rounds = 15, warmup = 3 } = {}) {
  const times = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]))
  for (let round = 0; round < warmup + rounds; round++) {
    for (const [name, run] of Object.entries(contenders)) {
      const start = process.hrtime.bigint()
      await run()
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      if (round >= warmup) times[name].push(ms)
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, list]) => [name, median(list)]))
}

function median(list) {
  const sorted = [...list].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

export function printRatios(title, medians, baseline) {
  console.log(`\n${title}`)
  for (const [name, ms] of Object.entries(medians)) {
    const ratio = medians[baseline] / ms
    console.log(`  ${name.padEnd(44)} ${ms.toFixed(2).padStart(9)} ms   ${name === baseline ? '1.00x (baseline)' : `${ratio.toFixed(2)}x ${ratio >= 1 ? 'faster' : 'slower'} than ${baseline}`}`)
  }
}
