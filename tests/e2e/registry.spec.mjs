// Browser tests of the registry pages (BASE-1..4): the menu, a 建设中 page, the registry
// counts, the 市场主体 list → search → detail → server-side field error round trip, and a
// batch import. Run by main.mjs after an administrator has logged in.
import assert from 'node:assert/strict'
import { randomInt } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BASE, TIMEOUT, apiGet, shotDir } from './harness.mjs'

// USCC characters (GB 32100): changing the last one always breaks the check digit.
const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
function flipLast(code) {
  const last = code.at(-1)
  const i = USCC_CHARS.indexOf(last)
  return code.slice(0, -1) + USCC_CHARS[(i + 1) % USCC_CHARS.length]
}
// A fresh valid code (GB 32100 check digit) for an enterprise in the given county.
function newUscc(county) {
  let body = '91' + county
  while (body.length < 17) body += USCC_CHARS[randomInt(10)]
  const sum = [...body].reduce((t, c, i) => t + USCC_CHARS.indexOf(c) * USCC_WEIGHTS[i], 0)
  return body + USCC_CHARS[(31 - (sum % 31)) % 31]
}

// Text of the cells of one column of the visible list, by header label.
async function columnTexts(page, label) {
  const headers = await page.locator('.entity-table .el-table__header th').allInnerTexts()
  const idx = headers.findIndex((h) => h.trim() === label)
  assert.ok(idx >= 0, `column “${label}” not found in ${JSON.stringify(headers)}`)
  return page.locator(`.entity-table .el-table__body tr.el-table__row td:nth-child(${idx + 1})`).allInnerTexts()
}

async function waitListLoaded(page) {
  await page.locator('.entity-table .el-table__body tr.el-table__row').first().waitFor({ timeout: TIMEOUT })
  await page.waitForFunction(() => !document.querySelector('.entity-table .el-loading-mask'), null, { timeout: TIMEOUT })
}

const state = {}
export const registryTests = [
  [
    '菜单显示基础信息，未上线模块显示建设中页面',
    async (page) => {
      await page.goto(BASE + '/portal')
      const menu = page.locator('.side-menu')
      await menu.getByText('基础信息', { exact: true }).waitFor({ timeout: TIMEOUT })
      for (const entry of ['门户', '个人首页', '随机抽查', '智能监管', '网络监管', '数据展现', '系统管理']) {
        assert.ok(await menu.getByText(entry, { exact: true }).first().isVisible(), `menu entry ${entry} visible`)
      }
      assert.ok(await menu.getByText('市场主体', { exact: true }).isVisible(), '基础信息 is open with 市场主体')
      // 年度计划 is built (flow.spec.mjs); 智能监管 is still to come.
      await menu.getByText('智能监管', { exact: true }).click()
      await page.waitForURL(/\/smart$/, { timeout: TIMEOUT })
      await page.getByText('建设中', { exact: true }).first().waitFor({ timeout: TIMEOUT })
      await page.getByText('「智能监管」功能建设中').waitFor({ timeout: TIMEOUT })
      assert.match(await page.locator('.coming').innerText(), /预警告警/)
    },
  ],
  [
    '门户显示名录库数量',
    async (page) => {
      const stats = await apiGet('/api/stats/registry')
      assert.ok(stats.subjects >= 300, `demo city has ${stats.subjects} subjects`)
      await page.goto(BASE + '/portal')
      const card = page.locator('[data-stat="subjects"] .stat-value')
      await page.waitForFunction(
        (want) => document.querySelector('[data-stat="subjects"] .stat-value')?.textContent.trim() === want,
        stats.subjects.toLocaleString('zh-CN'),
        { timeout: TIMEOUT },
      )
      assert.equal((await card.innerText()).trim(), stats.subjects.toLocaleString('zh-CN'))
    },
  ],
  [
    '市场主体列表按名称关键字搜索并打开详情',
    async (page) => {
      const meta = await apiGet('/api/meta/entities')
      const subjects = meta.entities.find((e) => e.name === 'subjects')
      assert.ok(subjects, 'metadata describes subjects')
      state.nameLabel = subjects.fields.find((f) => f.name === subjects.display).label
      state.usccLabel = subjects.fields.find((f) => f.name === 'uscc').label

      await page.goto(BASE + '/portal')
      await page.locator('.side-menu').getByText('市场主体', { exact: true }).click()
      await page.waitForURL(/\/base\/subjects$/, { timeout: TIMEOUT })
      await waitListLoaded(page)
      await page.getByText('基础信息 / 市场主体').waitFor({ timeout: TIMEOUT })
      const names = await columnTexts(page, state.nameLabel)
      assert.ok(names.length > 0 && names[0].trim(), 'the first page lists subjects')
      const name = names[0].trim()
      const chars = [...name]
      const keyword = chars.length > 6 ? chars.slice(2, Math.min(chars.length - 2, 8)).join('') : name
      state.name = name

      await page.locator('.search-box input').fill(keyword)
      await page.locator('.search-box input').press('Enter')
      await page.waitForURL((u) => new URL(u).searchParams.get('q') === keyword, { timeout: TIMEOUT })
      await waitListLoaded(page)
      const found = (await columnTexts(page, state.nameLabel)).map((s) => s.trim())
      assert.ok(found.includes(name), `searching “${keyword}” lists “${name}”: ${JSON.stringify(found)}`)

      const row = page.locator('.entity-table .el-table__body tr.el-table__row', { hasText: name }).first()
      await row.click()
      await page.waitForURL(/\/base\/subjects\/[^/]+$/, { timeout: TIMEOUT })
      await page.locator('.form-title', { hasText: name }).waitFor({ timeout: TIMEOUT })
      state.id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop())
    },
  ],
  [
    '错误的统一社会信用代码保存后在字段下显示服务器的错误信息',
    async (page) => {
      assert.ok(state.id, 'the previous test opened a subject')
      await page.goto(`${BASE}/base/subjects/${encodeURIComponent(state.id)}`)
      const item = page.locator('.el-form-item[data-field="uscc"]')
      const input = item.locator('input')
      await input.waitFor({ timeout: TIMEOUT })
      assert.equal((await item.locator('.el-form-item__label').innerText()).trim(), state.usccLabel)
      const original = await input.inputValue()
      assert.match(original, /^[0-9A-HJ-NPQRTUWXY]{18}$/, 'the demo subject has a well-formed code')
      const wrong = flipLast(original)
      await input.fill(wrong)

      const answer = page.waitForResponse(
        (r) => r.request().method() === 'PUT' && r.url().includes(`/api/subjects/`),
        { timeout: TIMEOUT },
      )
      await page.locator('.save-button').click()
      const res = await answer
      assert.ok(res.status() >= 400 && res.status() < 500, `the server refuses the code (HTTP ${res.status()})`)
      const body = await res.json()
      const err = body.error
      const fieldErr = err.field === 'uscc' ? err : (err.errors || []).find((e) => e.field === 'uscc')
      assert.ok(fieldErr && fieldErr.message, `the error names the uscc field: ${JSON.stringify(body)}`)

      const shown = item.locator('.el-form-item__error')
      await shown.waitFor({ timeout: TIMEOUT })
      assert.equal((await shown.innerText()).trim(), fieldErr.message)
      assert.equal(await input.inputValue(), wrong, 'the wrong value stays in the form for correction')

      const stored = await apiGet(`/api/subjects/${encodeURIComponent(state.id)}`)
      assert.equal(stored.uscc, original, 'the stored code is unchanged')
    },
  ],
  [
    '批量导入CSV显示进度、计数和错误行',
    async (page) => {
      const meta = await apiGet('/api/meta/entities')
      const fields = meta.entities.find((e) => e.name === 'subjects').fields
      const label = (name) => fields.find((f) => f.name === name).label
      const sample = (await apiGet('/api/subjects?page=1&page_size=1')).items[0]
      const county = sample.division_code
      const good = newUscc(county.slice(0, 6))
      const { lon, lat } = sample.location
      const csv = [
        [label('uscc'), label('name'), label('division_code'), '经度', '纬度'].join(','),
        [good, '端到端测试导入商贸有限公司', county, lon, lat].join(','),
        [flipLast(newUscc(county.slice(0, 6))), '端到端测试错误代码有限公司', county, lon, lat].join(','),
      ].join('\r\n')
      const file = join(shotDir, 'e2e-import.csv')
      writeFileSync(file, csv + '\r\n')

      await page.goto(BASE + '/base/import')
      await page.locator('.import-page input[type=file]').setInputFiles(file)
      await page.getByRole('button', { name: '开始导入' }).click()
      const panel = page.locator('.job-panel')
      const status = panel.locator('.job-status')
      await page.waitForFunction(
        () => ['已完成', '失败'].includes(document.querySelector('.job-panel .job-status')?.textContent.trim()),
        null,
        { timeout: 60000 },
      )
      const message = (await panel.locator('.job-message').count()) ? await panel.locator('.job-message').innerText() : ''
      assert.equal((await status.innerText()).trim(), '已完成', `the import finished: ${message}`)
      const count = async (key) => (await panel.locator(`[data-count="${key}"]`).innerText()).trim()
      assert.equal(await count('inserted'), '1', 'one row inserted')
      assert.equal(await count('rejected'), '1', 'one row rejected')
      assert.equal(await count('total'), '2', 'two data rows read')
      const errorRows = await panel.locator('.el-table__body tr.el-table__row').allInnerTexts()
      assert.ok(
        errorRows.some((r) => r.includes(label('uscc'))),
        `the rejected row names the ${label('uscc')} field: ${JSON.stringify(errorRows)}`,
      )
      const href = await panel.getByRole('link', { name: '下载错误报告' }).getAttribute('href')
      const report = await page.request.get(BASE + href)
      assert.equal(report.status(), 200, `error report ${href}`)
      const found = await apiGet(`/api/subjects?q=${good}`)
      assert.equal(found.total, 1, 'the imported subject is in the library')
    },
  ],
]
