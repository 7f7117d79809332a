import { writeFileSync } from 'node:fs'
import type { Reporter, TestCase, TestResult, TestStep } from '@playwright/test/reporter'

/** One step as the HTML report gets it through the reporter API. */
interface Step {
  category: string
  title: string
  line: number | undefined
  column: number | undefined
  error: string | undefined
  steps: Step[]
}

const tree = (step: TestStep): Step => ({
  category: step.category,
  title: step.title,
  line: step.location?.line,
  column: step.location?.column,
  error: step.error?.message,
  steps: step.steps.map(tree),
})

/** Writes each test's step tree to `outputFile` (test/frameworks/native.test.ts reads it). */
export default class StepsReporter implements Reporter {
  readonly #tests: Record<string, Step[]> = {}
  constructor(private readonly options: { outputFile: string }) {}

  printsToStdio(): boolean {
    return false
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    this.#tests[test.title] = result.steps.map(tree)
  }

  onEnd(): void {
    writeFileSync(this.options.outputFile, JSON.stringify(this.#tests, null, 2))
  }
}
