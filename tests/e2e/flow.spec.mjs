// Browser test of plans, tasks, review and receiving (PLAN-1..3, TASK-1..7, WORK-3) as the
// demo city's real roles: the 渝中区 assigner makes and distributes a joint annual plan and
// a task from it and submits it; the reviewer approves it with an opinion; the assigner
// receives it for the department and draws from the task, confirming the draw; the
// public page shows the joint plan without login.
// Run by main.mjs after the registry tests.
import assert from 'node:assert/strict'
import { BASE, TIMEOUT, choose, confirmAction, demoUser, login, logout, witnessDraw } from './harness.mjs'

const assigner = demoUser('yz_assigner')
const reviewer = demoUser('yz_reviewer')
const year = new Date().getFullYear()
const stamp = Date.now().toString(36)
const planName = `${year}年度食品安全联合抽查计划-${stamp}`
const taskName = `渝中区餐饮联合抽查-${stamp}`
const state = {}
// Element Plus puts attributes of <el-input> on the native input or on its wrapper.
const field = (page, name) => page.locator(`[data-test=${name}]`).locator('xpath=descendant-or-self::input').first()

async function stateIs(page, sel, label) {
  await page.waitForFunction(
    ([s, l]) => document.querySelector(s)?.textContent.trim() === l,
    [sel, label],
    { timeout: TIMEOUT },
  )
}

export const flowTests = [
  [
    '任务分配员新增并分发联合抽查年度计划',
    async (page) => {
      await login(page, assigner, '/random/plans')
      await page.locator('.new-plan').click()
      await page.waitForURL(/\/random\/plans\/new$/, { timeout: TIMEOUT })
      await page.locator('.plan-name-input input').fill(planName)
      await page.getByText('联合抽查', { exact: true }).click()
      // 配合部门: remote search in the authorities.
      const coop = page.locator('.plan-form .el-form-item', { hasText: '配合部门' }).locator('.el-select')
      await coop.click()
      await page.keyboard.type('卫生健康')
      const option = page.locator('.el-select-dropdown__item:visible', { hasText: '重庆市卫生健康委员会' }).first()
      await option.waitFor({ timeout: TIMEOUT })
      await option.click()
      await page.keyboard.press('Escape')
      await page.locator('.plan-scope-input input').fill('渝中区餐饮服务提供者')
      const dates = page.locator('.plan-dates input')
      await dates.nth(0).fill(`${year}-03-01`)
      await dates.nth(1).fill(`${year}-11-30`)
      await dates.nth(1).press('Enter')
      await page.locator('.plan-count input').fill('120')
      await page.locator('.plan-save').click()
      await page.waitForURL(/\/random\/plans\/\d+$/, { timeout: TIMEOUT })
      state.planId = Number(new URL(page.url()).pathname.split('/').pop())
      await stateIs(page, '.plan-detail-page .page-title .plan-state', '未分发')
      // Undistributed: 编辑、删除、分发 are offered, 回收 is not.
      for (const a of ['edit', 'delete', 'distribute']) assert.ok(await page.locator(`.plan-action-${a}`).isVisible(), a)
      assert.equal(await page.locator('.plan-action-recall').count(), 0)
      await page.locator('.plan-action-distribute').click()
      await confirmAction(page, '请各部门按计划执行')
      await stateIs(page, '.plan-detail-page .page-title .plan-state', '已分发')
      assert.equal(await page.locator('.plan-action-edit').count(), 0, 'a distributed plan is not edited')
      assert.ok(await page.locator('.plan-action-recall').isVisible())
      const history = await page.locator('.flow-history').innerText()
      assert.match(history, /分发[\s\S]*请各部门按计划执行/)
      assert.match(await page.locator('.plan-fields').innerText(), /第 1 版/)
    },
  ],
  [
    '任务分配员从计划制定联合抽查任务并提交审核',
    async (page) => {
      await page.locator('.plan-new-task').click()
      await page.waitForURL(/\/random\/tasks\/new\?plan_id=\d+$/, { timeout: TIMEOUT })
      // The plan, its window and its cooperating department are filled in from the plan.
      await page.waitForFunction(() => document.querySelector('.task-plan-select')?.textContent.includes('联合抽查计划'), null, {
        timeout: TIMEOUT,
      })
      await page.locator('.task-name-input input').fill(taskName)
      await page.locator('.task-save').click()
      await page.waitForURL(/\/random\/tasks\/\d+$/, { timeout: TIMEOUT })
      state.taskId = Number(new URL(page.url()).pathname.split('/').pop())
      await stateIs(page, '.task-detail-page .page-title .task-state', '已创建')
      const units = await page.locator('.unit-table').innerText()
      assert.match(units, /重庆市卫生健康委员会[\s\S]*待接收/)
      assert.equal(await page.locator('.task-action-approve').count(), 0, 'the assigner does not review')
      await page.locator('.task-action-submit').click()
      await confirmAction(page, '请审核')
      await stateIs(page, '.task-detail-page .page-title .task-state', '待审核')
      assert.equal(await page.locator('.task-action-edit').count(), 0, 'a submitted task is not edited')
    },
  ],
  [
    '任务审核员在待审核列表中审核通过并填写意见',
    async (page) => {
      await logout(page)
      await login(page, reviewer, '/random/review')
      const row = page.locator('.task-table .el-table__row', { hasText: taskName })
      await row.waitFor({ timeout: TIMEOUT })
      assert.match(await row.innerText(), /待审核/)
      await row.locator('.task-name').click()
      await page.waitForURL(new RegExp(`/random/tasks/${state.taskId}$`), { timeout: TIMEOUT })
      await page.locator('.task-action-approve').waitFor({ timeout: TIMEOUT })
      assert.ok(await page.locator('.task-action-return').isVisible(), 'the reviewer may return')
      assert.equal(await page.locator('.task-action-edit').count(), 0, 'the reviewer does not edit')
      await page.locator('.task-action-approve').click()
      await confirmAction(page, '同意，按计划执行')
      await stateIs(page, '.task-detail-page .page-title .task-state', '审核通过')
      assert.match(await page.locator('.review-opinion').innerText(), /同意，按计划执行/)
      assert.ok(await page.locator('.task-action-urge').isVisible(), 'an approved task may be urged')
    },
  ],
  [
    '执行部门的任务分配员接收任务',
    async (page) => {
      await logout(page)
      await login(page, assigner, '/random/works')
      const row = page.locator('.work-table .el-table__row', { hasText: taskName })
      await row.waitFor({ timeout: TIMEOUT })
      await row.locator('.work-receive').click()
      await confirmAction(page, '已安排')
      await row.waitFor({ state: 'detached', timeout: TIMEOUT })
      await page.goto(`${BASE}/random/tasks/${state.taskId}`)
      const units = page.locator('.unit-table')
      await units.locator('.el-table__row', { hasText: '已接收' }).first().waitFor({ timeout: TIMEOUT })
      const text = await units.innerText()
      assert.match(text, /渝中区市场监督管理局[\s\S]*已接收[\s\S]*渝中区任务分配员/)
      assert.match(text, /重庆市卫生健康委员会[\s\S]*待接收/)
      const history = await page.locator('.flow-history').innerText()
      for (const step of ['新增', '提交审核', '审核通过', '接收']) assert.ok(history.includes(step), `history has ${step}`)
      assert.match(history, /同意，按计划执行/)
    },
  ],
  [
    '任务分配员从已接收的任务随机抽取并确认，任务详情显示抽取记录',
    async (page) => {
      // Still on the task detail as the assigner (DRAW-1, DRAW-11, issue 4 step 4).
      await page.locator('[data-test=task-draw]').click()
      await page.locator('.draw-preview .el-table__row').first().waitFor({ timeout: TIMEOUT })
      await page.locator('[data-test=task-draw-run]').click()
      await page.waitForURL(/\/random\/draws\/\d+$/, { timeout: TIMEOUT })
      const drawId = Number(new URL(page.url()).pathname.split('/').pop())
      // Committed; the 监督人员 witnesses it (issue 12 §3), then the result waits for confirmation.
      await page.locator('[data-test=wait-witness]').waitFor({ timeout: TIMEOUT })
      await witnessDraw(drawId)
      await page.reload()
      await page.locator('[data-test=draw-status]', { hasText: '待确认' }).waitFor({ timeout: TIMEOUT })
      assert.match(await page.locator('.draw-detail').innerText(), new RegExp(`关联任务\\s*${state.taskId}`))
      await page.getByRole('button', { name: '设置双随机密码' }).click()
      await field(page, 'pw-login').fill(assigner.password)
      await field(page, 'pw-draw').fill('Draw#flow2026')
      await field(page, 'pw-repeat').fill('Draw#flow2026')
      await page.locator('[data-test=pw-ok]').click()
      await page.getByText('双随机密码已设置').waitFor({ timeout: TIMEOUT })
      await page.locator('[data-test=confirm]').click()
      await field(page, 'draw-password').fill('Draw#flow2026')
      await page.locator('[data-test=confirm-ok]').click()
      await page.locator('[data-test=draw-status]', { hasText: '已确认' }).waitFor({ timeout: TIMEOUT })
      await page.goto(`${BASE}/random/tasks/${state.taskId}`)
      await page.locator('[data-test=task-drawn]').waitFor({ timeout: TIMEOUT })
      assert.equal(await page.locator('[data-test=task-draw]').count(), 0, 'a drawn task offers no second draw')
      assert.match(await page.locator('[data-test=task-draw-record]').innerText(), new RegExp(String(drawId)))
      assert.equal(await page.locator('[data-test=task-draw-public]').getAttribute('href'), `/public/draws/${drawId}`)
      assert.match(await page.locator('.flow-history').innerText(), /随机抽取/)
    },
  ],
  [
    '部门工作：已接收的任务显示检查进度，工作详情列出检查对象，可导出和催办',
    async (page) => {
      // Still signed in as the assigner, after the task's draw was confirmed (WORK-1, 2, 4, 5).
      await page.goto(`${BASE}/random/works`)
      await page.locator('.work-list-page label', { hasText: '已接收' }).click()
      const row = page.locator('.work-table .el-table__row', { hasText: taskName })
      await row.waitFor({ timeout: TIMEOUT })
      assert.match(await row.locator('.work-row-open').innerText(), /未检查 \d+ 户/)
      await row.locator('.work-link').click()
      await page.waitForURL(/\/random\/works\/\d+\/\d+$/, { timeout: TIMEOUT })
      await page.locator('.work-total').waitFor({ timeout: TIMEOUT })
      const total = Number(await page.locator('.work-total').innerText())
      assert.ok(total > 0, 'the draw made jobs for this work')
      assert.equal(await page.locator('.work-jobs .el-table__row').count(), total)
      assert.equal(Number(await page.locator('.work-not-inspected').innerText()), total)
      const href = await page.locator('.work-export').getAttribute('href')
      const xlsx = await page.request.get(BASE + href)
      assert.equal(xlsx.status(), 200)
      assert.equal((await xlsx.body()).subarray(0, 2).toString(), 'PK', 'an .xlsx (zip) file')
      await page.locator('.work-urge').click()
      await page.locator('.urge-opinion textarea').fill('请尽快完成现场检查')
      await page.locator('.urge-ok').click()
      await page.getByText('已催办尚未完成检查的执法人员').waitFor({ timeout: TIMEOUT })
      assert.match(await page.locator('.flow-history').innerText(), /请尽快完成现场检查/)
    },
  ],
  [
    '联合抽查年度计划无需登录即可在公示页查看',
    async (page) => {
      await logout(page)
      await page.goto(`${BASE}/public/plans`)
      const row = page.locator('.public-plan-table .el-table__row', { hasText: planName })
      await row.waitFor({ timeout: TIMEOUT })
      assert.match(await row.innerText(), /重庆市卫生健康委员会[\s\S]*120/)
    },
  ],
]
