// Prepares a machine for page-budget's QEMU target, after `npm ci` (whose `prepare` script
// builds dist/): installs the Debian packages it needs when run as root, else prints the apt
// command, then builds the page_owner test kernel or reuses the cached one. A second run only
// asks dpkg-query and finds the cached kernel, so it takes a moment. With --test-kernels (npm
// test) it also builds the other kernels the e2e tests boot.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const dist = new URL('../dist/kernel-build/', import.meta.url)
if (!existsSync(new URL('build.js', dist))) {
  console.error('setup: dist/ is missing; run `npm ci` (or `npm run build`) first')
  process.exit(1)
}
const { buildPackages } = await import(new URL('tools.js', dist).href)
const { buildKernel } = await import(new URL('build.js', dist).href)

// The QEMU target runs the kernel under qemu-system-x86_64 with a busybox initramfs and formats
// its `disks` with mkfs.ext4 (e2fsprogs, missing from slim images); the e2e test of `watch`
// opens its chart in headless Chromium.
const packages = ['qemu-system-x86', 'busybox-static', 'e2fsprogs', 'chromium', ...buildPackages()]
const missing = packages.filter((name) => !isInstalled(name))
if (missing.length > 0) {
  const install = ['install', '-y', '--no-install-recommends', ...missing]
  if (process.getuid?.() !== 0) {
    console.error(`setup: missing Debian packages; as root run:\n  apt-get update && apt-get ${install.join(' ')}`)
    process.exit(1)
  }
  console.log(`setup: installing ${missing.join(' ')}`)
  execFileSync('apt-get', ['update'], { stdio: 'inherit' })
  execFileSync('apt-get', install, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
}

// --test-kernels (npm test): also the kernels only the e2e tests boot, built here, before any VM
// starts, so that no build loads the machine while a test's VM boots.
const kernels = [['test', {}]]
if (process.argv.includes('--test-kernels')) {
  kernels.push(
    // test/e2e/swap-page-owner.test.ts. Patched Debian source: its first build starts from the
    // test kernel's build directory (kernel-build/seed.ts), so it compiles what the patches touch.
    ['swap_page_owner', { swapPageOwner: true }],
    // test/e2e/page-owner-off.test.ts: PageOwnerDisabledError('not-built'), live. The test
    // kernel's tree and build directory, so only what CONFIG_PAGE_OWNER reaches is rebuilt.
    ['without page_owner', { disable: ['CONFIG_PAGE_OWNER'] }],
    // The kernel-6.12 and kernel-6.1 projects (vitest.config.ts): show_stacks, no show_handles;
    // then the per-page file alone. Other Debian sources: full builds.
    ['6.12', { version: '6.12' }],
    ['6.1', { version: '6.1' }],
  )
}
for (const [name, request] of kernels) {
  const kernel = await buildKernel({ ...request, onLine: (line) => console.log(line) })
  console.log(`setup: ${name} kernel ${kernel.version} ${kernel.reused ? 'reused' : `built in ${Math.round(kernel.seconds)} s`}: ${kernel.bzImage}`)
}

function isInstalled(name) {
  try {
    const status = execFileSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    return status === 'install ok installed'
  } catch {
    return false
  }
}
