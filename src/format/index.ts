/** Parsers for the Linux page_owner debugfs files, streaming, with ParseErrors that name file and line. */
export { parseCountThreshold, CountThresholdMachine } from './count-threshold.js'
export { detectFormat, type FormatName } from './detect.js'
export { openFile } from './file.js'
export { parseFrame, unindent, FrameCache } from './frame.js'
export { splitLines, LineTooLongError, MAX_LINE_LENGTH } from './lines.js'
export { feed, parse, generate, BlockMachine, type LineMachine, type ResultMachine } from './machine.js'
export { readPageOwner, pageOwnerRecords, PageOwnerMachine } from './page-owner.js'
export { RecordMachine, type RecordOptions, type RecordBody } from './records.js'
export {
  FrameSchema,
  PageOwnerFieldsSchema,
  PageOwnerRecordSchema,
  SwapPageOwnerFieldsSchema,
  SwapPageOwnerRecordSchema,
} from './schema.js'
export { parseShowHandles, ShowHandlesMachine } from './show-handles.js'
export {
  parseShowStacks,
  parseShowStacksHandles,
  readShowStacksText,
  ShowStacksHandlesMachine,
  ShowStacksMachine,
  ShowStacksTextMachine,
  type ParsedStack,
  type StackText,
} from './stacks.js'
export { readSwapPageOwner, swapPageOwnerRecords, SwapPageOwnerMachine } from './swap-page-owner.js'
export type * from './types.js'
