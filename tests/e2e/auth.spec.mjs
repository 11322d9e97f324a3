// Browser tests of login and permissions (AUTH-1, AUTH-5, AUTH-7, SYS-1..3, SYS-7,
// AUDIT-1): the first login forces a password change, the menu follows the role, a
// read-only role has no 新增 and no 系统管理, identities can be switched, logout ends the
// session. Run by main.mjs against the demo city's accounts.
import assert from 'node:assert/strict'
import { BASE, TIMEOUT, accounts, apiGet, changeFirstPassword, login, logout } from './harness.mjs'

const menuTexts = async (page) =>
  (await page.locator('.side-menu > li .el-sub-menu__title span, .side-menu > li.el-menu-item span').allInnerTexts()).map((t) =>
    t.trim(),
  )

// On the login page, keeping the wanted path for after the login.
function onLogin(url, wanted) {
  const u = new URL(url)
  return u.pathname === '/login' && u.searchParams.get('redirect') === wanted
}

export const authTests = [
  [
    '未登录访问页面转到登录页，错误密码显示服务器的提示',
    async (page) => {
      await page.goto(BASE + '/base/subjects')
      await page.waitForURL((u) => onLogin(u, '/base/subjects'), { timeout: TIMEOUT })
      await page.getByText('双随机一公开监管平台').first().waitFor({ timeout: TIMEOUT })
      await page.locator('.login-form input[name=account]').fill(accounts.admin.account)
      await page.locator('.login-form input[name=password]').fill('Wrong-password-1')
      await page.locator('.login-button').click()
      const alert = page.locator('.login-error')
      await alert.waitFor({ timeout: TIMEOUT })
      assert.match(await alert.innerText(), /账号或密码错误/)
    },
  ],
  [
    '管理员首次登录须修改初始密码，之后看到完整菜单',
    async (page) => {
      const admin = accounts.admin
      await page.goto(BASE + '/login?redirect=%2Fhome')
      await page.locator('.login-form input[name=account]').fill(admin.account)
      await page.locator('.login-form input[name=password]').fill(admin.password)
      await page.locator('.login-button').click()
      await page.waitForURL(/\/change-password/, { timeout: TIMEOUT })
      await page.getByText('首次登录或密码已被重置').waitFor({ timeout: TIMEOUT })
      assert.match(await page.locator('.policy').innerText(), /至少10位/)
      // A password containing the account is refused before it is sent.
      await page.locator('input[name=old_password]').fill(admin.password)
      await page.locator('input[name=new_password]').fill('Admin#2026river')
      await page.locator('input[name=confirm]').fill('Admin#2026river')
      await page.locator('.pw-submit').click()
      const fieldError = page.locator('[data-field=new_password] .el-form-item__error')
      await fieldError.waitFor({ timeout: TIMEOUT })
      assert.match(await fieldError.innerText(), /账号/)
      // Until the password is changed every other call is refused.
      const blocked = await page.request.get(BASE + '/api/subjects?page=1')
      assert.equal(blocked.status(), 403, 'a session that must change its password reaches no data')
      assert.equal((await blocked.json()).error.code, 'password_change_required')
      await changeFirstPassword(page, admin)
      await page.waitForURL(/\/home$/, { timeout: TIMEOUT })
      const me = await apiGet('/api/auth/me')
      assert.equal(me.user.must_change_password, false)
      await page.locator('.user-menu .user-name', { hasText: me.user.name }).waitFor({ timeout: TIMEOUT })
      const menu = await menuTexts(page)
      for (const entry of ['门户', '基础信息', '系统管理', '审计日志']) assert.ok(menu.includes(entry), `menu has ${entry}: ${menu}`)
    },
  ],
  [
    '系统管理：组织机构、用户、角色与登录日志',
    async (page) => {
      await page.locator('.side-menu').getByText('系统管理', { exact: true }).click()
      await page.locator('.side-menu').getByText('用户管理', { exact: true }).click()
      await page.waitForURL(/\/system\/users$/, { timeout: TIMEOUT })
      await page.locator('.users-table .el-table__row').first().waitFor({ timeout: TIMEOUT })
      await page.locator('.search-box input').fill(accounts.leader.account)
      await page.locator('.search-box input').press('Enter')
      await page.locator('.users-table .el-table__row', { hasText: accounts.leader.account }).waitFor({ timeout: TIMEOUT })
      await page.waitForFunction(() => document.querySelectorAll('.users-table .el-table__row').length === 1, null, {
        timeout: TIMEOUT,
      })
      // Enforcement credentials (执法证号): set on the user form, shown in the list, found by search.
      const cert = `渝执${Date.now() % 1000000}`
      // The table re-renders after the search: a click on the row being replaced opens
      // nothing, so the click is repeated until the dialog is there (seen once under load).
      const certInput = page.locator('.user-dialog [data-field=certificate_no] input')
      for (let i = 0; i < 3 && !(await certInput.isVisible()); i++) {
        await page.locator('.users-table .el-table__row', { hasText: accounts.leader.account }).getByText('编辑').click()
        await certInput.waitFor({ timeout: 5000 }).catch(() => {})
      }
      await certInput.fill(cert)
      await page.locator('.user-dialog .save-user').click()
      await page.locator('.user-dialog').waitFor({ state: 'hidden', timeout: TIMEOUT })
      await page.locator('.search-box input').fill(cert)
      await page.locator('.search-box input').press('Enter')
      await page.locator('.users-table .el-table__row', { hasText: cert }).waitFor({ timeout: TIMEOUT })
      assert.match(await page.locator('.users-table .el-table__row').first().innerText(), new RegExp(accounts.leader.account))

      await page.locator('.side-menu').getByText('角色管理', { exact: true }).click()
      await page.waitForURL(/\/system\/roles$/, { timeout: TIMEOUT })
      const roleRow = page.locator('.roles-table .el-table__row', { hasText: '系统管理员' })
      await roleRow.waitFor({ timeout: TIMEOUT })
      assert.match(await roleRow.innerText(), /用户管理/, 'permissions are listed by their labels')

      await page.locator('.side-menu').getByText('组织机构', { exact: true }).click()
      await page.waitForURL(/\/system\/org$/, { timeout: TIMEOUT })
      const unit = page.locator('.org-tree .org-node[data-type=unit]').first()
      await unit.waitFor({ timeout: TIMEOUT })
      assert.match(await page.locator('.org-tree .org-node').first().innerText(), /\d+ 人/)

      await page.locator('.side-menu').getByText('登录日志', { exact: true }).click()
      await page.waitForURL(/\/system\/login-log$/, { timeout: TIMEOUT })
      const rows = page.locator('.login-log-table .el-table__row')
      await rows.first().waitFor({ timeout: TIMEOUT })
      const text = (await rows.allInnerTexts()).join('\n')
      assert.match(text, new RegExp(`${accounts.admin.account}[\\s\\S]*成功`), 'the admin login is logged')
      assert.match(text, /失败/, 'the wrong password is logged')
    },
  ],
  [
    '审计日志可筛选并查看修改前后对比',
    async (page) => {
      // Make a change to audit: edit the admin's own phone through the users page API.
      const users = await apiGet(`/api/users?q=${accounts.leader.account}`)
      const leader = users.items[0]
      const res = await page.request.put(`${BASE}/api/users/${leader.id}`, {
        data: { name: leader.name, phone: '13800000000' },
        headers: { 'X-CSRF-Token': (await apiGet('/api/auth/me')).csrf_token },
      })
      assert.equal(res.status(), 200, `PUT user answered ${res.status()}`)
      await page.locator('.side-menu').getByText('审计日志', { exact: true }).click()
      await page.waitForURL(/\/audit$/, { timeout: TIMEOUT })
      await page.locator('.audit-table .el-table__row').first().waitFor({ timeout: TIMEOUT })
      // Narrow to the changed person by the record number.
      const listed = page.waitForResponse((r) => r.url().includes(`/api/audit?`) && r.url().includes(`entity_id=${leader.id}`))
      await page.getByPlaceholder('记录编号').fill(String(leader.id))
      await page.getByPlaceholder('记录编号').press('Enter')
      await listed
      await page.waitForFunction(
        (id) => {
          const rows = [...document.querySelectorAll('.audit-table .el-table__row')]
          return rows.length > 0 && rows.every((r) => r.innerText.includes(id))
        },
        String(leader.id),
        { timeout: TIMEOUT },
      )
      const row = page.locator('.audit-table .el-table__row', { hasText: '修改' }).first()
      await row.waitFor({ timeout: TIMEOUT })
      await row.click()
      const dialog = page.locator('.audit-dialog')
      await dialog.locator('.diff-table').waitFor({ timeout: TIMEOUT })
      await dialog.locator('.changed-row').first().waitFor({ timeout: TIMEOUT })
      assert.match(await dialog.locator('.changed-row').allInnerTexts().then((t) => t.join('\n')), /13800000000/)
      const href = await page.locator('.audit-page .export-button').getAttribute('href')
      const xlsx = await page.request.get(BASE + href)
      assert.equal(xlsx.status(), 200, `export ${href}`)
      await page.keyboard.press('Escape')
      await dialog.waitFor({ state: 'hidden', timeout: TIMEOUT })
    },
  ],
  [
    '退出登录后受保护页面回到登录页',
    async (page) => {
      await logout(page)
      const me = await page.request.get(BASE + '/api/auth/me')
      assert.equal(me.status(), 401, 'the session is gone')
      await page.goto(BASE + '/system/users')
      await page.waitForURL((u) => onLogin(u, '/system/users'), { timeout: TIMEOUT })
    },
  ],
  [
    '只读角色（领导）看不到新增与系统管理',
    async (page) => {
      await login(page, accounts.leader, '/base/subjects')
      await page.locator('.entity-table .el-table__body tr.el-table__row').first().waitFor({ timeout: TIMEOUT })
      assert.equal(await page.locator('.entity-list .add-button').count(), 0, 'no 新增 button')
      assert.equal(await page.getByRole('button', { name: '新增' }).count(), 0, 'no 新增 button at all')
      const menu = await menuTexts(page)
      assert.ok(!menu.includes('系统管理'), `系统管理 is not offered: ${menu}`)
      assert.ok(menu.includes('基础信息'), `基础信息 is offered: ${menu}`)
      assert.equal(await page.locator('.side-menu').getByText('批量导入', { exact: true }).count(), 0, 'no 批量导入')
      // A detail page is read-only.
      await page.locator('.entity-table .el-table__body tr.el-table__row').first().click()
      await page.waitForURL(/\/base\/subjects\/[^/]+$/, { timeout: TIMEOUT })
      await page.getByText('当前身份仅可查看').waitFor({ timeout: TIMEOUT })
      assert.equal(await page.locator('.save-button').count(), 0, 'no 保存 button')
      // Typed by hand, a system page says 无权限, and the API refuses too.
      await page.goto(BASE + '/system/users')
      await page.locator('.forbidden').getByText('无权限').first().waitFor({ timeout: TIMEOUT })
      const api = await page.request.get(BASE + '/api/users')
      assert.equal(api.status(), 403)
    },
  ],
  [
    '切换身份后菜单随角色变化',
    async (page) => {
      const me = await apiGet('/api/auth/me')
      if (me.identities.length < 2) {
        // The identity switch needs someone with two identities: the admin gives the
        // leader a second one (a unit admin role in another unit) first.
        await logout(page)
        await login(page, accounts.admin, '/portal')
        const roles = await apiGet('/api/roles')
        const unitAdmin = roles.items.find((r) => r.code === 'unit_admin')
        const leaderRole = roles.items.find((r) => r.code === 'leader')
        const users = await apiGet(`/api/users?q=${accounts.leader.account}`)
        const leader = users.items[0]
        const units = []
        const walk = (n) => {
          if (n.type === 'unit') units.push(n.id)
          ;(n.children || []).forEach(walk)
        }
        ;(await apiGet('/api/org-tree')).items.forEach(walk)
        const other = { unit_id: units.find((id) => id !== leader.identities[0].unit_id) }
        assert.ok(other.unit_id, `another unit exists: ${units}`)
        const csrf = (await apiGet('/api/auth/me')).csrf_token
        const res = await page.request.put(`${BASE}/api/users/${leader.id}/identities`, {
          data: {
            identities: [
              { unit_id: leader.identities[0].unit_id, role_id: leaderRole.id, is_default: true },
              { unit_id: other.unit_id, role_id: unitAdmin.id },
            ],
          },
          headers: { 'X-CSRF-Token': csrf },
        })
        assert.equal(res.status(), 200, `PUT identities answered ${res.status()}: ${await res.text()}`)
        await logout(page)
        await login(page, accounts.leader, '/portal')
      }
      const before = await menuTexts(page)
      assert.ok(!before.includes('系统管理'), `the leader identity has no 系统管理: ${before}`)
      await page.locator('.user-menu .identity-current').click()
      const option = page.locator('.identity-option').first()
      await option.waitFor({ timeout: TIMEOUT })
      const target = (await option.innerText()).trim()
      await option.click()
      await page.locator('.user-menu .identity-text', { hasText: target.split(' · ')[0] }).waitFor({ timeout: TIMEOUT })
      const after = await apiGet('/api/auth/me')
      assert.notEqual(after.identity.id, me.identity?.id ?? null, 'the identity changed')
      await page.waitForFunction(
        () => [...document.querySelectorAll('.side-menu .el-sub-menu__title span')].some((e) => e.textContent.trim() === '系统管理'),
        null,
        { timeout: TIMEOUT },
      )
      await logout(page)
    },
  ],
]
