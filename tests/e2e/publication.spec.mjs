// Browser test of publication (PUB-1, PUB-2): a one-object draw of 渝中区 is confirmed,
// its job submitted and accepted through the API (bearer tokens, so the page's session
// is untouched); then 渝中区's administrator opens 结果公示 in the browser, sees the result
// awaiting publication with its deadline of 20 working days, publishes it, and the public
// page (no login) shows it and finds it by the enterprise's name.
import assert from 'node:assert/strict'
import { BASE, TIMEOUT, bearerCall, bearerToken, demoUser, login, logout, uscc, witnessDraw } from './harness.mjs'

// Earlier specs change first passwords: the shared demo accounts, and the passwords some
// specs choose themselves (tried after the shared ones).
const who = {
  assigner: demoUser('yz_assigner'),
  inspector: demoUser('inspector2'),
  reviewer: demoUser('yz_reviewer'),
  publisher: demoUser('yz_admin'),
}
const known = { yz_reviewer: ['Hd3!birch-Wave'], inspector2: ['Wn3!lotus-Crag'] }
const call = bearerCall
const token = (w) => bearerToken(w, known[w.account])
const state = {}




export const publicationTests = [
  [
    '结果公示：抽取一户、检查并审核通过（接口准备）',
    async () => {
      const assigner = await token(who.assigner)
      const me = await call(assigner, 'GET', '/api/auth/me')
      const unit = me.body.identity.unit_id
      // Earlier specs' draws exclude their objects for this year (DRAW-3), so a new
      // market subject of 渝中区 (risk 4, credit D) makes sure the one-object stratum has a
      // candidate. One group of every inspector of the bureau, so inspector2 is in it.
      const publisher = await token(who.publisher)
      const made = await call(publisher, 'POST', '/api/subjects', {
        uscc: uscc(), name: `渝中区公示测试商贸部${Date.now().toString(36)}`, division_code: '500103',
        risk_level: 4, credit_level: 'D', address: '重庆市渝中区测试路 1 号',
      })
      assert.equal(made.status, 201, JSON.stringify(made.body))
      const strata = []
      for (const risk of [1, 2, 3, 4]) for (const credit of ['A', 'B', 'C', 'D']) strata.push({ risk, credit, count: risk === 4 && credit === 'D' ? 1 : 0 })
      const body = { title: `浏览器测试结果公示-${Date.now().toString(36)}`, object_kind: 'market_subject',
        scope: { division_codes: ['500103'] }, strata, groups: 1, per_group: 2, inspectors: { unit_ids: [unit], include_subunits: false } }
      const preview = await call(assigner, 'POST', '/api/draws/preview', body)
      assert.equal(preview.status, 200, JSON.stringify(preview.body))
      assert.equal(preview.body.to_draw, 1, JSON.stringify(preview.body))
      body.per_group = preview.body.inspectors.members
      const run = await call(assigner, 'POST', '/api/draws', body)
      assert.equal(run.status, 201, JSON.stringify(run.body))
      state.title = body.title
      const pw = await call(assigner, 'PUT', '/api/draws-password', { login_password: who.assigner.password, draw_password: 'Draw#pub2026' })
      assert.equal(pw.status, 200, JSON.stringify(pw.body))
      await witnessDraw(run.body.id)
      const ok = await call(assigner, 'POST', `/api/draws/${run.body.id}/confirm`, { password: 'Draw#pub2026' })
      assert.equal(ok.status, 200, JSON.stringify(ok.body))

      const inspector = await token(who.inspector)
      const mine = await call(inspector, 'GET', `/api/jobs/mine?draw_id=${run.body.id}`)
      assert.equal(mine.body.total, 1, JSON.stringify(mine.body))
      const job = (await call(inspector, 'GET', `/api/jobs/${mine.body.items[0].id}`)).body
      state.job = job
      const form = {
        inspected_on: '2026-03-02', place: '经营场所', result_category: '06', qualified: true, findings: '发现问题已当场改正',
        item_results: job.items.map((i) => ({ item_id: i.item_id, content: '查验公示信息', qualified: true })),
        signature_refused: true, refusal_note: '负责人拒绝签字，二人见证',
      }
      if (job.advance_notice === 'required') form.notice_given = '3 月 1 日电话告知'
      const sub = await call(inspector, 'POST', `/api/jobs/${job.id}/submit`, form)
      assert.equal(sub.status, 200, JSON.stringify(sub.body))
      const reviewer = await token(who.reviewer)
      const acc = await call(reviewer, 'POST', `/api/results/${job.id}/accept`, {})
      assert.equal(acc.status, 200, JSON.stringify(acc.body))
    },
  ],
  [
    '结果公示：部门在结果公示页看到公示期限并公示',
    async (page) => {
      await login(page, who.publisher, '/random/publication')
      const row = page.locator('.pub-table .el-table__row', { hasText: state.job.job_no })
      await row.waitFor({ timeout: TIMEOUT })
      assert.match(await row.innerText(), /待公示/)
      assert.match(await row.innerText(), /20 天/)
      const deadline = (await row.locator('.pub-deadline').innerText()).trim()
      assert.match(deadline, /^\d{4}-\d{2}-\d{2}$/)
      await row.locator('.pub-publish').click()
      await page.locator('.el-message-box').getByRole('button', { name: '公示' }).click()
      await page.locator('.el-message', { hasText: '已公示 1 条' }).waitFor({ timeout: TIMEOUT })
      await page.locator('.publication-tabs').getByText('已公示', { exact: true }).click()
      const done = page.locator('.pub-table .el-table__row', { hasText: state.job.job_no })
      await done.waitFor({ timeout: TIMEOUT })
      assert.match(await done.innerText(), /已公示/)
      assert.equal((await done.locator('.pub-deadline').innerText()).trim(), deadline)
      await logout(page)
    },
  ],
  [
    '信息公开：公示页（无需登录）显示并能查询到该结果',
    async (page) => {
      await page.goto(BASE + '/public/results')
      await page.locator('.public-table').waitFor({ timeout: TIMEOUT })
      await page.locator('.pq-q input').fill(state.job.object_name)
      await page.locator('.pq-search').click()
      const row = page.locator('.public-table .el-table__row', { hasText: state.job.object_name })
      await row.waitFor({ timeout: TIMEOUT })
      assert.match(await row.innerText(), new RegExp(state.title))
      assert.match(await row.innerText(), /发现问题已当场改正/)
      await row.locator('.pr-name').click()
      await page.locator('.public-detail').waitFor({ timeout: TIMEOUT })
      assert.match(await page.locator('.public-detail').innerText(), /发现问题已当场改正/)
      // A name that was not published finds nothing.
      await page.keyboard.press('Escape')
      await page.locator('.pq-q input').fill('不存在的企业名称XYZ')
      await page.locator('.pq-search').click()
      await page.locator('.public-table .el-table__empty-text', { hasText: '暂无公示的抽查结果' }).waitFor({ timeout: TIMEOUT })
    },
  ],
]
