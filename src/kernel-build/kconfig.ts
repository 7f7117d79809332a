import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** `CONFIG_X=value` lines and `# CONFIG_X is not set` lines as name -> value ('n' for not set). */
export function parseConfig(text: string): Map<string, string> {
  const options = new Map<string, string>()
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line)
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line)
    if (set?.[1] !== undefined && set[2] !== undefined) options.set(set[1], set[2])
    else if (unset?.[1] !== undefined) options.set(unset[1], 'n')
  }
  return options
}

/** A requested option the final .config does not honour. */
export interface DroppedOption {
  name: string
  wanted: string
  got: string
}

/**
 * The requests (fragment lines) that the final .config does not honour. olddefconfig drops an
 * option whose dependencies are off without a word (VIRTIO_PCI without VIRTIO_MENU), so every
 * request is checked.
 */
export function droppedOptions(requested: ReadonlyMap<string, string>, config: string): DroppedOption[] {
  const actual = parseConfig(config)
  return [...requested].flatMap(([name, wanted]) => {
    const got = actual.get(name) ?? 'n'
    return got === wanted ? [] : [{ name, wanted, got }]
  })
}

/** A dropped option, explained: whether this tree defines it at all, and why it is off. */
export interface Explained extends DroppedOption {
  defined: boolean
  /** `CONFIG_X=y (got not set): depends on Y; off here: CONFIG_Y`. */
  text: string
}

/**
 * Why each dropped option is off, from the Kconfig files: its `depends on` lines and the `if`
 * blocks around its definition, with the symbols in them that the final .config has off.
 * Kconfig's own tools print no such thing (kunit.py also only lists what was dropped).
 */
export async function explainDropped(sourceDir: string, dropped: readonly DroppedOption[], config: string): Promise<Explained[]> {
  const wanted = new Set(dropped.map((option) => option.name.slice('CONFIG_'.length)))
  const conditions = await kconfigConditions(sourceDir, wanted)
  const actual = parseConfig(config)
  return dropped.map((option) => {
    const { name, wanted: value, got } = option
    const line = `${name}=${value} (got ${got === 'n' ? 'not set' : got})`
    const found = conditions.get(name.slice('CONFIG_'.length))
    if (!found) return { ...option, defined: false, text: `${line}: no Kconfig entry defines it in this tree` }
    if (value === 'n' || found.length === 0) return { ...option, defined: true, text: line }
    const off = found.flatMap((expression) => symbolsOf(expression).filter((symbol) => (actual.get(`CONFIG_${symbol}`) ?? 'n') === 'n'))
    const unmet = [...new Set(off)]
    return { ...option, defined: true, text: `${line}: depends on ${found.join(' && ')}${unmet.length ? `; off here: ${unmet.map((symbol) => `CONFIG_${symbol}`).join(', ')}` : ''}` }
  })
}

/** For each wanted symbol, the conditions on its definitions: `depends on` expressions and enclosing `if`s. */
async function kconfigConditions(sourceDir: string, wanted: ReadonlySet<string>): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>()
  const files = (await readdir(sourceDir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name.startsWith('Kconfig'))
    .map((entry) => join(entry.parentPath, entry.name))
  for (const file of files) {
    const text = await readFile(file, 'utf8')
    if (![...wanted].some((symbol) => text.includes(symbol))) continue
    const ifs: string[] = []
    let current: string | undefined
    for (const raw of text.split('\n')) {
      const line = raw.trim()
      const entry = /^(?:menu)?config\s+([A-Za-z0-9_]+)/.exec(line)
      if (entry) current = wanted.has(entry[1]!) ? entry[1] : undefined
      if (entry && current) found.set(current, [...(found.get(current) ?? []), ...ifs])
      else if (/^if\s/.test(line)) ifs.push(line.slice(3).trim())
      else if (line === 'endif' || line.startsWith('endif ')) ifs.pop()
      else if (current && line.startsWith('depends on ')) found.get(current)!.push(line.slice('depends on '.length).trim())
      else if (/^(choice|endchoice|menu|endmenu|comment|source|if)\b/.test(line)) current = undefined
    }
  }
  return found
}

/** The symbol names in a Kconfig expression: `EXT4_FS && (BLOCK || !X86)` -> EXT4_FS, BLOCK, X86. */
function symbolsOf(expression: string): string[] {
  return (expression.match(/\b[A-Z][A-Z0-9_]*\b/g) ?? []).filter((symbol) => symbol !== 'y' && symbol !== 'n' && symbol !== 'm')
}
