import type { Breach } from './check.js'

/**
 * GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=T::message`, shown on the
 * pull request's diff at the assertion. Data and properties are escaped as the runner expects.
 */
export function githubAnnotation(breach: Breach): string {
  const properties = [
    ...(breach.location ? [`file=${escapeProperty(breach.location.file)}`, `line=${breach.location.line}`] : []),
    ...(breach.location?.column !== undefined ? [`col=${breach.location.column}`] : []),
    `title=${escapeProperty('page-budget')}`,
  ]
  return `::error ${properties.join(',')}::${escapeData(breach.message)}`
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')
}
