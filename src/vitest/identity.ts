import type { RunnerTestCase } from 'vitest'
import type { TestIdentity } from '../verdict/section.js'

/**
 * The running test as baselines name it. `updateState` is Vitest's snapshot update state
 * (`all` with -u, `none` in CI, `new` otherwise): baselines follow the snapshot rules.
 */
export function testIdentity(task: RunnerTestCase, updateState: TestIdentity['updateBaselines'], deadline: number | undefined): TestIdentity {
  const title = [task.name]
  for (let suite = task.suite; suite && suite !== task.file; suite = suite.suite) title.unshift(suite.name)
  return { file: task.file.filepath, title, updateBaselines: updateState, ...(deadline !== undefined && { deadline }) }
}
