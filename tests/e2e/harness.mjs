// Shared pieces of the browser tests: the server URL, the accounts, logging in through
// the login page (with the forced first password change), API calls with the browser's
// session, and the runner that prints "N passed, M failed".
// playwright-core is resolved from web/node_modules (one `npm ci` in web/ installs it).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const require = createRequire(new URL('../../web/package.json', import.meta.url))
const { chromium } = require('playwright-core')

export const BASE = process.env.TWINDRAW_URL
if (!BASE) {
  console.error('TWINDRAW_URL is not set (run through tests/e2e/run.sh)')
  process.exit(1)
}
export const shotDir = process.env.E2E_SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'twindraw-e2e-shots-'))
const keepShots = !!process.env.E2E_SCREENSHOT_DIR
export const TIMEOUT = 15000

// The demo city's accounts all start with this password and must change it at first login.
export const INITIAL_PASSWORD = 'Twindraw@2026'
// Passwords the tests change to: ≥10 characters, 3 classes, without the account name.
export const accounts = {
  admin: { account: 'admin', password: INITIAL_PASSWORD, next: 'Qz7#river-Lamp' },
  leader: { account: 'leader', password: INITIAL_PASSWORD, next: 'Hx4!orchid-Bay' },
}

// The demo city's other accounts, one object per account shared by every spec: the first
// spec that logs one in changes its first password to `next` (login() then updates
// `password`), and later specs log in with the changed password.
const demoNext = {
  yz_assigner: 'Pv8#delta-Kite',
  yz_reviewer: 'Rw5!maple-Dune',
  yz_admin: 'Tq6#harbor-Fig',
  yz_head: 'Hb7#willow-Cove',
  inspector1: 'Mk5#cedar-Pond',
  inspector2: 'Ij6#cedar-Moss',
  inspector3: 'Nv4#spruce-Tarn',
}
const demoUsers = {}
export function demoUser(account) {
  assert.ok(demoNext[account], `no next password for ${account}: add it to demoNext`)
  demoUsers[account] ??= { account, password: INITIAL_PASSWORD, next: demoNext[account] }
  return demoUsers[account]
}

// The page of the test run, for API calls that share its cookie session.
let current = null

// GET with the browser's session cookie; asserts 200 and answers the JSON.
export async function apiGet(path) {
  assert.ok(current, 'no page yet')
  const res = await current.request.get(BASE + path)
  assert.equal(res.status(), 200, `GET ${path} answered ${res.status()}`)
  return res.json()
}

// An API call with the page's session and its CSRF token: the status and JSON.
export async function send(page, method, path, body, headers = {}) {
  const me = await apiGet('/api/auth/me')
  const res = await page.request.fetch(BASE + path, { method, data: body, headers: { 'X-CSRF-Token': me.csrf_token, ...headers } })
  const text = await res.text()
  return { status: res.status(), body: text ? JSON.parse(text) : null }
}

// Picks the option with that text of the Element Plus select at sel.
export async function choose(page, sel, text) {
  await page.locator(sel).click()
  const option = page.locator('.el-select-dropdown__item:visible', { hasText: text }).first()
  await option.waitFor({ timeout: TIMEOUT })
  await option.click()
}

// Confirms the open workflow action dialog, with an opinion when given.
export async function confirmAction(page, opinion) {
  const dialog = page.locator('.flow-action-dialog')
  await dialog.waitFor({ timeout: TIMEOUT })
  if (opinion !== undefined) await dialog.locator('textarea').fill(opinion)
  await dialog.locator('.flow-action-confirm').click()
  await dialog.waitFor({ state: 'hidden', timeout: TIMEOUT })
}

// A valid unified social credit code (GB 32100 check character) of 渝中区, new at each
// call of a run (salt: a different number per call site).
export function uscc(salt = 0) {
  const A = '0123456789ABCDEFGHJKLMNPQRTUWXY'
  const W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
  const s = '91500103' + String((Date.now() + salt) % 1e9).padStart(9, '0')
  let sum = 0
  for (let i = 0; i < 17; i++) sum += A.indexOf(s[i]) * W[i]
  const c = 31 - (sum % 31)
  return s + A[c === 31 ? 0 : c]
}

// API calls with a bearer token (setup outside the page's session): the status and JSON.
export async function bearerCall(token, method, path, body) {
  const res = await fetch(BASE + path, {
    method,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

// The same, asserting the status (200 unless told) and answering the JSON.
export async function bearerOk(token, method, path, body, status = 200) {
  const r = await bearerCall(token, method, path, body)
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`)
  return r.body
}

// A bearer token for who (a mobile-client login): tries who.password, who.next, the
// passwords other specs may have set (known) and the initial one — few tries, since
// failed logins count towards the lockout. An initial password is changed to who.next;
// who.password follows, so that a later browser login uses it.
export async function bearerToken(who, known = []) {
  const tried = [...new Set([who.password, who.next, ...known, INITIAL_PASSWORD])]
  for (const pw of tried) {
    const res = await fetch(BASE + '/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ account: who.account, password: pw, client: 'mobile' }),
    })
    if (res.status !== 200) continue
    const body = await res.json()
    who.password = pw
    if (pw === INITIAL_PASSWORD || /"must_change_password":true|password_change/.test(JSON.stringify(body))) {
      const r = await bearerCall(body.token, 'POST', '/api/auth/password', { old_password: pw, new_password: who.next })
      assert.equal(r.status, 200, JSON.stringify(r.body))
      who.password = who.next
    }
    return body.token
  }
  throw new Error(`no known password for ${who.account}`)
}

// The 监督人员 enters a witness value for a committed draw through the API (issue 12 §3):
// the draw is revealed. Answers the draw. A witness must see the draw: 渝中区's reviewer
// (yz_reviewer) for the district's draws; a draw of the city bureau (the admin's), which
// the district cannot see (404), is witnessed by the 领导 (leader, scope all).
export async function witnessDraw(id, witness = '0123456789abcdef0123456789abcdef') {
  const token = await bearerToken(demoUser('yz_reviewer'), ['Hd3!birch-Wave'])
  let r = await bearerCall(token, 'POST', `/api/draws/${id}/witness`, { witness })
  if (r.status === 404) r = await bearerCall(await bearerToken(accounts.leader), 'POST', `/api/draws/${id}/witness`, { witness })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body
}

// Logs in through the login page as who; on the forced password-change page sets the
// account's next password. Ends on the page that was wanted (default /portal).
export async function login(page, who, wanted = '/portal') {
  await page.goto(BASE + wanted)
  // Someone still signed in (a failed test before) logs out first.
  if ((await page.request.get(BASE + '/api/auth/me')).status() === 200) {
    await page.locator('.user-menu .account-name').waitFor({ timeout: TIMEOUT })
    await logout(page)
    await page.goto(BASE + wanted)
  }
  await page.waitForURL(/\/login(\?|$)/, { timeout: TIMEOUT })
  await page.locator('.login-form input[name=account]').fill(who.account)
  await page.locator('.login-form input[name=password]').fill(who.password)
  await page.locator('.login-button').click()
  await page.waitForURL((u) => !new URL(u).pathname.startsWith('/login'), { timeout: TIMEOUT })
  if (new URL(page.url()).pathname === '/change-password') {
    await changeFirstPassword(page, who)
  }
  await page.waitForURL((u) => new URL(u).pathname === wanted.split('?')[0], { timeout: TIMEOUT })
  await page.locator('.user-menu .user-name').waitFor({ timeout: TIMEOUT })
}

export async function changeFirstPassword(page, who) {
  await page.locator('input[name=old_password]').fill(who.password)
  await page.locator('input[name=new_password]').fill(who.next)
  await page.locator('input[name=confirm]').fill(who.next)
  await page.locator('.pw-submit').click()
  await page.waitForURL((u) => new URL(u).pathname !== '/change-password', { timeout: TIMEOUT })
  who.password = who.next
}

export async function logout(page) {
  await page.locator('.user-menu .account-name').click()
  await page.getByRole('menuitem', { name: '退出登录' }).click()
  await page.waitForURL(/\/login(\?|$)/, { timeout: TIMEOUT })
}

// Runs the tests in order on one browser page; prints TAP-like lines and the summary.
export async function run(tests) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  let passed = 0
  let failed = 0
  try {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 900 } })
    const page = await context.newPage()
    current = page
    const consoleErrors = []
    page.on('pageerror', (e) => consoleErrors.push(String(e)))
    for (const [i, [name, fn]] of tests.entries()) {
      const started = Date.now()
      consoleErrors.length = 0
      try {
        await fn(page)
        assert.deepEqual(consoleErrors, [], 'no uncaught errors in the page')
        passed++
        console.log(`ok ${i + 1} - ${name} (${Date.now() - started} ms)`)
        if (keepShots) await page.screenshot({ path: join(shotDir, `${i + 1}-ok.png`), fullPage: true })
      } catch (e) {
        failed++
        const shot = join(shotDir, `${i + 1}-failed.png`)
        await page.screenshot({ path: shot, fullPage: true }).catch(() => {})
        console.log(`not ok ${i + 1} - ${name}`)
        console.log(String(e.stack || e).replace(/^/gm, '    '))
        console.log(`    page: ${page.url()}  screenshot: ${shot}`)
      }
    }
    await context.close()
  } finally {
    await browser.close()
  }
  if (!failed && !keepShots) rmSync(shotDir, { recursive: true, force: true })
  console.log(`${passed} passed, ${failed} failed`)
  return failed
}
