// Browser test of the draw (DRAW-1, DRAW-2, DRAW-8, DRAW-10, DRAW-11, VERIFY-1) as the
// administrator: the draw page previews the strata and runs a draw, the record shows the
// groups, the draw password is set and confirms it, the printed record is a PDF, and the
// public page (and its API without any session) recomputes the draw and says it matches.
import assert from 'node:assert/strict'
import { BASE, TIMEOUT, accounts, login } from './harness.mjs'

let drawId = null
// Element Plus puts attributes of <el-input> on the native input or on its wrapper.
const field = (page, name) => page.locator(`[data-test=${name}]`).locator('xpath=descendant-or-self::input').first()

export const drawTests = [
  [
    '随机抽取：预览各层候选数并执行抽取',
    async (page) => {
      // Earlier specs end signed in as someone else or signed out.
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
      drawId = Number(new URL(page.url()).pathname.split('/').pop())
      await page.locator('[data-test=draw-status]').waitFor({ timeout: TIMEOUT })
      assert.equal((await page.locator('[data-test=draw-status]').innerText()).trim(), '待确认')
      await page.locator('[data-test=group-1]').waitFor({ timeout: TIMEOUT })
      assert.match(await page.locator('[data-test=seed]').innerText(), /^[0-9a-f]{64}$/)
    },
  ],
  [
    '随机抽取：设置双随机密码并确认，确认后不可再确认',
    async (page) => {
      assert.ok(drawId, 'a draw was made')
      await page.getByRole('button', { name: '设置双随机密码' }).click()
      await field(page, 'pw-login').fill(accounts.admin.password)
      await field(page, 'pw-draw').fill('Draw#e2e2026')
      await page.locator('[data-test=pw-ok]').click()
      await page.getByText('双随机密码已设置').waitFor({ timeout: TIMEOUT })
      await page.locator('[data-test=confirm]').click()
      await field(page, 'draw-password').fill('Draw#e2e2026')
      await page.locator('[data-test=confirm-ok]').click()
      await page.locator('[data-test=draw-status]', { hasText: '已确认' }).waitFor({ timeout: TIMEOUT })
      assert.equal(await page.locator('[data-test=confirm]').count(), 0, 'no 确认 button on a confirmed draw')
      const pdf = await page.request.get(BASE + `/api/draws/${drawId}/record.pdf`)
      assert.equal(pdf.status(), 200)
      assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-')
    },
  ],
  [
    '公开复核页：无需登录，重算结果一致',
    async (page) => {
      assert.ok(drawId, 'a draw was made')
      const res = await fetch(BASE + `/api/public/draws/${drawId}`)  // no cookie at all
      assert.equal(res.status, 200)
      assert.equal((await res.json()).matches, true)
      await page.goto(BASE + `/public/draws/${drawId}`)
      const verdict = page.locator('[data-test=verdict]')
      await verdict.waitFor({ timeout: TIMEOUT })
      assert.match(await verdict.innerText(), /一致/)
      assert.doesNotMatch(await verdict.innerText(), /不一致/)
    },
  ],
]
