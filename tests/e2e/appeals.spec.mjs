// Browser test of appeals (JOB-5, WORK-9) as the demo city's real roles: through the API
// the administrator registers two enterprises of 渝中区 (earlier specs drew the others),
// the 渝中区 assigner draws one group of every inspector of the bureau and confirms it,
// inspector2 submits a result and yz_reviewer accepts it; then in the browser inspector2
// files an appeal on the job page naming yz_reviewer, with corrected findings and an
// attachment; yz_reviewer opens 申诉审核, accepts, and both versions of the result are
// shown on the appeal page and on the job page. Each test signs in itself.
import assert from 'node:assert/strict'
import { randomInt } from 'node:crypto'
import { BASE, INITIAL_PASSWORD, TIMEOUT, accounts, apiGet, choose, login, logout, send, witnessDraw } from './harness.mjs'

// Earlier specs may have changed these first passwords; each is tried with what it may be.
const assigner = { account: 'yz_assigner', password: INITIAL_PASSWORD, next: 'Pv8#delta-Kite', known: ['Pv8#delta-Kite'] }
const inspector = { account: 'inspector2', password: INITIAL_PASSWORD, next: 'Ij6#cedar-Moss', known: ['Ij6#cedar-Moss'] }
const reviewer = { account: 'yz_reviewer', password: INITIAL_PASSWORD, next: 'Hd3!birch-Wave', known: ['Hd3!birch-Wave', 'Rw5!maple-Dune'] }

async function withCurrentPassword(who) {
  for (const pw of [...who.known, INITIAL_PASSWORD]) {
    const res = await fetch(BASE + '/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ account: who.account, password: pw, client: 'mobile' }),
    })
    if (res.status === 200) {
      who.password = pw
      return who
    }
  }
  throw new Error(`no known password for ${who.account}`)
}
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
)
const state = {}

// A valid unified social credit code (GB 32100) of a 渝中区 enterprise.
const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
function newUscc() {
  let body = '91500103'
  while (body.length < 17) body += USCC_CHARS[randomInt(10)]
  const sum = [...body].reduce((t, c, i) => t + USCC_CHARS.indexOf(c) * USCC_WEIGHTS[i], 0)
  return body + USCC_CHARS[(31 - (sum % 31)) % 31]
}

export const appealTests = [
  [
    '申诉：准备一条审核通过的检查结果（抽取、提交、审核）',
    async (page) => {
      // Earlier specs drew every object of 渝中区 this year: the administrator registers two
      // new enterprises there, which the draw below can pick.
      await login(page, accounts.admin, '/portal')
      for (const n of [1, 2]) {
        const made = await send(page, 'POST', '/api/subjects', { uscc: newUscc(), name: `申诉测试商贸有限公司${n}号`,
          division_code: '500103', risk_level: 2, credit_level: 'B', address: '重庆市渝中区测试路' + n + '号' })
        assert.equal(made.status, 201, JSON.stringify(made.body))
      }
      await logout(page)
      await login(page, await withCurrentPassword(assigner), '/random/draws')
      const me = await apiGet('/api/auth/me')
      const strata = []
      for (const risk of [1, 2, 3, 4]) for (const credit of ['A', 'B', 'C', 'D']) strata.push({ risk, credit, ratio: 5 })
      const body = { title: '浏览器测试申诉', object_kind: 'market_subject', scope: { division_codes: ['500103'] }, strata,
        groups: 1, per_group: 2, inspectors: { unit_ids: [me.identity.unit_id], include_subunits: false } }
      const preview = await send(page, 'POST', '/api/draws/preview', body)
      assert.equal(preview.status, 200, JSON.stringify(preview.body))
      // One object of each non-empty stratum of 渝中区 not yet drawn this year.
      assert.ok(preview.body.to_draw > 0, 'objects left to draw: ' + JSON.stringify(preview.body.strata))
      body.per_group = preview.body.inspectors.members
      const run = await send(page, 'POST', '/api/draws', body)
      assert.equal(run.status, 201, JSON.stringify(run.body))
      const pw = await send(page, 'PUT', '/api/draws-password', { login_password: assigner.password, draw_password: 'Draw#appeal2026' })
      assert.equal(pw.status, 200, JSON.stringify(pw.body))
      await witnessDraw(run.body.id)
      const ok = await send(page, 'POST', `/api/draws/${run.body.id}/confirm`, { password: 'Draw#appeal2026' })
      assert.equal(ok.status, 200, JSON.stringify(ok.body))
      state.draw = run.body.id
      await logout(page)

      await login(page, await withCurrentPassword(inspector), '/random/jobs')
      const mine = await apiGet(`/api/jobs/mine?draw_id=${state.draw}`)
      assert.ok(mine.total > 0, 'inspector2 has jobs of the draw')
      const job = await apiGet(`/api/jobs/${mine.items[0].id}`)
      state.job = job
      const sig = await send(page, 'POST', `/api/jobs/${job.id}/files?kind=signature&filename=sig.png`, PNG,
        { 'Content-Type': 'application/octet-stream' })
      assert.equal(sig.status, 201, JSON.stringify(sig.body))
      const form = { inspected_on: '2026-03-02', place: '经营场所', result_category: '01', qualified: true, findings: '未发现问题',
        item_results: job.items.map((i) => ({ item_id: i.item_id, content: '查验营业执照', qualified: true })) }
      if (job.advance_notice === 'required') form.notice_given = '电话告知'
      const sub = await send(page, 'POST', `/api/jobs/${job.id}/submit`, form)
      assert.equal(sub.status, 200, JSON.stringify(sub.body))
      await logout(page)

      await login(page, await withCurrentPassword(reviewer), '/random/results')
      const acc = await send(page, 'POST', `/api/results/${job.id}/accept`, {})
      assert.equal(acc.status, 200, JSON.stringify(acc.body))
      state.reviewerName = (await apiGet('/api/auth/me')).user.name
      await logout(page)
    },
  ],
  [
    '申诉：执法人员在检查作业页提出申诉并指定复核人',
    async (page) => {
      await login(page, await withCurrentPassword(inspector), `/random/jobs/${state.job.id}`)
      await page.locator('.appeal-open').click()
      await page.locator('.appeal-reason textarea').fill('复查发现超范围经营，原结果类别有误')
      await choose(page, '.appeal-reviewer', state.reviewerName)
      await choose(page, '.appeal-category', '发现问题需进一步整改')
      await page.locator('.appeal-qualified').getByText('不合格', { exact: true }).click()
      await page.locator('.appeal-findings textarea').fill('发现超范围经营，责令整改')
      await page.locator('.appeal-files').setInputFiles({ name: '复查照片.png', mimeType: 'image/png', buffer: PNG })
      await page.locator('.appeal-submit').click()
      await page.locator('.appeal-state', { hasText: '待复核' }).waitFor({ timeout: TIMEOUT })
      await page.locator('.appeal-file', { hasText: '复查照片.png' }).waitFor({ timeout: TIMEOUT })
      const view = await apiGet(`/api/jobs/${state.job.id}/appeals`)
      assert.equal(view.appeals.length, 1)
      state.appeal = view.appeals[0].id
      assert.equal(view.appeals[0].corrected.result_category, '07')
      await logout(page)
    },
  ],
  [
    '申诉审核：指定复核人通过申诉，原结果与更正结果两个版本均可见',
    async (page) => {
      await login(page, await withCurrentPassword(reviewer), '/random/appeals')
      await page.locator('.appeal-list').getByText('#' + state.appeal, { exact: true }).click()
      await page.waitForURL(new RegExp(`/random/appeals/${state.appeal}$`), { timeout: TIMEOUT })
      await page.locator('.appeal-compare', { hasText: '发现问题需进一步整改' }).waitFor({ timeout: TIMEOUT })
      await page.locator('.appeal-opinion textarea').fill('经核实，同意更正')
      await page.locator('.appeal-accept').click()
      await page.locator('.appeal-detail-state', { hasText: '申诉通过' }).waitFor({ timeout: TIMEOUT })
      const rows = page.locator('.appeal-versions .el-table__body tr')
      await rows.nth(1).waitFor({ timeout: TIMEOUT })
      assert.match(await rows.nth(0).innerText(), /未发现问题/)
      assert.match(await rows.nth(1).innerText(), /发现问题需进一步整改/)
      const now = await apiGet(`/api/results/${state.job.id}`)
      assert.equal(now.result_category, '07')
      await logout(page)

      // The inspector's job page shows both versions too.
      await login(page, await withCurrentPassword(inspector), `/random/jobs/${state.job.id}`)
      const versions = page.locator('.appeal-versions .el-table__body tr')
      await versions.nth(1).waitFor({ timeout: TIMEOUT })
      assert.match(await versions.nth(0).innerText(), /审核通过的原结果/)
      assert.match(await versions.nth(1).innerText(), /申诉更正/)
      await page.locator('.appeal-state', { hasText: '申诉通过' }).waitFor({ timeout: TIMEOUT })
      await logout(page)
    },
  ],
]
