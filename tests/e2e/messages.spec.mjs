// Browser tests of messages, announcements, the data dictionary (HOME-1, SYS-4, SYS-5)
// and a login with password + TOTP (AUTH-2). Run by main.mjs after the registry tests,
// starting signed in as the administrator and ending so again.
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { BASE, INITIAL_PASSWORD, TIMEOUT, demoUser, accounts, login, logout } from './harness.mjs'

const inspector = demoUser('inspector1')
const head = { account: 'yz_head', password: INITIAL_PASSWORD, next: 'Rv8!maple-Dune' }
const stamp = Date.now().toString(36)
const announcementTitle = `关于开展年度双随机抽查的通知-${stamp}`
const messageTitle = `请接收抽查任务-${stamp}`

// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) from a base32 secret, computed here, not by the server.
function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of s.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0')
  const bytes = []
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2))
  return Buffer.from(bytes)
}
function totp(secret, step) {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(step))
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest()
  const o = mac[mac.length - 1] & 0xf
  const n = ((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3]
  return String(n % 1000000).padStart(6, '0')
}
const nowStep = () => Math.floor(Date.now() / 1000 / 30)

// A JSON POST with the page's cookie session and CSRF token.
async function apiPost(page, path, body) {
  const me = await (await page.request.get(BASE + '/api/auth/me')).json()
  const res = await page.request.post(BASE + path, { data: body, headers: { 'X-CSRF-Token': me.csrf_token } })
  assert.ok(res.ok(), `POST ${path} answered ${res.status()}: ${await res.text()}`)
  return res.json()
}

async function badgeText(page) {
  const badge = page.locator('.unread-badge .el-badge__content')
  return (await badge.isVisible()) ? (await badge.innerText()).trim() : ''
}

export const messageTests = [
  [
    '管理员新增并发布公告',
    async (page) => {
      await page.goto(BASE + '/system/announcements')
      await page.locator('.add-announcement').click()
      await page.locator('.announcement-title input').fill(announcementTitle)
      await page.locator('.announcement-body textarea').fill('各单位：请按年度计划开展抽查工作。')
      await page.locator('.publish-announcement').click()
      const row = page.locator('.announcement-table tr', { hasText: announcementTitle })
      await row.waitFor({ timeout: TIMEOUT })
      assert.match(await row.innerText(), /已发布/)
    },
  ],
  [
    '数据字典：新增条目后可搜索到',
    async (page) => {
      await page.goto(BASE + '/system/dictionary')
      await page.locator('.cat-list li', { hasText: '检查方式' }).click()
      await page.locator('.dict-table tr', { hasText: '实地检查' }).waitFor({ timeout: TIMEOUT })
      await page.locator('.add-entry').click()
      await page.locator('.entry-code input').fill('video')
      await page.locator('.entry-label input').fill(`远程视频检查${stamp}`)
      await page.locator('.save-entry').click()
      await page.locator('.dict-table tr', { hasText: `远程视频检查${stamp}` }).waitFor({ timeout: TIMEOUT })
      // A duplicate code is refused with the server's message under the field (409).
      await page.locator('.add-entry').click()
      await page.locator('.entry-code input').fill('video')
      await page.locator('.entry-label input').fill('重复')
      await page.locator('.save-entry').click()
      await page.locator('.entry-form .el-form-item__error', { hasText: '该分类下已有相同编码的字典条目' }).waitFor({ timeout: TIMEOUT })
      await page.locator('.el-dialog', { hasText: '新增字典条目' }).getByRole('button', { name: '取消' }).click()
      await page.locator('.entry-form').waitFor({ state: 'hidden', timeout: TIMEOUT })
      // Search across every category.
      await page.locator('.dict-search input').fill(`视频检查${stamp}`)
      await page.locator('.dict-search-button').click()
      const rows = page.locator('.dict-table .el-table__body tr')
      await page.waitForFunction(() => document.querySelectorAll('.dict-table .el-table__body tr').length === 1, null, { timeout: TIMEOUT })
      assert.match(await rows.first().innerText(), /检查方式/)
    },
  ],
  [
    '发给执法人员的消息显示在角标与个人首页，阅读后清零；公告对其可见',
    async (page) => {
      const users = await (await page.request.get(BASE + '/api/users?q=inspector1')).json()
      const target = users.items.find((u) => u.account === 'inspector1')
      assert.ok(target, 'inspector1 exists in the demo city')
      await apiPost(page, '/api/messages', { user_ids: [target.id], category: 'task', title: messageTitle, body: '请在 5 个工作日内接收。', link: '/home' })
      await logout(page)
      await login(page, inspector, '/home')
      await page.waitForFunction(() => document.querySelector('.unread-badge .el-badge__content')?.textContent.trim() === '1', null, { timeout: TIMEOUT })
      await page.locator('.unread-badge .el-badge__content').waitFor({ state: 'visible', timeout: TIMEOUT })
      assert.equal(await badgeText(page), '1')
      const item = page.locator('.home-messages .message-item', { hasText: messageTitle })
      await item.waitFor({ timeout: TIMEOUT })
      await page.locator('.home-announcements .announcement-item', { hasText: announcementTitle }).waitFor({ timeout: TIMEOUT })
      await item.click()
      await page.locator('.el-dialog', { hasText: '请在 5 个工作日内接收。' }).waitFor({ timeout: TIMEOUT })
      await page.waitForFunction(() => !document.querySelector('.unread-badge .el-badge__content') || getComputedStyle(document.querySelector('.unread-badge .el-badge__content')).display === 'none', null, { timeout: TIMEOUT })
      assert.equal(await badgeText(page), '')
      await page.keyboard.press('Escape')
      await page.locator('.home-messages', { hasText: '没有未读消息' }).waitFor({ timeout: TIMEOUT })
      // The announcement opens with its text.
      await page.locator('.home-announcements .announcement-item', { hasText: announcementTitle }).click()
      await page.locator('.el-dialog', { hasText: '请按年度计划开展抽查工作' }).waitFor({ timeout: TIMEOUT })
      await page.keyboard.press('Escape')
      await logout(page)
    },
  ],
  [
    '账号密码加动态口令（TOTP）登录',
    async (page) => {
      await login(page, head, '/home')
      await page.locator('.user-menu .account-name').click()
      await page.getByRole('menuitem', { name: /双因素认证/ }).click()
      const secret = (await page.locator('.totp-secret code').innerText({ timeout: TIMEOUT })).trim()
      assert.match(secret, /^[A-Z2-7]{16,}$/)
      const confirmStep = nowStep()
      await page.locator('.totp-code input').fill(totp(secret, confirmStep))
      await page.getByRole('button', { name: '确认绑定' }).click()
      await page.locator('.el-message', { hasText: '双因素认证已启用' }).waitFor({ timeout: TIMEOUT })
      await logout(page)
      await page.locator('.login-form input[name=account]').fill(head.account)
      await page.locator('.login-form input[name=password]').fill(head.password)
      await page.locator('.login-button').click()
      await page.locator('.login-form input[name=code]').waitFor({ timeout: TIMEOUT })
      // A wrong code is refused; the next step's code (never used) is accepted.
      await page.locator('.login-form input[name=code]').fill('000000' === totp(secret, nowStep()) ? '111111' : '000000')
      await page.locator('.login-button').click()
      await page.locator('.login-error', { hasText: '验证码错误' }).waitFor({ timeout: TIMEOUT })
      await page.locator('.login-form input[name=code]').fill(totp(secret, Math.max(nowStep(), confirmStep + 1)))
      await page.locator('.login-button').click()
      await page.waitForURL((u) => !new URL(u).pathname.startsWith('/login'), { timeout: TIMEOUT })
      await page.locator('.user-menu .user-name').waitFor({ timeout: TIMEOUT })
      assert.equal(await page.locator('.user-menu .user-name').innerText(), '渝中区部门负责人')
      await logout(page)
      await login(page, accounts.admin, '/portal')
    },
  ],
  [
    '问题反馈：提交后显示答复期限，管理员回复后提交人收到消息',
    async (page) => {
      const title = `导出Excel失败-${stamp}`
      await page.goto(BASE + '/feedback')
      await page.locator('.feedback-title input').fill(title)
      await page.locator('.feedback-content textarea').fill('点击导出后没有反应。')
      await page.locator('.submit-feedback').click()
      const mine = page.locator('.my-feedback tr', { hasText: title })
      await mine.waitFor({ timeout: TIMEOUT })
      assert.match(await mine.innerText(), /\d{4}-\d{2}-\d{2}/, 'the answer deadline is shown')
      assert.match(await mine.innerText(), /待回复/)
      const before = Number((await badgeText(page)) || 0)
      await page.goto(BASE + '/system/feedback')
      const row = page.locator('.feedback-table .el-table__body tr', { hasText: title })
      await row.waitFor({ timeout: TIMEOUT })
      assert.match(await row.innerText(), /剩余 2 个工作日/)
      await row.getByRole('button', { name: '查看/回复' }).click()
      await page.locator('.reply-input textarea').fill('已修复，请刷新页面后重试。')
      await page.locator('.send-reply').click()
      await page.locator('.el-message', { hasText: '已回复' }).waitFor({ timeout: TIMEOUT })
      await page.waitForFunction(
        (n) => Number(document.querySelector('.unread-badge .el-badge__content')?.textContent.trim() || 0) === n,
        before + 1,
        { timeout: TIMEOUT },
      )
      assert.equal(await badgeText(page), String(before + 1), 'the badge is visible with the new count')
    },
  ],
  [
    '工作日历：录入次年的放假安排后，跨年期限不再是暂定',
    async (page) => {
      // The first year after the last announced one (chinese-days covers up to it).
      const years = await (await page.request.get(BASE + '/api/calendar/years')).json()
      const next = Math.max(...years.items.filter((y) => y.scheduled).map((y) => y.year)) + 1
      const ymd = (d) => d.toISOString().slice(0, 10)
      const weekdayFrom = (d) => {
        while ([0, 6].includes(d.getUTCDay())) d.setUTCDate(d.getUTCDate() + 1)
        return ymd(d)
      }
      const from = `${next - 1}-12-31`
      const before = await (await page.request.get(BASE + `/api/calendar/add?from=${from}&days=1`)).json()
      assert.equal(before.date, weekdayFrom(new Date(Date.UTC(next, 0, 1))), 'Monday–Friday while not announced')
      assert.equal(before.provisional, true)
      await page.goto(BASE + '/system/calendar')
      await page.locator('.calendar-days').waitFor({ timeout: TIMEOUT })
      await page.locator('.new-year input').fill(String(next))
      await page.getByRole('button', { name: '录入该年' }).click()
      await page.locator('.calendar-page .section-title', { hasText: `${next} 年` }).waitFor({ timeout: TIMEOUT })
      await page.getByRole('button', { name: '添加一天' }).click()
      const row = page.locator('.calendar-days .el-table__body tr').last()
      const date = row.locator('td').nth(0).locator('input')
      await date.fill(`${next}-01-01`)
      await date.press('Enter')
      await row.locator('td').nth(2).locator('input').fill('元旦')
      await page.getByRole('button', { name: `保存 ${next} 年安排` }).click()
      await page.locator('.el-message', { hasText: `${next} 年的节假日安排已保存` }).waitFor({ timeout: TIMEOUT })
      await page.locator('.calendar-page .el-table__body tr', { hasText: String(next) }).filter({ hasText: '已公布' }).waitFor({ timeout: TIMEOUT })
      // 1 January is now a holiday: the first weekday after it.
      const after = await (await page.request.get(BASE + `/api/calendar/add?from=${from}&days=1`)).json()
      assert.equal(after.date, weekdayFrom(new Date(Date.UTC(next, 0, 2))))
      assert.equal(after.provisional, false)
    },
  ],
]
