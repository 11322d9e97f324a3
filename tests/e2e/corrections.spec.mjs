// Browser test of corrections of a published result (PUB-3) and of the 申诉与变更 section
// of the task and work pages (JOB-5, DRAW-6). Setup through the API with bearer tokens
// (the page's session is untouched): two new enterprises of 渝中区, a task of a
// distributed plan drawing both of them, approved, received, drawn and confirmed; one job
// submitted and accepted, the other object removed from the list by an approved change;
// the result published; a new department head account. In the browser: 渝中区's
// administrator requests a correction on the result's page, the head approves it (and
// sees the change on the task and work pages), and the public page (no login) shows the
// corrected result with the earlier version under 更正记录.
import assert from 'node:assert/strict'
import { BASE, TIMEOUT, accounts, bearerCall, bearerOk, bearerToken, demoUser, login, logout, uscc, witnessDraw } from './harness.mjs'

const call = bearerCall
const ok = bearerOk
const token = (who) => bearerToken(who, known[who.account])

const stamp = Date.now().toString(36)
const publisher = demoUser('yz_admin')
const head = { account: `yz_head_corr_${stamp}`, password: 'Kc3#linden-Wharf', next: 'Kc4#linden-Quay' }
// Some specs change first passwords to their own choices: tried after the shared ones
// (few tries: failed logins count towards the lockout).
const known = { yz_reviewer: ['Hd3!birch-Wave'], inspector2: ['Wn3!lotus-Crag'] }
const state = {}
const ORIGINAL = `原检查情况-${stamp}`
const CORRECTED = `更正后检查情况-${stamp}`




export const correctionTests = [
  [
    '公示更正：任务抽取两户、一户检查通过、一户经批准移出名单、结果公示（接口准备）',
    async () => {
      const admin = await token(accounts.admin)
      const publish = await token(publisher)
      const assigner = await token(demoUser('yz_assigner'))
      const reviewer = await token(demoUser('yz_reviewer'))
      const inspector = await token(demoUser('inspector2'))
      const me = await ok(assigner, 'GET', '/api/auth/me')
      const unit = me.identity.unit_id
      state.unit = unit
      // Two new high-risk enterprises: the task's stratum (risk 4 × credit D, 2 objects)
      // has candidates whatever earlier specs drew this year (DRAW-3).
      for (const n of [1, 2])
        await ok(publish, 'POST', '/api/subjects', {
          uscc: uscc(31 * n), name: `渝中区更正测试商行${stamp}-${n}`, division_code: '500103', risk_level: 4, credit_level: 'D',
          address: `重庆市渝中区更正路 ${n} 号`,
        }, 201)
      // The department head who approves (a new account: the demo head has a second factor by now).
      const roles = await ok(admin, 'GET', '/api/roles?q=department_head')
      const role = roles.items.find((r) => r.code === 'department_head')
      assert.ok(role, JSON.stringify(roles))
      await ok(admin, 'POST', '/api/users', {
        account: head.account, name: `更正审批负责人${stamp}`, password: head.password,
        identities: [{ unit_id: unit, role_id: role.id, is_default: true }],
      }, 201)

      // Plan → task (one group of the bureau's inspectors, two objects) → approved → received → drawn.
      const strata = []
      for (const risk of [1, 2, 3, 4]) for (const credit of ['A', 'B', 'C', 'D']) strata.push({ risk, credit, count: risk === 4 && credit === 'D' ? 2 : 0 })
      const preview = await ok(assigner, 'POST', '/api/draws/preview', {
        title: 'x', object_kind: 'market_subject', scope: { division_codes: ['500103'] }, strata, groups: 1, per_group: 2,
        inspectors: { unit_ids: [unit], include_subunits: true },
      })
      const members = preview.inspectors.members
      const year = new Date().getFullYear()
      const items = (await ok(assigner, 'GET', '/api/items?page_size=1')).items.map((i) => i.id)
      const plan = await ok(assigner, 'POST', '/api/plans', {
        year, name: `${year}年度渝中区更正测试计划-${stamp}`, plan_type: 'single', item_ids: items,
        object_scope: '渝中区市场主体', start_date: `${year}-01-01`, end_date: `${year}-12-31`,
      }, 201)
      await ok(assigner, 'POST', `/api/plans/${plan.id}/distribute`, {})
      state.taskName = `更正测试任务-${stamp}`
      const task = await ok(assigner, 'POST', '/api/tasks', {
        plan_id: plan.id, name: state.taskName, task_type: 'single', item_ids: items,
        start_date: `${year}-01-01`, end_date: `${year}-12-31`,
        draw_params: {
          objects: { object_type: 'market_subject', division_codes: ['500103'], strata: [{ risk_level: 4, credit_level: 'D', count: 2 }] },
          inspectors: { scope: 'bureau' },
          groups: { count: 1, inspectors_per_group: members },
        },
      }, 201)
      state.taskId = task.id
      await ok(assigner, 'POST', `/api/tasks/${task.id}/submit`)
      await ok(reviewer, 'POST', `/api/tasks/${task.id}/approve`, { opinion: '同意' })
      await ok(assigner, 'POST', `/api/tasks/${task.id}/receive`)
      const draw = await ok(assigner, 'POST', `/api/tasks/${task.id}/draw`, undefined, 201)
      await ok(assigner, 'PUT', '/api/draws-password', { login_password: demoUser('yz_assigner').password, draw_password: 'Draw#corr2026' })
      await witnessDraw(draw.id)
      await ok(assigner, 'POST', `/api/draws/${draw.id}/confirm`, { password: 'Draw#corr2026' })

      const mine = await ok(inspector, 'GET', `/api/jobs/mine?draw_id=${draw.id}`)
      assert.equal(mine.total, 2, JSON.stringify(mine))
      const [first, second] = mine.items
      const job = await ok(inspector, 'GET', `/api/jobs/${first.id}`)
      state.job = job
      const form = {
        inspected_on: `${year}-03-02`, place: '经营场所', result_category: '01', qualified: true, findings: ORIGINAL,
        item_results: job.items.map((i) => ({ item_id: i.item_id, content: '查验公示信息', qualified: true })),
        signature_refused: true, refusal_note: '负责人拒绝签字，二人见证',
      }
      if (job.advance_notice === 'required') form.notice_given = '3 月 1 日电话告知'
      await ok(inspector, 'POST', `/api/jobs/${job.id}/submit`, form)
      await ok(reviewer, 'POST', `/api/results/${job.id}/accept`, {})
      // The other object leaves the list (注销) with the head's approval: its job is cancelled.
      const other = await ok(inspector, 'GET', `/api/jobs/${second.id}`)
      state.published = job.object_name
      state.removed = other.object_name
      const change = await ok(assigner, 'POST', `/api/draws/${draw.id}/changes`, {
        kind: 'object', reason_code: 'deregistered', reason: '企业已注销', old_object_id: other.object_id,
      }, 201)
      await ok(await token(head), 'POST', `/api/draw-changes/${change.id}/approve`, { opinion: '同意移出' })
      // The task is complete: its result is published.
      await ok(publish, 'POST', '/api/publication/publish', { job_ids: [job.id] })
      const detail = await ok(publish, 'GET', `/api/publication/results/${job.id}`)
      assert.equal(detail.state, 'published')
      state.original = detail.result_category_label
    },
  ],
  [
    '公示更正：部门工作人员在结果详情页申请更正',
    async (page) => {
      await login(page, publisher, `/random/publication/${state.job.id}`)
      await page.locator('.pub-request-correction').click()
      await page.locator('.cf-reason textarea').fill('复核发现经营场所存在问题')
      await page.locator('.cf-category').click()
      await page.locator('.el-select-dropdown__item:visible', { hasText: '发现问题需进一步整改' }).first().click()
      await page.locator('.cf-findings textarea').fill(CORRECTED)
      await page.locator('.cf-submit').click()
      await page.locator('.el-message', { hasText: '更正申请已提交' }).waitFor({ timeout: TIMEOUT })
      await page.locator('.pub-detail-state', { hasText: '更正审批中' }).waitFor({ timeout: TIMEOUT })
      await logout(page)
    },
  ],
  [
    '公示更正：部门负责人批准更正；任务与工作详情页显示申诉与变更',
    async (page) => {
      await login(page, head, '/random/publication')
      await page.locator('.publication-tabs').getByText('更正审批', { exact: true }).click()
      const row = page.locator('.correction-table .el-table__row', { hasText: state.published })
      await row.waitFor({ timeout: TIMEOUT })
      assert.match(await row.innerText(), /待审批/)
      await row.getByRole('link', { name: state.published }).click()
      await page.locator('.pub-approve').click()
      await page.locator('.el-message-box').getByRole('button', { name: '批准' }).click()
      await page.locator('.el-message', { hasText: '已批准更正' }).waitFor({ timeout: TIMEOUT })
      await page.locator('.pub-detail-state', { hasText: '已公示' }).waitFor({ timeout: TIMEOUT })
      assert.equal((await page.locator('.pub-category').innerText()).trim(), '发现问题需进一步整改')
      await page.locator('.pub-versions .el-table__row').nth(1).waitFor({ timeout: TIMEOUT })
      assert.equal(await page.locator('.pub-versions .el-table__row').count(), 2)

      // 申诉与变更 on the task and the work pages: the approved list change.
      for (const path of [`/random/tasks/${state.taskId}`, `/random/works/${state.taskId}/${state.unit}`]) {
        await page.goto(BASE + path)
        const section = page.locator('.appeals-changes')
        await section.waitFor({ timeout: TIMEOUT })
        assert.match(await section.locator('h3').innerText(), /申诉与变更/)
        const change = section.locator('.ac-changes .el-table__row', { hasText: '检查对象名单变更' })
        await change.waitFor({ timeout: TIMEOUT })
        assert.match(await change.innerText(), /已批准/)
        assert.match(await change.innerText(), new RegExp(state.removed))
        assert.match(await section.locator('.ac-appeals').innerText(), /暂无申诉/)
      }
      await logout(page)
    },
  ],
  [
    '信息公开：公示页显示更正后的结果与更正前的原结果',
    async (page) => {
      await page.goto(BASE + '/public/results')
      await page.locator('.public-table').waitFor({ timeout: TIMEOUT })
      await page.locator('.pq-q input').fill(state.published)
      await page.locator('.pq-search').click()
      const row = page.locator('.public-table .el-table__row', { hasText: state.published })
      await row.waitFor({ timeout: TIMEOUT })
      assert.match(await row.innerText(), /已更正/)
      assert.match(await row.innerText(), /发现问题需进一步整改/)
      await row.locator('.pr-name').click()
      const detail = page.locator('.public-detail')
      await detail.waitFor({ timeout: TIMEOUT })
      assert.equal((await detail.locator('.pd-category').innerText()).trim(), '发现问题需进一步整改')
      assert.match(await detail.innerText(), new RegExp(CORRECTED))
      assert.match(await detail.innerText(), /第 2 版/)
      const earlier = page.locator('.public-corrections .el-table__row')
      await earlier.first().waitFor({ timeout: TIMEOUT })
      assert.equal(await earlier.count(), 1)
      const text = await earlier.first().innerText()
      assert.match(text, new RegExp(state.original))
      assert.match(text, new RegExp(ORIGINAL))
      assert.match(text, /复核发现经营场所存在问题/)
      await page.keyboard.press('Escape')
    },
  ],
]
