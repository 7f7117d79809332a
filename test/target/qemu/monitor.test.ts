import { describe, expect, it } from 'vitest'
import { describeVcpus, parseRegisters, parseSystemMap, symbolize } from '../../../src/target/qemu/monitor.js'

// `info registers -a` from QEMU 7.2 (TCG, 2 vCPUs), cut to the lines the parser reads and their neighbours.
const REGISTERS = `
CPU#0
RAX=0000000000000000 RBX=ffffffff82a0c940 RCX=0000000000000001 RDX=0000000000000000
RSI=0000000000000083 RDI=ffff88803ec1c0c0 RBP=ffffc90000013e58 RSP=ffffc90000013e30
RIP=ffffffff8110a3c2 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0
ES =0000 0000000000000000 00000000 00000000
CPU#1
RAX=0000000000000000 RBX=0000000000000001 RCX=0000000000000000 RDX=0000000000000000
RIP=ffffffff81c3a2e1 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1
`

const MAP = parseSystemMap([
  'ffffffff81000000 T _text',
  'ffffffff8110a300 T multi_cpu_stop',
  'ffffffff8110a500 t cpu_stopper_thread',
  'ffffffff81abc000 D some_data',
  'ffffffff81c3a2d0 T default_idle',
  'ffffffff81c3a300 T _etext',
].join('\n'))

describe('where a stalled guest\'s vCPUs are', () => {
  it('reads each vCPU\'s instruction pointer and whether it waits in HLT', () => {
    expect(parseRegisters(REGISTERS)).toEqual([
      { index: 0, rip: 'ffffffff8110a3c2', halted: false },
      { index: 1, rip: 'ffffffff81c3a2e1', halted: true },
    ])
    expect(parseRegisters('(qemu) unknown command')).toEqual([])
  })

  it('names the kernel function at each address from System.map, text symbols only', () => {
    expect(symbolize(MAP, 'ffffffff8110a3c2')).toBe('multi_cpu_stop+0xc2')
    expect(symbolize(MAP, 'ffffffff81c3a2e1')).toBe('default_idle+0x11')
    // A data symbol between two functions does not capture addresses in the first one's tail.
    expect(symbolize(MAP, 'ffffffff81abc010')).toBe('cpu_stopper_thread+0x9b1b10')
    expect(symbolize(MAP, '00000000000fd2e4')).toBeUndefined()
    expect(symbolize(MAP, 'ffffffff81c3a310')).toBeUndefined()
  })

  it('says it in one line for the boot error', () => {
    const states = parseRegisters(REGISTERS).map((s) => ({ ...s, symbol: symbolize(MAP, s.rip) }))
    expect(describeVcpus(states)).toBe('vCPU 0 running at multi_cpu_stop+0xc2; vCPU 1 halted at default_idle+0x11')
    expect(describeVcpus([{ index: 0, rip: 'fd2e4', halted: false }])).toBe('vCPU 0 running at 0xfd2e4')
  })
})
