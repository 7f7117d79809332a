import { open } from 'node:fs/promises'
import { VmError } from '../../errors.js'

/** Enough of the guest's console to show a panic or an init failure, without the whole boot. */
const TAIL_LINES = 30
const TAIL_BYTES = 16 * 1024

/** The last lines of the console log (ttyS0), or '' when it cannot be read. */
export async function consoleTail(path: string, lines = TAIL_LINES): Promise<string> {
  try {
    const file = await open(path, 'r')
    try {
      const { size } = await file.stat()
      const length = Math.min(size, TAIL_BYTES)
      const { buffer, bytesRead } = await file.read(Buffer.alloc(length), 0, length, size - length)
      // Serial consoles end lines with \r\n.
      return buffer.subarray(0, bytesRead).toString('utf8').replace(/\r/g, '').trimEnd().split('\n').slice(-lines).join('\n')
    } finally {
      await file.close()
    }
  } catch {
    return ''
  }
}

/** A VmError whose message carries QEMU's stderr and the console tail, which usually say why. */
export async function vmFailure(message: string, context: { consoleLog: string; stderr: string; hint?: string; cause?: unknown }): Promise<VmError> {
  const quote = (text: string): string => text.split('\n').map((line) => `  | ${line}`).join('\n')
  const stderr = context.stderr.trim()
  const tail = await consoleTail(context.consoleLog)
  const parts = [message]
  if (stderr) parts.push(`QEMU said:\n${quote(stderr.split('\n').slice(-TAIL_LINES).join('\n'))}`)
  parts.push(tail ? `console (end of ${context.consoleLog}):\n${quote(tail)}` : `the console log ${context.consoleLog} is empty`)
  return new VmError(parts.join('\n'), { hint: context.hint, cause: context.cause })
}
