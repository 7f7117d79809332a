import { readdirSync, readFileSync } from 'node:fs'
import { join, posix, relative, sep } from 'node:path'

/** One relative import of a source file: the file it names, and whether it survives compilation. */
export interface Import {
  from: string
  to: string
  /** `import type`, or every name marked `type`: erased by tsc, so it cannot form a runtime cycle. */
  typeOnly: boolean
}

/**
 * The relative imports and re-exports in a TypeScript module's text (static, side-effect and
 * dynamic), with `.js` specifiers mapped back to the `.ts` file, paths relative to `root`.
 */
export function importsOf(file: string, text: string): Import[] {
  const found: Import[] = []
  const add = (specifier: string, typeOnly: boolean) => {
    if (!specifier.startsWith('.')) return
    found.push({ from: file, to: posix.normalize(posix.join(posix.dirname(file), specifier.replace(/\.js$/, '.ts'))), typeOnly })
  }
  for (const match of text.matchAll(/^(?:import|export)\s+(type\s+)?([^;'"]*?)\s*from\s+'([^']+)'/gms)) {
    const names = match[2]!
    const braced = /^\{([^}]*)\}$/.exec(names.trim())
    const allTyped = braced !== null && braced[1]!.split(',').map((n) => n.trim()).filter(Boolean).every((n) => n.startsWith('type '))
    add(match[3]!, match[1] !== undefined || allTyped)
  }
  for (const match of text.matchAll(/^import\s+'([^']+)'/gm)) add(match[1]!, false)
  for (const match of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) add(match[1]!, false)
  return found
}

/** Every `.ts` file under `dir`, relative to `root` with / separators. */
export function sourceFiles(root: string, dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort()
}

export function readImports(root: string, files: readonly string[]): Import[] {
  return files.flatMap((file) => importsOf(file, readFileSync(join(root, file), 'utf8')))
}

/**
 * Layers, lowest first: a module may import its own unit and any unit of a lower layer. A unit
 * is a folder under src/ or a file at its top.
 */
export type Layers = readonly (readonly string[])[]

export function unitOf(file: string): string {
  const [, first, second] = file.split('/')
  return second === undefined ? first! : first!
}

/** Imports that point up the layers (or sideways, to another unit of the same layer), and files no layer names. */
export function layerViolations(imports: readonly Import[], layers: Layers): string[] {
  const rank = new Map(layers.flatMap((units, i) => units.map((unit) => [unit, i] as const)))
  const problems: string[] = []
  for (const { from, to } of imports) {
    const [a, b] = [unitOf(from), unitOf(to)]
    if (a === b) continue
    const [ra, rb] = [rank.get(a), rank.get(b)]
    if (ra === undefined || rb === undefined) problems.push(`${from} -> ${to}: ${ra === undefined ? a : b} is in no layer`)
    else if (rb >= ra) problems.push(`${from} -> ${to}: ${a} (layer ${ra}) imports ${b} (layer ${rb})`)
  }
  return problems
}

/** Cycles among the imports that remain at runtime, each as the files around it. */
export function runtimeCycles(imports: readonly Import[]): string[][] {
  const edges = new Map<string, string[]>()
  for (const { from, to, typeOnly } of imports) if (!typeOnly) edges.set(from, [...(edges.get(from) ?? []), to])
  const state = new Map<string, 'open' | 'done'>()
  const cycles: string[][] = []
  const path: string[] = []
  const visit = (file: string) => {
    state.set(file, 'open')
    path.push(file)
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next])
      else if (!state.has(next)) visit(next)
    }
    path.pop()
    state.set(file, 'done')
  }
  for (const file of [...edges.keys()].sort()) if (!state.has(file)) visit(file)
  return cycles
}

