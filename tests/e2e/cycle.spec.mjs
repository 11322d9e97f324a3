// The whole double-random cycle in the browser as the demo city's real roles (issue 4
// "Tests in the browser"): the 渝中区 assigner makes a task from an annual plan and submits
// it; the reviewer approves it; the department receives it, draws from it, confirms the
// draw with the draw password and prints the record; inspector2 records form F.1 with a
// photo and the signature and submits; the reviewer accepts; the department publishes the
// result; the public page (no login) shows it and re-checks the draw. Run by main.mjs last:
// it makes its own enterprise, plan and task, so it depends on no earlier spec's data.
import assert from 'node:assert/strict'
import { BASE, TIMEOUT, apiGet, choose, confirmAction, demoUser, login, logout, send, uscc, witnessDraw } from './harness.mjs'

const admin = demoUser('yz_admin')
const assigner = demoUser('yz_assigner')
const reviewer = demoUser('yz_reviewer')
const inspector = demoUser('inspector2')
const stamp = Date.now().toString(36)
const taskName = `全流程抽查任务-${stamp}`
const subjectName = `渝中区全流程测试商行${stamp}`
const state = {}
// A real 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
)


async function textIs(page, sel, label) {
  await page.waitForFunction(([s, l]) => document.querySelector(s)?.textContent.trim() === l, [sel, label], {
    timeout: TIMEOUT,
  })
}

// Element Plus puts attributes of <el-input> on the native input or on its wrapper.
const field = (page, name) => page.locator(`[data-test=${name}]`).locator('xpath=descendant-or-self::input').first()

export const cycleTests = [
  [
    '全流程：任务分配员从年度计划制定抽查任务并提交审核',
    async (page) => {
      // A new high-risk enterprise of 渝中区, so the task's one-object stratum (risk 4 ×
      // credit D) has a candidate whatever earlier specs drew this year (DRAW-3).
      await login(page, admin, '/portal')
      const made = await send(page, 'POST', '/api/subjects', {
        uscc: uscc(7), name: subjectName, division_code: '500103', risk_level: 4, credit_level: 'D',
        address: '重庆市渝中区全流程路 8 号',
      })
      assert.equal(made.status, 201, JSON.stringify(made.body))
      await logout(page)

      await login(page, assigner, '/random/tasks')
      const me = await apiGet('/api/auth/me')
      const unit = me.identity.unit_id
      // One group of every inspector of the bureau, so that inspector2 is drawn.
      const strata = []
      for (const risk of [1, 2, 3, 4]) for (const credit of ['A', 'B', 'C', 'D']) strata.push({ risk, credit, count: risk === 4 && credit === 'D' ? 1 : 0 })
      const preview = await send(page, 'POST', '/api/draws/preview', {
        title: 'x', object_kind: 'market_subject', scope: { division_codes: ['500103'] }, strata, groups: 1, per_group: 2,
        inspectors: { unit_ids: [unit], include_subunits: true },
      })
      assert.equal(preview.status, 200, JSON.stringify(preview.body))
      const members = preview.body.inspectors.members
      assert.ok(members >= 2 && members <= 20, `a group can hold the whole bureau (${members})`)
      const year = new Date().getFullYear()
      const plan = await send(page, 'POST', '/api/plans', {
        year, name: `${year}年度渝中区全流程抽查计划-${stamp}`, plan_type: 'single',
        item_ids: (await apiGet('/api/items?page_size=1')).items.map((i) => i.id),
        object_scope: '渝中区市场主体', start_date: `${year}-01-01`, end_date: `${year}-12-31`,
      })
      assert.equal(plan.status, 201, JSON.stringify(plan.body))
      assert.equal((await send(page, 'POST', `/api/plans/${plan.body.id}/distribute`, {})).status, 200)
      const task = await send(page, 'POST', '/api/tasks', {
        plan_id: plan.body.id, name: taskName, task_type: 'single', item_ids: plan.body.item_ids,
        start_date: `${year}-01-01`, end_date: `${year}-12-31`, description: '全流程浏览器测试',
        draw_params: {
          objects: { object_type: 'market_subject', division_codes: ['500103'], strata: [{ risk_level: 4, credit_level: 'D', count: 1 }] },
          inspectors: { scope: 'bureau' },
          groups: { count: 1, inspectors_per_group: members },
        },
      })
      assert.equal(task.status, 201, JSON.stringify(task.body))
      state.taskId = task.body.id
      // Submitting is done on the task page.
      await page.goto(`${BASE}/random/tasks/${state.taskId}`)
      await textIs(page, '.task-detail-page .page-title .task-state', '已创建')
      await page.locator('.task-action-submit').click()
      await confirmAction(page, '请审核全流程任务')
      await textIs(page, '.task-detail-page .page-title .task-state', '待审核')
      await logout(page)
    },
  ],
  [
    '全流程：任务审核员审核通过，部门接收',
    async (page) => {
      await login(page, reviewer, '/random/review')
      const row = page.locator('.task-table .el-table__row', { hasText: taskName })
      await row.waitFor({ timeout: TIMEOUT })
      await row.locator('.task-name').click()
      await page.locator('.task-action-approve').click()
      await confirmAction(page, '同意')
      await textIs(page, '.task-detail-page .page-title .task-state', '审核通过')
      await logout(page)

      await login(page, assigner, '/random/works')
      const work = page.locator('.work-table .el-table__row', { hasText: taskName })
      await work.waitFor({ timeout: TIMEOUT })
      await work.locator('.work-receive').click()
      await confirmAction(page, '已接收')
      await work.waitFor({ state: 'detached', timeout: TIMEOUT })
    },
  ],
  [
    '全流程：部门从任务随机抽取，以双随机密码确认并打印抽取记录',
    async (page) => {
      await page.goto(`${BASE}/random/tasks/${state.taskId}`)
      await page.locator('[data-test=task-draw]').click()
      await page.locator('.draw-preview .el-table__row').first().waitFor({ timeout: TIMEOUT })
      await page.locator('[data-test=task-draw-run]').click()
      await page.waitForURL(/\/random\/draws\/\d+$/, { timeout: TIMEOUT })
      state.drawId = Number(new URL(page.url()).pathname.split('/').pop())
      // The 监督人员 witnesses the committed draw (issue 12 §3); then the result is shown.
      await witnessDraw(state.drawId)
      await page.reload()
      await page.getByRole('button', { name: '设置双随机密码' }).click()
      await field(page, 'pw-login').fill(assigner.password)
      await field(page, 'pw-draw').fill('Draw#cycle2026')
      await field(page, 'pw-repeat').fill('Draw#cycle2026')
      await page.locator('[data-test=pw-ok]').click()
      await page.getByText('双随机密码已设置').waitFor({ timeout: TIMEOUT })
      await page.locator('[data-test=confirm]').click()
      await field(page, 'draw-password').fill('Draw#cycle2026')
      await page.locator('[data-test=confirm-ok]').click()
      await page.locator('[data-test=draw-status]', { hasText: '已确认' }).waitFor({ timeout: TIMEOUT })
      const pdf = await page.request.get(`${BASE}/api/draws/${state.drawId}/record.pdf`)
      assert.equal(pdf.status(), 200)
      assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-')
      await logout(page)
    },
  ],
  [
    '全流程：执法人员填写检查情况记录表、上传照片与签字并提交',
    async (page) => {
      await login(page, inspector, '/random/jobs')
      const mine = await apiGet(`/api/jobs/mine?draw_id=${state.drawId}`)
      assert.equal(mine.total, 1, 'the one drawn object is inspector2’s job')
      const job = mine.items[0]
      state.job = job
      await page.goto(`${BASE}/random/jobs/${job.id}`)
      await textIs(page, '.job-state', '待检查')
      const rows = page.locator('.item-row')
      for (let i = 0; i < (await rows.count()); i++) {
        await rows.nth(i).locator('.item-content textarea').fill('查验营业执照与公示信息')
        await rows.nth(i).locator('.item-qualified').getByText('合格', { exact: true }).click()
      }
      await page.locator('.f-date input').fill(`${new Date().getFullYear()}-03-02`)
      await page.locator('.f-date input').press('Enter')
      await page.locator('.f-place input').fill('经营场所现场')
      await choose(page, '.f-category', '发现问题已当场改正')
      await page.locator('.f-qualified').getByText('合格', { exact: true }).click()
      if (job.advance_notice === 'required') await page.locator('.f-notice input').fill('前一日电话告知')
      await page.locator('.f-findings textarea').fill('价签不全，已当场改正')
      await page.locator('.up-photo').setInputFiles({ name: '现场.png', mimeType: 'image/png', buffer: PNG })
      await page.locator('.files .file', { hasText: '现场照片' }).waitFor({ timeout: TIMEOUT })
      await page.locator('.up-signature').setInputFiles({ name: '签字.png', mimeType: 'image/png', buffer: PNG })
      await page.locator('.signed').waitFor({ timeout: TIMEOUT })
      await page.locator('.job-submit').click()
      await textIs(page, '.job-state', '待审核')
      await logout(page)
    },
  ],
  [
    '全流程：审核员审核通过检查结果，部门公示',
    async (page) => {
      await login(page, reviewer, '/random/results')
      await page.goto(`${BASE}/random/results/${state.job.id}`)
      await textIs(page, '.job-state', '待审核')
      await page.locator('.review-opinion textarea').fill('同意')
      await page.locator('.job-accept').click()
      await textIs(page, '.job-state', '审核通过')
      await logout(page)

      await login(page, admin, '/random/publication')
      const row = page.locator('.pub-table .el-table__row', { hasText: state.job.job_no })
      await row.waitFor({ timeout: TIMEOUT })
      await row.locator('.pub-publish').click()
      await page.locator('.el-message-box').getByRole('button', { name: '公示' }).click()
      await page.locator('.el-message', { hasText: '已公示 1 条' }).waitFor({ timeout: TIMEOUT })
      await logout(page)
    },
  ],
  [
    '全流程：公众无需登录在公示页查到结果并复核抽取',
    async (page) => {
      await page.goto(BASE + '/public/results')
      await page.locator('.public-table').waitFor({ timeout: TIMEOUT })
      await page.locator('.pq-q input').fill(subjectName)
      await page.locator('.pq-search').click()
      const row = page.locator('.public-table .el-table__row', { hasText: subjectName })
      await row.waitFor({ timeout: TIMEOUT })
      assert.match(await row.innerText(), /发现问题已当场改正/)
      await page.goto(`${BASE}/public/draws/${state.drawId}`)
      const verdict = page.locator('[data-test=verdict]')
      await verdict.waitFor({ timeout: TIMEOUT })
      assert.match(await verdict.innerText(), /一致/)
      assert.doesNotMatch(await verdict.innerText(), /不一致/)
    },
  ],
]
