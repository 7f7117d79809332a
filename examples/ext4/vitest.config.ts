import { defineConfig } from 'vitest/config'
import { pageBudget } from 'page-budget/vitest/plugin'
import { PageBudgetReporter } from 'page-budget/vitest/reporter'

// A 256 MiB virtio-blk disk, formatted ext4 on the host (mkfs.ext4) for each boot and mounted by
// the guest at /mnt/ext4. The image is a sparse file that goes away with the VM.
export default defineConfig({
  plugins: [pageBudget({ target: { kind: 'qemu', memory: 1024, disks: [{ size: '256M', fs: 'ext4', mount: '/mnt/ext4' }] } })],
  test: {
    include: ['examples/ext4/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default', new PageBudgetReporter()],
  },
})
