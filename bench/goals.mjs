// The acceptance goals of the performance work (issue 13), checked by the benches as they measure
// and printed together at the end of `npm run bench`, so one run gives every figure side by side.
const goals = []

/** Records a goal's figure and says at once whether it was met. */
export function goal(text, figure, met) {
  goals.push({ text, figure, met })
  console.log(`  ${met ? 'PASS' : 'FAIL'}  ${text}: ${figure}`)
}

export function printGoals() {
  if (goals.length === 0) return
  console.log('\ngoals (issue 13), this run:')
  const width = Math.max(...goals.map((g) => g.text.length))
  for (const { text, figure, met } of goals) console.log(`  ${met ? 'PASS' : 'FAIL'}  ${text.padEnd(width)}  ${figure}`)
}
