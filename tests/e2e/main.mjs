// The browser test run (started by run.sh): login and permissions first, then the
// registry pages as the administrator. Prints "N passed, M failed" and exits non-zero on
// any failure. A server built without the accounts module (GET /api/auth/me → 404) has no
// login: the registry tests then run on their own and the run says so.
import { BASE, accounts, login, run } from './harness.mjs'
import { authTests } from './auth.spec.mjs'
import { registryTests } from './registry.spec.mjs'
import { messageTests } from './messages.spec.mjs'
import { flowTests } from './flow.spec.mjs'
import { drawTests } from './draw.spec.mjs'
import { mapTests } from './map.spec.mjs'
import { jobTests } from './jobs.spec.mjs'
import { patrolTests } from './patrol.spec.mjs'
import { dashboardTests } from './dashboard.spec.mjs'
import { navigationTests } from './navigation.spec.mjs'
import { appealTests } from './appeals.spec.mjs'
import { publicationTests } from './publication.spec.mjs'
import { cycleTests } from './cycle.spec.mjs'
import { jointSummaryTests } from './joint-summary.spec.mjs'
import { unlicensedTests } from './unlicensed.spec.mjs'
import { correctionTests } from './corrections.spec.mjs'
import { publicTests } from './public.spec.mjs'

const me = await fetch(BASE + '/api/auth/me')
let tests
if (me.status === 404) {
  console.log('e2e: the server has no accounts module (GET /api/auth/me answered 404): login tests not run')
  tests = registryTests
} else {
  tests = [
    ...authTests,
    [
      '管理员以新密码登录',
      async (page) => {
        await login(page, accounts.admin, '/portal')
      },
    ],
    ...registryTests,
    ...messageTests,
    ...flowTests,
    ...drawTests,
    ...mapTests,
    ...jobTests,
    ...patrolTests,
    ...dashboardTests,
    ...navigationTests,
    ...appealTests,
    ...publicationTests,
    ...cycleTests,
    ...jointSummaryTests,
    ...unlicensedTests,
    ...correctionTests,
    ...publicTests,
  ]
  // E2E_ONLY=regex: only the tests whose name matches (a spec that logs in on its own).
  if (process.env.E2E_ONLY) tests = tests.filter(([name]) => new RegExp(process.env.E2E_ONLY).test(name))
}
const failed = await run(tests)
process.exit(failed ? 1 : 0)
