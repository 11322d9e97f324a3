// Browser test of patrol routes (NET-2, NET-3, GIS-3): 渝中区's district administrator
// clicks four patrol points onto the Leaflet map, joins them into a route, draws an area,
// drags a point to move it and assigns the route to inspector2; inspector2 opens the
// phone check-in page with Playwright's geolocation, is refused far from a point (the
// distance is shown), checks in at two points (route still green, 未完成) and then at
// the other two (route red, 已完成); the supervisor's progress list and map show it red.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { BASE, TIMEOUT, demoUser, login, logout, shotDir } from './harness.mjs'

const supervisor = demoUser('yz_admin')
const inspector = demoUser('inspector2')
const stamp = Date.now().toString(36)
const routeName = `解放碑巡查线-${stamp}`
const areaName = `解放碑片区-${stamp}`
const state = {}

async function json(page, path) {
  const res = await page.request.get(BASE + path)
  assert.equal(res.status(), 200, `GET ${path} answered ${res.status()}`)
  return res.json()
}

export const patrolTests = [
  [
    '监管人员在地图上点出四个巡查点、连成路线、绘制片区、拖动巡查点并分派给执法人员',
    async (page) => {
      await login(page, supervisor, '/portal')
      const users = await json(page, '/api/users?q=inspector2')
      state.inspectorName = users.items.find((u) => u.account === 'inspector2').name
      assert.ok(state.inspectorName, 'inspector2 has a name')
      await page.locator('.side-menu').getByText('网络监管', { exact: true }).click()
      await page.locator('.side-menu').getByText('巡检路线图示', { exact: true }).click()
      await page.waitForURL(/\/network\/patrol$/, { timeout: TIMEOUT })
      const map = page.locator('[data-test="patrol-map"]')
      await page.locator('img.leaflet-tile-loaded[src*="/tiles/base/"]').first().waitFor({ timeout: TIMEOUT })
      const box = await map.boundingBox()
      const cx = box.x + box.width / 2
      const cy = box.y + box.height / 2
      const before = (await json(page, '/api/patrol')).points.length

      // Four points, one click each.
      await page.locator('[data-test="mode-point"]').click()
      await page.locator('input[data-test="point-name"], [data-test="point-name"] input').fill(`巡查点${stamp}-`)
      const offsets = [
        [-150, -100],
        [-50, -100],
        [50, -60],
        [150, -20],
      ]
      for (const [i, [dx, dy]] of offsets.entries()) {
        await page.mouse.click(cx + dx, cy + dy)
        await page.locator('.patrol-point').nth(before + i).waitFor({ timeout: TIMEOUT })
      }
      const points = (await json(page, '/api/patrol')).points.slice(before)
      assert.equal(points.length, 4, 'four points were saved')
      state.pointIds = points.map((p) => p.id)

      // Join them into a route in click order.
      await page.locator('[data-test="mode-route"]').click()
      for (let i = 0; i < 4; i++) await page.locator('.patrol-point').nth(before + i).click()
      await page.locator('input[data-test="route-name"], [data-test="route-name"] input').fill(routeName)
      await page.locator('[data-test="save-route"]').click()
      await page.getByText('巡查路线已保存').first().waitFor({ timeout: TIMEOUT })
      const routes = (await json(page, '/api/patrol')).routes
      const route = routes.find((r) => r.name === routeName)
      assert.ok(route, 'the route was saved')
      assert.deepEqual(route.point_ids, state.pointIds)
      state.routeId = route.id
      await page.locator(`path.route-${route.id}.route-green`).waitFor({ timeout: TIMEOUT })
      // The patrol tile layer (issue 5): switched on from the layers control, its tiles load,
      // for the progress list's days (today by default, in China).
      const overlay = page.locator('.leaflet-control-layers-overlays input[type="checkbox"]')
      await overlay.check()
      const chinaToday = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10)
      await page
        .locator(`img.leaflet-tile-loaded[src*="/tiles/patrol/"][src*="date=${chinaToday}"]`)
        .first()
        .waitFor({ timeout: TIMEOUT })
      await overlay.uncheck()

      // An area of four vertices below the points.
      await page.locator('[data-test="mode-area"]').click()
      for (const [dx, dy] of [
        [-200, 40],
        [200, 40],
        [200, 180],
        [-200, 180],
      ])
        await page.mouse.click(cx + dx, cy + dy)
      await page.locator('input[data-test="area-name"], [data-test="area-name"] input').fill(areaName)
      await page.locator('[data-test="save-area"]').click()
      await page.getByText('巡查片区已保存').first().waitFor({ timeout: TIMEOUT })
      const areas = await json(page, '/api/patrol/areas?q=' + encodeURIComponent(areaName))
      assert.equal(areas.total, 1, 'the area is found by its name')
      assert.equal(areas.items[0].geometry.coordinates[0].length, 5, 'four vertices, closed')

      // Drag the fourth point 60 px down: the point and the route move.
      // Found by its point id, once visible: saving the area reloads and redraws every
      // marker, and boundingBox() of a marker being replaced is null.
      const old = points[3]
      const marker = page.locator(`.patrol-point:has(span[data-point="${old.id}"])`)
      let mb = null
      for (let i = 0; i < 20 && !mb; i++) {
        await marker.waitFor({ state: 'visible', timeout: TIMEOUT })
        mb = await marker.boundingBox()
        if (!mb) await page.waitForTimeout(100)
      }
      assert.ok(mb, 'the fourth point is on the map')
      await page.mouse.move(mb.x + mb.width / 2, mb.y + mb.height / 2)
      await page.mouse.down()
      await page.mouse.move(mb.x + mb.width / 2 + 20, mb.y + mb.height / 2 + 30, { steps: 5 })
      await page.mouse.move(mb.x + mb.width / 2 + 40, mb.y + mb.height / 2 + 60, { steps: 5 })
      await page.mouse.up()
      await page.getByText('已移动巡查点').first().waitFor({ timeout: TIMEOUT })
      const moved = (await json(page, '/api/patrol')).points.find((p) => p.id === old.id)
      assert.ok(moved.lat < old.lat - 0.001, `the point moved south: ${old.lat} → ${moved.lat}`)
      assert.ok(moved.lon > old.lon, 'and east')

      // Assign the route to inspector2 for today.
      await page.locator('.el-tabs__item', { hasText: '巡查路线' }).click()
      await page.locator('[data-test="route-list"] .el-table__row', { hasText: routeName }).locator('[data-test="assign"]').click()
      const sel = page.locator('.assign-inspectors')
      await sel.click()
      await sel.locator('input').fill(state.inspectorName)
      const option = page.locator('.el-select-dropdown__item:visible', { hasText: state.inspectorName }).first()
      await option.waitFor({ timeout: TIMEOUT })
      await option.click()
      await page.locator('[data-test="assign-save"]').click()
      await page.getByText('已分派给执法人员').first().waitFor({ timeout: TIMEOUT })
      const assigned = await json(page, `/api/patrol/routes/${state.routeId}/assignments`)
      assert.equal(assigned.items.length, 1)
      assert.equal(assigned.items[0].inspector_name, state.inspectorName)
      await page.screenshot({ path: join(shotDir, 'patrol-editor.png') })
      await page.goto(BASE + '/portal')
      await logout(page)
    },
  ],
  [
    '执法人员在手机页面用定位打卡：距离过远被拒绝，四个点打卡后路线变为红色（已完成）',
    async (page) => {
      await login(page, inspector, '/portal')
      await page.setViewportSize({ width: 390, height: 844 })
      const context = page.context()
      await context.grantPermissions(['geolocation'], { origin: BASE })
      try {
        const my = await json(page, '/api/patrol/my')
        const route = my.routes.find((r) => r.id === state.routeId)
        assert.ok(route, 'the assigned route is the inspector’s today')
        await page.goto(BASE + '/m/patrol')
        const card = page.locator(`.route[data-route="${routeName}"]`)
        await card.waitFor({ timeout: TIMEOUT })
        assert.match(await card.locator('[data-test="route-state"]').innerText(), /未完成/)

        // About 1.1 km north of the first point: refused with the distance.
        const [p1] = route.points
        await context.setGeolocation({ latitude: p1.lat + 0.01, longitude: p1.lon })
        await card.locator(`button[data-point="${p1.name}"]`).click()
        const err = page.locator('[data-test="checkin-error"]')
        await err.waitFor({ timeout: TIMEOUT })
        assert.match(await err.innerText(), /距离巡查点.*\d+ 米，超过允许的 200 米/)

        const checkIn = async (p) => {
          await context.setGeolocation({ latitude: p.lat + 0.0003, longitude: p.lon, accuracy: 10 })
          await card.locator(`button[data-point="${p.name}"]`).click()
          await card.locator('.point', { hasText: p.name }).locator('.done').waitFor({ timeout: TIMEOUT })
        }
        await checkIn(route.points[0])
        await checkIn(route.points[1])
        assert.match(await card.locator('[data-test="route-state"]').innerText(), /未完成/)
        assert.ok(await card.evaluate((el) => el.classList.contains('route-green')), 'two of four: green')
        await checkIn(route.points[2])
        await checkIn(route.points[3])
        await page.waitForFunction((n) => document.querySelector(`.route[data-route="${n}"]`)?.classList.contains('route-red'), routeName, {
          timeout: TIMEOUT,
        })
        assert.match(await card.locator('[data-test="route-state"]').innerText(), /已完成/)
        await page.screenshot({ path: join(shotDir, 'patrol-checkin.png') })
      } finally {
        await context.clearPermissions()
        await page.setViewportSize({ width: 1440, height: 900 })
      }
      await page.goto(BASE + '/portal')
      await logout(page)
    },
  ],
  [
    '监管任务情况：已完成的巡查路线在列表和地图上显示为红色',
    async (page) => {
      await login(page, supervisor, '/network/progress')
      const row = page.locator('[data-test="progress-list"] .el-table__row', { hasText: routeName })
      await row.waitFor({ timeout: TIMEOUT })
      await row.locator('.status-red', { hasText: '已完成' }).waitFor({ timeout: TIMEOUT })
      assert.match(await row.innerText(), /4\/4/)
      await page.locator(`path.route-${state.routeId}.route-red`).waitFor({ timeout: TIMEOUT })
      const p = await json(page, '/api/patrol/progress')
      const mine = p.items.find((r) => r.id === state.routeId)
      assert.equal(mine.color, 'red')
      await page.screenshot({ path: join(shotDir, 'patrol-progress.png') })
      await logout(page)
    },
  ],
]
