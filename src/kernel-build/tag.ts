import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import { readKernelRecord, type KernelRecord } from './cache.js'
import { findKernelConfig, kernelImage } from './check.js'

/**
 * Which kernel a measurement was made on, as reports carry it: enough to tell a base kernel from
 * a candidate built from the same tree, whichever machine booted them.
 */
export const KernelTag = z.object({
  version: z.string().describe('the release the booted kernel reports (uname -r)'),
  source: z
    .string()
    .nullable()
    .describe(
      'what it was built from: `debian linux-source-7.2 7.2.13-1`, `tree /home/me/linux git 1a2b3c4d5e6f`, with ` + N patches` when patched; ' +
        '`bzImage sha256 <16 hex>` for an image page-budget did not build; null for a kernel page-budget did not boot (local, command, replay)',
    ),
  config: z.string().nullable().describe('sha256 of its .config, 16 hex digits; null when no .config is known'),
})
export type KernelTag = z.infer<typeof KernelTag>

/**
 * The tag of a kernel booted from `image` (a bzImage or a build directory): from the kernel.json
 * page-budget's cache keeps beside each image it built, else the image's own hash. Without an
 * image (a kernel page-budget did not boot) only the release is known.
 */
export async function kernelTag(version: string, image?: string): Promise<KernelTag> {
  if (image === undefined) return { version, source: null, config: null }
  const bzImage = kernelImage(image)
  const record = basename(bzImage) === 'bzImage' ? readKernelRecord(join(dirname(bzImage), 'kernel.json')) : undefined
  const configPath = findKernelConfig(image)
  const [source, config] = await Promise.all([
    record ? sourceWords(record) : readFile(bzImage).then((bytes) => `bzImage sha256 ${sha256(bytes)}`),
    configPath ? readFile(configPath).then(sha256) : null,
  ])
  return { version, source, config }
}

function sourceWords(record: KernelRecord): string {
  const { source } = record
  const words = source.kind === 'debian' ? `debian ${source.package} ${source.packageVersion}` : `tree ${source.dir} ${source.state}`
  const patches = record.patches.length
  return patches ? `${words} + ${patches} patch${patches === 1 ? '' : 'es'}` : words
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16)
}

/** `7.2.13, tree /src/linux git 1a2b3c4d5e6f, config 9f8e7d6c5b4a3f2e`: a tag in one line. */
export function formatKernelTag(tag: KernelTag): string {
  return [tag.version, tag.source, tag.config && `config ${tag.config}`].filter(Boolean).join(', ')
}
