import { ownPagesTest } from './own-pages.js'

ownPagesTest('worker-a', 96)
