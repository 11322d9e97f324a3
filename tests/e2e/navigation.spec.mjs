// Browser test of navigation for inspectors (issue 5): 渝中区's district administrator
// places two patrol points and assigns a route through them to inspector3 for today (over
// the API, with its session); inspector3 opens 今日目标 on a phone-sized page with
// Playwright's geolocation, sees the targets numbered on the Leaflet map in the order the
// server chose, the route line and the total distance, and 导航 → 高德地图 carries the
// GCJ-02 coordinates of the target (checked against gcoord, run here in node).
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BASE, TIMEOUT, apiGet, demoUser, login, logout, send, shotDir } from './harness.mjs'

const require = createRequire(fileURLToPath(new URL('../../data/refdata/package.json', import.meta.url)))
const gcoord = require('gcoord')

const supervisor = demoUser('yz_admin')
const inspector = demoUser('inspector3')
const stamp = Date.now().toString(36)
const state = {}

function today() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10) // China time
}

export const navigationTests = [
  [
    '导航：监管人员把两个巡查点的路线分派给 inspector3（今日）',
    async (page) => {
      await login(page, supervisor, '/portal')
      const users = await apiGet('/api/users?q=inspector3')
      const name = users.items.find((u) => u.account === 'inspector3').name
      const found = (await apiGet('/api/inspectors?page_size=50&q=' + encodeURIComponent(name))).items
      assert.ok(found.length >= 1, 'inspector3 has an inspector row')
      // Near 解放碑, 1 km and 2.5 km east of the position the phone will report.
      state.points = []
      for (const [i, [lon, lat]] of [
        [106.5985, 29.5573],
        [106.5830, 29.5573],
      ].entries()) {
        const r = await send(page, 'POST', '/api/patrol/points', { name: `导航点${stamp}-${i + 1}`, lon, lat })
        assert.equal(r.status, 201, JSON.stringify(r.body))
        state.points.push(r.body)
      }
      const route = await send(page, 'POST', '/api/patrol/routes', { name: `导航线-${stamp}`, point_ids: state.points.map((p) => p.id) })
      assert.equal(route.status, 201, JSON.stringify(route.body))
      const a = await send(page, 'POST', `/api/patrol/routes/${route.body.id}/assignments`, {
        inspector_ids: [found[0].id],
        date_from: today(),
        date_to: today(),
      })
      assert.equal(a.status, 201, JSON.stringify(a.body))
      await logout(page)
    },
  ],
  [
    '导航：执法人员打开今日目标，看到按顺序编号的目标、路线与总距离，高德导航链接为 GCJ-02 坐标',
    async (page) => {
      await login(page, inspector, '/portal')
      await page.setViewportSize({ width: 390, height: 844 })
      const context = page.context()
      await context.grantPermissions(['geolocation'], { origin: BASE })
      const start = { latitude: 29.5573, longitude: 106.5727, accuracy: 10 }
      await context.setGeolocation(start)
      try {
        await page.goto(BASE + '/m/targets')
        const dist = page.locator('[data-test="total-distance"]')
        await dist.waitFor({ timeout: TIMEOUT })
        const api = await apiGet(`/api/navigation/my-targets?lat=${start.latitude}&lon=${start.longitude}`)
        const mine = api.targets.filter((t) => t.kind === 'patrol_point' && state.points.some((p) => p.id === t.id))
        assert.equal(mine.length, 2, 'both patrol points are today’s targets')
        // The list shows the targets in the server's visiting order.
        const listed = await page.locator('.target').evaluateAll((els) => els.map((e) => e.dataset.target))
        assert.deepEqual(listed, api.targets.map((t) => `${t.kind}-${t.id}`))

        // Numbered markers, one per target, in the server's order; the route line.
        const markers = page.locator('.leaflet-marker-pane .nav-marker')
        await markers.first().waitFor({ timeout: TIMEOUT })
        assert.equal(await markers.count(), api.targets.length)
        const numbers = (await markers.allInnerTexts()).map(Number).sort((x, y) => x - y)
        assert.deepEqual(numbers, api.targets.map((t) => t.seq))
        assert.ok((await page.locator('path.nav-route').count()) >= 1, 'the route is drawn')
        // Total distance as shown (公里 with one decimal or 米).
        const m = api.distance_m
        const shown = await dist.innerText()
        assert.equal(shown, m >= 1000 ? `${(m / 1000).toFixed(1)} 公里` : `${Math.round(m)} 米`)
        assert.ok(m > 2400, `at least the 2.5 km to the far point (${m})`)

        // 导航 on the first of the two: the Amap link carries GCJ-02 from gcoord.
        const t = mine[0]
        const row = page.locator(`.target[data-target="patrol_point-${t.id}"]`)
        await row.locator('[data-test="navigate"]').click()
        const href = await row.locator('[data-test="nav-amap"]').getAttribute('href')
        const url = new URL(href)
        assert.equal(url.host, 'uri.amap.com')
        const [lon, lat] = url.searchParams.get('to').split(',').map(Number)
        const [glon, glat] = gcoord.transform([t.lon, t.lat], gcoord.WGS84, gcoord.GCJ02)
        assert.ok(Math.abs(lon - glon) < 1e-6 && Math.abs(lat - glat) < 1e-6, `Amap to=${lon},${lat} vs gcoord ${glon},${glat}`)
        assert.ok(Math.abs(lon - t.lon) > 1e-3, 'not the stored WGS84 longitude')
        const baidu = new URL(await row.locator('[data-test="nav-baidu"]').getAttribute('href'))
        assert.equal(baidu.searchParams.get('coord_type'), 'bd09ll')
        const [blat, blon] = baidu.searchParams.get('destination').replace('latlng:', '').split('|')[0].split(',').map(Number)
        const [bdlon, bdlat] = gcoord.transform([t.lon, t.lat], gcoord.WGS84, gcoord.BD09)
        assert.ok(Math.abs(blon - bdlon) < 1e-6 && Math.abs(blat - bdlat) < 1e-6, 'Baidu destination in BD-09')
        await page.screenshot({ path: join(shotDir, 'navigation-targets.png') })
      } finally {
        await context.clearPermissions()
        await page.setViewportSize({ width: 1440, height: 900 })
      }
      await page.goto(BASE + '/portal')
      await logout(page)
    },
  ],
]
