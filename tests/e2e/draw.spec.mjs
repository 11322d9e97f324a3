// Browser test of the draw (DRAW-1..11, VERIFY-1, issue 12 §3): the draw page previews the
// strata and commits a draw (nothing drawn until witnessed); then a task's draw with two
// people: a first attempt is witnessed, given up with a reason and approved by another
// department head (API); the second attempt is committed by 渝中区's assigner in the
// browser, witnessed by the 监督人员 (渝中区's reviewer, their own login on the same screen
// after the assigner signs out), confirmed by the assigner with the draw password (set
// with a repeat field); and the public pages, without logging in, list both attempts —
// the abandoned one with its reason and nothing it selected — and recompute the
// confirmed one ("第 2 次（共 2 次）").
import assert from 'node:assert/strict'
import { BASE, TIMEOUT, accounts, bearerCall, bearerOk, bearerToken, demoUser, login, logout, uscc, witnessDraw } from './harness.mjs'

// Element Plus puts attributes of <el-input> on the native input or on its wrapper.
const field = (page, name) => page.locator(`[data-test=${name}]`).locator('xpath=descendant-or-self::input').first()
const stamp = Date.now().toString(36)
const assigner = demoUser('yz_assigner')
const reviewer = demoUser('yz_reviewer')
const head = { account: `yz_head_draw_${stamp}`, password: 'Dw3#poplar-Reef', next: 'Dw4#poplar-Sand' }
const cityHead = { account: `city_head_draw_${stamp}`, password: 'Dw5#cedar-Mist', next: 'Dw6#cedar-Dawn' }
const known = { yz_reviewer: ['Hd3!birch-Wave'] }
const state = {}

export const drawTests = [
  [
    '随机抽取：预览各层候选数并提交抽取（先承诺，待监督人员见证）',
    async (page) => {
      await login(page, accounts.admin, '/random/draws/new')
      await field(page, 'title').fill('浏览器测试抽取')
      // Objects only: 0 inspectors per group.
      const perGroup = page.locator('.el-form-item', { hasText: '每组人数' }).locator('input')
      await perGroup.fill('0')
      await perGroup.blur()
      await page.locator('[data-test=preview]').click()
      const summary = page.locator('[data-test=preview-summary]')
      await summary.waitFor({ timeout: TIMEOUT })
      assert.match(await summary.innerText(), /候选 \d+ 个，将抽取 \d+ 个/)
      await page.locator('[data-test=run]').click()
      await page.waitForURL(/\/random\/draws\/\d+$/, { timeout: TIMEOUT })
      await page.locator('[data-test=draw-status]').waitFor({ timeout: TIMEOUT })
      assert.match(await page.locator('[data-test=draw-status]').innerText(), /已承诺，待监督人员见证/)
      await page.locator('[data-test=wait-witness]').waitFor({ timeout: TIMEOUT })
      assert.equal(await page.locator('[data-test=group-1]').count(), 0, 'nothing is drawn before the witness')
      assert.equal(await page.locator('[data-test=witness-ok]').count(), 0, 'the drawer cannot witness')
      const id = Number(new URL(page.url()).pathname.split('/').pop())
      await logout(page)
      // A drawer holds one attempt without a task at a time (issue 12 §3): this one is given
      // up, approved by another person — a department head of the city bureau, made here.
      const admin = await bearerToken(accounts.admin)
      const me = await bearerOk(admin, 'GET', '/api/auth/me')
      const roles = await bearerOk(admin, 'GET', '/api/roles?q=department_head')
      const role = roles.items.find((x) => x.code === 'department_head')
      await bearerOk(admin, 'POST', '/api/users', {
        account: cityHead.account, name: `市局抽取审批负责人${stamp}`, password: cityHead.password,
        identities: [{ unit_id: me.identity.unit_id, role_id: role.id, is_default: true }],
      }, 201)
      await bearerOk(admin, 'POST', `/api/draws/${id}/abandon`, { reason: `浏览器测试只看承诺-${stamp}` })
      const done = await bearerOk(await bearerToken(cityHead), 'POST', `/api/draws/${id}/abandon/approve`, { opinion: '同意' })
      assert.equal(done.status, 'abandoned')
    },
  ],
  [
    '随机抽取：任务第一次抽取经见证后申请放弃，由另一位负责人批准（接口准备）',
    async () => {
      const admin = await bearerToken(accounts.admin)
      const a = await bearerToken(assigner)
      const r = await bearerToken(reviewer, known.yz_reviewer)
      const me = await bearerOk(a, 'GET', '/api/auth/me')
      const unit = me.identity.unit_id
      // Two new enterprises of the task's stratum, whatever earlier specs drew this year.
      const publish = await bearerToken(demoUser('yz_admin'))
      for (const n of [1, 2])
        await bearerOk(publish, 'POST', '/api/subjects', {
          uscc: uscc(57 * n), name: `渝中区抽取测试商行${stamp}-${n}`, division_code: '500103', risk_level: 4, credit_level: 'D',
          address: `重庆市渝中区抽取路 ${n} 号`,
        }, 201)
      const roles = await bearerOk(admin, 'GET', '/api/roles?q=department_head')
      const role = roles.items.find((x) => x.code === 'department_head')
      await bearerOk(admin, 'POST', '/api/users', {
        account: head.account, name: `抽取审批负责人${stamp}`, password: head.password,
        identities: [{ unit_id: unit, role_id: role.id, is_default: true }],
      }, 201)
      const year = new Date().getFullYear()
      const items = (await bearerOk(a, 'GET', '/api/items?page_size=1')).items.map((i) => i.id)
      const plan = await bearerOk(a, 'POST', '/api/plans', {
        year, name: `${year}年度渝中区抽取公开测试计划-${stamp}`, plan_type: 'single', item_ids: items,
        object_scope: '渝中区市场主体', start_date: `${year}-01-01`, end_date: `${year}-12-31`,
      }, 201)
      await bearerOk(a, 'POST', `/api/plans/${plan.id}/distribute`, {})
      state.plan = plan.id
      const task = await bearerOk(a, 'POST', '/api/tasks', {
        plan_id: plan.id, name: `抽取公开测试任务-${stamp}`, task_type: 'single', item_ids: items,
        start_date: `${year}-01-01`, end_date: `${year}-12-31`,
        draw_params: {
          objects: { object_type: 'market_subject', division_codes: ['500103'], strata: [{ risk_level: 4, credit_level: 'D', count: 1 }] },
          inspectors: { scope: 'bureau' },
          groups: { count: 1, inspectors_per_group: 2 },
        },
      }, 201)
      state.task = task.id
      await bearerOk(a, 'POST', `/api/tasks/${task.id}/submit`)
      await bearerOk(r, 'POST', `/api/tasks/${task.id}/approve`, { opinion: '同意' })
      await bearerOk(a, 'POST', `/api/tasks/${task.id}/receive`)
      const first = await bearerOk(a, 'POST', `/api/tasks/${task.id}/draw`, undefined, 201)
      assert.equal(first.status, 'committed')
      state.first = first.id
      const seen = await witnessDraw(first.id)
      assert.equal(seen.status, 'revealed', JSON.stringify(seen).slice(0, 300))
      state.firstObjects = seen.result_groups.flatMap((g) => g.objects.map((o) => o.name))
      // A second attempt waits for the first to be given up, which needs another person.
      assert.equal((await bearerCall(a, 'POST', `/api/tasks/${task.id}/draw`)).status, 409)
      await bearerOk(a, 'POST', `/api/draws/${first.id}/abandon`, { reason: `抽中企业已注销-${stamp}` })
      const h = await bearerToken(head)
      const done = await bearerOk(h, 'POST', `/api/draws/${first.id}/abandon/approve`, { opinion: '同意重新抽取' })
      assert.equal(done.status, 'abandoned')
      assert.equal(done.result_groups.length, 0, 'nothing an abandoned attempt selected is shown')
    },
  ],
  [
    '随机抽取：第二次抽取由抽取人承诺、监督人员本人登录见证、抽取人以双随机密码确认',
    async (page) => {
      await login(page, assigner, `/random/tasks/${state.task}`)
      await page.locator('[data-test=task-draw]').click()
      await page.locator('.draw-preview .el-table__row').first().waitFor({ timeout: TIMEOUT })
      await page.locator('[data-test=task-draw-run]').click()
      await page.waitForURL(/\/random\/draws\/\d+$/, { timeout: TIMEOUT })
      state.second = Number(new URL(page.url()).pathname.split('/').pop())
      await page.locator('[data-test=wait-witness]').waitFor({ timeout: TIMEOUT })
      assert.match(await page.locator('[data-test=attempt-of]').innerText(), /第 2 次（共 2 次）/)
      await logout(page)

      // The 监督人员 signs in with their own account and enters the witness value made in
      // their browser.
      await login(page, reviewer, `/random/draws/${state.second}`)
      const w = field(page, 'witness-value')
      await w.waitFor({ timeout: TIMEOUT })
      assert.match(await w.inputValue(), /^[0-9a-f]{32}$/)
      await page.locator('[data-test=witness-ok]').click()
      await page.locator('[data-test=draw-status]', { hasText: '待确认' }).waitFor({ timeout: TIMEOUT })
      await page.locator('[data-test=group-1]').waitFor({ timeout: TIMEOUT })
      assert.equal(await page.locator('[data-test=confirm]').count(), 0, 'only the drawer confirms')
      await logout(page)

      await login(page, assigner, `/random/draws/${state.second}`)
      await page.getByRole('button', { name: '设置双随机密码' }).click()
      await field(page, 'pw-login').fill(assigner.password)
      await field(page, 'pw-draw').fill('Draw#e2e2026')
      await field(page, 'pw-repeat').fill('Draw#e2e2027')
      await page.locator('[data-test=pw-ok]').click()
      await page.getByText('两次输入的双随机密码不一致').waitFor({ timeout: TIMEOUT })
      await field(page, 'pw-repeat').fill('Draw#e2e2026')
      await page.locator('[data-test=pw-ok]').click()
      await page.getByText('双随机密码已设置').waitFor({ timeout: TIMEOUT })
      await page.locator('[data-test=confirm]').click()
      await field(page, 'draw-password').fill('Draw#e2e2026')
      await page.locator('[data-test=confirm-ok]').click()
      await page.locator('[data-test=draw-status]', { hasText: '已确认' }).waitFor({ timeout: TIMEOUT })
      const pdf = await page.request.get(BASE + `/api/draws/${state.second}/record.pdf`)
      assert.equal(pdf.status(), 200)
      assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-')
      await logout(page)
    },
  ],
  [
    '公开页：无需登录，任务的两次抽取均公开，放弃的只有承诺与原因，确认的重算一致',
    async (page) => {
      assert.ok(state.second, 'the second attempt was made')
      const res = await fetch(BASE + `/api/public/draws/${state.first}`)  // no cookie at all
      assert.equal(res.status, 200)
      const first = await res.json()
      assert.equal(first.record.commitment_only, true)
      for (const name of state.firstObjects) assert.ok(!JSON.stringify(first).includes(name), 'no selected name')

      await page.goto(BASE + `/public/tasks/${state.task}/draws`)
      const abandoned = page.locator(`[data-test=attempt-${state.first}]`)
      await abandoned.waitFor({ timeout: TIMEOUT })
      assert.match(await abandoned.innerText(), /第 1 次（共 2 次）/)
      assert.match(await abandoned.locator('[data-test=attempt-status]').innerText(), /已放弃/)
      assert.match(await abandoned.locator('[data-test=attempt-reason]').innerText(), new RegExp(`抽中企业已注销-${stamp}`))
      assert.match(await abandoned.innerText(), /监督人员/)
      const confirmed = page.locator(`[data-test=attempt-${state.second}]`)
      assert.match(await confirmed.innerText(), /第 2 次（共 2 次）/)
      assert.match(await confirmed.locator('[data-test=attempt-status]').innerText(), /已确认/)
      assert.match(await page.locator('[data-test=log-head]').innerText(), /^[0-9a-f]{64}$/)
      const body = await page.locator('body').innerText()
      for (const name of state.firstObjects) assert.ok(!body.includes(name), `abandoned selection ${name} not shown`)

      await confirmed.locator('[data-test=attempt-verify]').click()
      await page.waitForURL(new RegExp(`/public/draws/${state.second}$`), { timeout: TIMEOUT })
      const verdict = page.locator('[data-test=verdict]')
      await verdict.waitFor({ timeout: TIMEOUT })
      assert.match(await verdict.innerText(), /一致/)
      assert.doesNotMatch(await verdict.innerText(), /不一致/)
      assert.match(await page.locator('[data-test=attempt-of]').innerText(), /第 2 次（共 2 次）/)
      assert.match(await page.locator('[data-test=people]').innerText(), /渝中区任务审核员/)

      await page.goto(BASE + `/public/plans/${state.plan}/draws`)
      await page.locator(`[data-test=attempt-${state.first}]`).waitFor({ timeout: TIMEOUT })
    },
  ],
]
