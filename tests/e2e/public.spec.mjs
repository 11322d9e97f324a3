// Browser test of what the public and the draw's people see (issue 12 §3–§4): the
// information portal /public without a session, the public re-check page naming objects
// (统一社会信用代码) and inspectors (执法证号) in Beijing time, both at desktop (1366 px)
// and phone (390 px) width; and the 执法回避 page (add, list, delete) as the administrator.
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BASE, TIMEOUT, accounts, apiGet, login, logout, send, shotDir, witnessDraw } from './harness.mjs'

const state = { draw: null }
const WIDTHS = [1366, 390]

// No horizontal scrolling of the page at this width.
async function fits(page, width) {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth)
  assert.ok(scroll <= width + 1, `page ${page.url()} is ${scroll} px wide at ${width} px`)
}

async function signOut(page) {
  if ((await page.request.get(BASE + '/api/auth/me')).status() === 200) {
    await page.goto(BASE + '/portal')
    await page.locator('.user-menu .account-name').waitFor({ timeout: TIMEOUT })
    await logout(page)
  }
}

export const publicTests = [
  [
    '公开与回避：信息公开：管理员确认一次带执法人员的抽取（供公开复核）',
    async (page) => {
      await login(page, accounts.admin, '/random/draws')
      const me = await apiGet('/api/auth/me')
      const strata = []
      for (const risk of [1, 2, 3, 4]) for (const credit of ['A', 'B', 'C', 'D']) strata.push({ risk, credit, ratio: 2 })
      const body = { title: '浏览器测试公开复核', object_kind: 'market_subject', scope: { division_codes: ['500103'] }, strata,
        groups: 1, per_group: 2, inspectors: { unit_ids: [me.identity.unit_id], include_subunits: true } }
      const run = await send(page, 'POST', '/api/draws', body)
      assert.equal(run.status, 201, JSON.stringify(run.body))
      state.draw = run.body.id
      await witnessDraw(state.draw)
      const pw = await send(page, 'PUT', '/api/draws-password', { login_password: accounts.admin.password, draw_password: 'Draw#public2026' })
      assert.equal(pw.status, 200, JSON.stringify(pw.body))
      const ok = await send(page, 'POST', `/api/draws/${state.draw}/confirm`, { password: 'Draw#public2026' })
      assert.equal(ok.status, 200, JSON.stringify(ok.body))
      // The signed record, kept beside the screenshots for a look (pdftoppm).
      const pdf = await page.request.get(BASE + `/api/draws/${state.draw}/record.pdf`)
      assert.equal(pdf.status(), 200)
      writeFileSync(join(shotDir, 'public-record.pdf'), await pdf.body())
      // The draw page shows Beijing time without a UTC offset.
      await page.goto(BASE + `/random/draws/${state.draw}`)
      await page.locator('[data-test=draw-status]', { hasText: '已确认' }).waitFor({ timeout: TIMEOUT })
      assert.doesNotMatch(await page.locator('body').innerText(), /\+00\b|\+08\b/)
      await logout(page)
    },
  ],
  [
    '公开与回避：信息公开首页 /public：无需登录，链接结果公示、计划公示与抽取复核（1366 与 390 像素）',
    async (page) => {
      await signOut(page)
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 })
        await page.goto(BASE + '/public')
        await page.locator('.public-home h1').waitFor({ timeout: TIMEOUT })
        assert.equal(new URL(page.url()).pathname, '/public', 'no login asked')
        // The public draw log's head, the same one the record PDF prints (issue 12 §3).
        const head = page.locator('[data-test=draw-log-head] code')
        await head.waitFor({ timeout: TIMEOUT })
        assert.match(await head.innerText(), /^[0-9a-f]{64}$/)
        assert.match(await page.locator('.public-home').innerText(), /抽查检查结果公示[\s\S]*联合抽查年度计划公示[\s\S]*抽取公开复核/)
        await fits(page, width)
        await page.screenshot({ path: join(shotDir, `public-home-${width}.png`), fullPage: true })
      }
      // The re-check box opens the draw's public page.
      await page.locator('.ph-draw-no input').fill(String(state.draw))
      await page.locator('.ph-draw-go').click()
      await page.waitForURL(new RegExp(`/public/draws/${state.draw}$`), { timeout: TIMEOUT })
      await page.goto(BASE + '/public')
      await page.locator('.ph-results').click()
      await page.waitForURL(/\/public\/results$/, { timeout: TIMEOUT })
      await page.locator('.public-table').waitFor({ timeout: TIMEOUT })
      await fits(page, 390)
      await page.screenshot({ path: join(shotDir, 'public-results-390.png'), fullPage: true })
      await page.setViewportSize({ width: 1440, height: 900 })
    },
  ],
  [
    '公开与回避：公开复核页：显示对象名称与统一社会信用代码、执法人员姓名与执法证号、北京时间（1366 与 390 像素）',
    async (page) => {
      assert.ok(state.draw, 'a confirmed draw')
      const v = await (await fetch(BASE + `/api/public/draws/${state.draw}`)).json()  // no cookie at all
      assert.equal(v.matches, true)
      const objects = Object.values(v.names.objects)
      const people = Object.values(v.names.inspectors)
      assert.ok(objects.length > 0 && people.length >= 2, JSON.stringify(v.names).slice(0, 300))
      assert.match(v.drawn_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 })
        await page.goto(BASE + `/public/draws/${state.draw}`)
        await page.locator('[data-test=verdict]').waitFor({ timeout: TIMEOUT })
        const text = await page.locator('.public').innerText()
        assert.match(text, new RegExp(objects[0].name.replace(/[()（）]/g, '.')))
        assert.match(text, new RegExp(objects[0].code))
        assert.match(text, new RegExp(`${people[0].name}（[^）]*执法证号`))
        assert.doesNotMatch(text, /组长 \d+；/, 'no bare ids')
        assert.equal((await page.locator('[data-test=drawn-at]').innerText()).trim(), v.drawn_at)
        await fits(page, width)
        await page.screenshot({ path: join(shotDir, `public-draw-${width}.png`), fullPage: true })
      }
      await page.setViewportSize({ width: 1440, height: 900 })
    },
  ],
  [
    '公开与回避：执法回避：登记一条回避并在列表中看到，删除后消失',
    async (page) => {
      await login(page, accounts.admin, '/random/recusals')
      await page.locator('.recusal-table').waitFor({ timeout: TIMEOUT })
      const inspectors = await apiGet('/api/inspectors?page_size=1')
      const name = inspectors.items[0].name
      await page.locator('.rc-add').click()
      const dialog = page.locator('.recusal-dialog')
      await dialog.waitFor({ timeout: TIMEOUT })
      await dialog.locator('.rc-inspector input').fill(name)
      await page.locator('.el-select-dropdown__item:visible', { hasText: name }).first().click()
      await dialog.locator('.rc-whole').click()
      const reason = `浏览器测试回避 ${Date.now()}`
      await dialog.locator('.rc-reason textarea').fill(reason)
      await dialog.locator('.rc-save').click()
      const row = page.locator('.recusal-table .el-table__row', { hasText: reason })
      await row.waitFor({ timeout: TIMEOUT })
      assert.match(await row.innerText(), new RegExp(name))
      assert.match(await row.innerText(), /期间内全部回避/)
      await row.locator('.rc-delete').click()
      await page.locator('.el-message-box').getByRole('button', { name: /确定|OK/ }).click()
      await row.waitFor({ state: 'detached', timeout: TIMEOUT })
      // The menu leads there.
      assert.ok(await page.locator('.el-menu-item', { hasText: '执法回避' }).count() > 0, 'menu entry 执法回避')
    },
  ],
]
