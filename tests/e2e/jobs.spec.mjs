// Browser test of jobs and result review (JOB-1..3, JOB-7, JOB-8, WORK-7) as the demo
// city's real roles: the 渝中区 assigner draws one group of every inspector of the
// bureau and confirms it (the jobs are made in the confirmation); inspector2 opens 我的检查,
// fills form F.1, uploads a photo and the signature and submits; the reviewer
// accepts the result in 结果审核. Run by main.mjs last.
import assert from 'node:assert/strict'
import { BASE, TIMEOUT, apiGet, choose, demoUser, login, logout, send, witnessDraw } from './harness.mjs'

const assigner = demoUser('yz_assigner')
const inspector = demoUser('inspector2')
// (yz_head is not used: an earlier spec turns on its second factor.)
const reviewer = demoUser('yz_reviewer')
// A real 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
)
const state = {}

async function stateIs(page, label) {
  await page.waitForFunction((l) => document.querySelector('.job-state')?.textContent.trim() === l, label, { timeout: TIMEOUT })
}

export const jobTests = [
  [
    '检查作业：任务分配员确认抽取，生成检查作业',
    async (page) => {
      await login(page, assigner, '/random/draws')
      const me = await apiGet('/api/auth/me')
      const unit = me.identity.unit_id
      const strata = []
      for (const risk of [1, 2, 3, 4]) for (const credit of ['A', 'B', 'C', 'D']) strata.push({ risk, credit, ratio: 5 })
      const body = { title: '浏览器测试检查作业', object_kind: 'market_subject', scope: { division_codes: ['500103'] }, strata,
        groups: 1, per_group: 2, inspectors: { unit_ids: [unit], include_subunits: false } }
      const preview = await send(page, 'POST', '/api/draws/preview', body)
      assert.equal(preview.status, 200, JSON.stringify(preview.body))
      assert.ok(preview.body.to_draw > 0, 'objects to draw')
      assert.ok(preview.body.inspectors.leaders >= 1, 'a leader')
      // One group holding every inspector of the bureau, so inspector2 is in it.
      body.per_group = preview.body.inspectors.members
      assert.ok(body.per_group >= 2 && body.per_group <= 50, `pool of ${body.per_group}`)
      const run = await send(page, 'POST', '/api/draws', body)
      assert.equal(run.status, 201, JSON.stringify(run.body))
      state.draw = run.body.id
      const pw = await send(page, 'PUT', '/api/draws-password', { login_password: assigner.password, draw_password: 'Draw#jobs2026' })
      assert.equal(pw.status, 200, JSON.stringify(pw.body))
      await witnessDraw(state.draw)
      const ok = await send(page, 'POST', `/api/draws/${state.draw}/confirm`, { password: 'Draw#jobs2026' })
      assert.equal(ok.status, 200, JSON.stringify(ok.body))
      await logout(page)
    },
  ],
  [
    '检查作业：执法人员填写检查情况记录表、上传照片与签字并提交',
    async (page) => {
      await login(page, inspector, '/random/jobs')
      const mine = await apiGet(`/api/jobs/mine?draw_id=${state.draw}`)
      assert.ok(mine.total > 0, 'inspector2 has jobs of the draw')
      const job = mine.items[0]
      state.job = job
      await page.locator('.job-search input').fill(job.job_no)
      await page.locator('.job-search input').press('Enter')
      await page.locator('.job-card', { hasText: job.job_no }).first().click()
      await page.waitForURL(new RegExp(`/random/jobs/${job.id}$`), { timeout: TIMEOUT })
      await stateIs(page, '待检查')
      await page.locator('.notice-banner').waitFor({ timeout: TIMEOUT })
      assert.match(await page.locator('.notice-banner').innerText(), job.advance_notice === 'forbidden' ? /不得提前告知/ : /应提前告知/)
      // Submitting the empty form names what is missing.
      await page.locator('.job-submit').click()
      await page.getByText('请填写检查日期').first().waitFor({ timeout: TIMEOUT })
      const rows = page.locator('.item-row')
      for (let i = 0; i < (await rows.count()); i++) {
        await rows.nth(i).locator('.item-content textarea').fill('查验营业执照、公示信息与经营场所')
        await rows.nth(i).locator('.item-qualified').getByText('合格', { exact: true }).click()
      }
      await page.locator('.f-date input').fill('2026-03-02')
      await page.locator('.f-date input').press('Enter')
      await page.locator('.f-place input').fill('经营场所现场')
      await choose(page, '.f-category', '未发现问题')
      await page.locator('.f-qualified').getByText('合格', { exact: true }).click()
      if (job.advance_notice === 'required') await page.locator('.f-notice input').fill('3 月 1 日电话告知')
      await page.locator('.f-findings textarea').fill('未发现问题')
      await page.locator('.up-photo').setInputFiles({ name: '现场.png', mimeType: 'image/png', buffer: PNG })
      await page.locator('.files .file', { hasText: '现场照片' }).waitFor({ timeout: TIMEOUT })
      await page.locator('.up-signature').setInputFiles({ name: '签字.png', mimeType: 'image/png', buffer: PNG })
      await page.locator('.signed').waitFor({ timeout: TIMEOUT })
      await page.locator('.job-submit').click()
      await stateIs(page, '待审核')
      const saved = await apiGet(`/api/jobs/${job.id}`)
      assert.equal(saved.result_category_label, '未发现问题')
      assert.equal(saved.files.filter((f) => f.kind === 'photo').length, 1)
      assert.equal(saved.inspected_on, '2026-03-02')
      await logout(page)
    },
  ],
  [
    '结果审核：任务审核员审核通过检查结果',
    async (page) => {
      await login(page, reviewer, '/random/results')
      await page.locator('.job-card', { hasText: state.job.job_no }).first().click()
      await page.waitForURL(new RegExp(`/random/results/${state.job.id}$`), { timeout: TIMEOUT })
      await stateIs(page, '待审核')
      await page.locator('.files img').first().waitFor({ timeout: TIMEOUT })
      await page.locator('.review-opinion textarea').fill('记录完整，同意')
      await page.locator('.job-accept').click()
      await stateIs(page, '审核通过')
      const done = await apiGet(`/api/results/${state.job.id}`)
      assert.deepEqual(done.history.map((h) => h.action), ['create', 'submit', 'accept'])
      assert.equal(done.review_opinion, '记录完整，同意')
      await logout(page)
    },
  ],
]
