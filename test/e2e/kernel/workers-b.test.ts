import { ownPagesTest } from './own-pages.js'

ownPagesTest('worker-b', 40)
