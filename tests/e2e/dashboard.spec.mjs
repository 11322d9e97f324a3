// Browser test of the 领导驾驶舱 (issue 5 "The leaders' view", PORTAL-1, STAT-3): the
// demo's leader opens the dashboard from the menu; the choropleth has a polygon per
// district and the bar chart a bar per district with the API's numbers; clicking a
// district on the map zooms the map to it (its bounds shrink to the district), marks it
// in the bar chart and narrows the rankings and the per-day chart to it (a new request
// with district=…); closing the district tag goes back to the city; the 热力图 checkbox
// adds the heat tile layer. The portal shows the tasks-per-district chart.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { BASE, TIMEOUT, accounts, login, shotDir } from './harness.mjs'

async function json(page, path) {
  const res = await page.request.get(BASE + path)
  assert.equal(res.status(), 200, `GET ${path} answered ${res.status()}`)
  return res.json()
}

const attr = (page, sel, name) => page.locator(sel).getAttribute(name)

// [west, south, east, north] of a GeoJSON geometry.
function bbox(geometry) {
  const b = [Infinity, Infinity, -Infinity, -Infinity]
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0])
      b[1] = Math.min(b[1], c[1])
      b[2] = Math.max(b[2], c[0])
      b[3] = Math.max(b[3], c[1])
    } else c.forEach(walk)
  }
  walk(geometry.coordinates)
  return b
}

export const dashboardTests = [
  [
    '领导打开驾驶舱，点击区县后地图缩放到该区县、图表随之筛选',
    async (page) => {
      await login(page, accounts.leader, '/portal')
      // The portal's year at a glance: a tasks bar per district.
      await page.waitForFunction(() => document.querySelector('[data-test="portal-district-chart"]')?.dataset.series, null, { timeout: TIMEOUT })
      const portal = JSON.parse(await attr(page, '[data-test="portal-district-chart"]', 'data-series'))
      const pub = await json(page, '/api/public/stats?year=' + new Date().getFullYear())
      assert.deepEqual(portal.map((d) => [d.code, d.tasks]), pub.districts.map((d) => [d.code, d.tasks]))

      await page.locator('.side-menu').getByText('领导驾驶舱', { exact: true }).click()
      await page.waitForURL(/\/dashboard$/, { timeout: TIMEOUT })
      const map = '[data-test="dashboard-map"]'
      const bars = '[data-test="district-chart"]'
      await page.waitForFunction((s) => document.querySelector(s)?.dataset.series, bars, { timeout: TIMEOUT })
      await page.waitForFunction((s) => Number(document.querySelector(s)?.dataset.districts) > 0, map, { timeout: TIMEOUT })

      const geo = await json(page, '/api/stats/district-map')
      const api = await json(page, '/api/stats/overview?year=' + new Date().getFullYear())
      assert.equal(Number(await attr(page, map, 'data-districts')), geo.features.length)
      assert.ok(geo.features.length >= 30, `the demo city's districts are on the map: ${geo.features.length}`)
      assert.equal(await page.locator(`${map} path.leaflet-interactive`).count(), geo.features.length)
      const shown = JSON.parse(await attr(page, bars, 'data-series'))
      assert.deepEqual(
        shown.map((d) => [d.code, d.tasks, d.inspections, d.problem_enterprises]),
        api.districts.map((d) => [d.code, d.tasks, d.inspections, d.problem_enterprises]),
        'the bar chart shows the API numbers of every district',
      )
      assert.ok(shown.every((d) => !d.selected))
      const cityBounds = JSON.parse(await attr(page, map, 'data-bounds'))

      // Click the first district's polygon (features come sorted by code).
      const target = geo.features[0]
      const narrowed = page.waitForResponse(
        (r) => r.url().includes('/api/stats/overview?') && r.url().includes(`district=${target.properties.code}`),
        { timeout: TIMEOUT },
      )
      await page.locator(`${map} path.leaflet-interactive`).first().click()
      const res = await narrowed
      assert.equal(res.status(), 200)
      const body = await res.json()
      await page.waitForFunction((code) => document.querySelector('.dashboard-page')?.dataset.district === code, target.properties.code, { timeout: TIMEOUT })
      await page.locator('[data-test="district-tag"]', { hasText: target.properties.name }).waitFor({ timeout: TIMEOUT })

      // The bar chart marks the district; the per-day chart shows the district's days.
      await page.waitForFunction(
        ([s, code]) => JSON.parse(document.querySelector(s).dataset.series).some((d) => d.selected && d.code === code),
        [bars, target.properties.code],
        { timeout: TIMEOUT },
      )
      const days = JSON.parse(await attr(page, '[data-test="day-chart"]', 'data-series'))
      assert.deepEqual(days, body.per_day)
      assert.match(await page.locator('.dashboard-page').innerText(), new RegExp(`每日完成检查数· ${target.properties.name}`))

      // The map zoomed to the district: at least one zoom level in (a view at most half as
      // wide as the city's — exactly half for a large district such as 万州区, hence the
      // tolerance for rounding) and its centre inside the district's bounding box.
      await page.waitForFunction(
        ([s, before]) => document.querySelector(s).dataset.bounds !== before,
        [map, JSON.stringify(cityBounds)],
        { timeout: TIMEOUT },
      )
      await page.waitForTimeout(400) // the zoom animation ends with one more moveend
      const zoomed = JSON.parse(await attr(page, map, 'data-bounds'))
      const box = bbox(target.geometry)
      assert.ok(zoomed[2] - zoomed[0] <= ((cityBounds[2] - cityBounds[0]) / 2) * 1.001, `zoomed in: ${zoomed} vs ${cityBounds}`)
      const cx = (zoomed[0] + zoomed[2]) / 2
      const cy = (zoomed[1] + zoomed[3]) / 2
      assert.ok(cx > box[0] && cx < box[2] && cy > box[1] && cy < box[3], `centre ${cx},${cy} inside ${box}`)
      await page.screenshot({ path: join(shotDir, 'dashboard-district.png') })

      // The heat layer hook: ticking 热力图 asks for /tiles/heat tiles with the year.
      const heat = page.waitForRequest((r) => r.url().includes('/tiles/heat/') && r.url().includes('year='), { timeout: TIMEOUT })
      await page.locator('[data-test="show-heat"]').click()
      await heat

      // The category selector filters the heat layer: 问题企业 asks for what=problems,
      // a result category (from the legend API) for category=NN.
      const legend = await json(page, '/api/map/legend')
      const code = legend.results.categories.find((c) => c.code === '07')?.code || legend.results.categories[0].code
      const pick = async (text, test) => {
        const req = page.waitForRequest((r) => r.url().includes('/tiles/heat/') && test(new URL(r.url()).searchParams), { timeout: TIMEOUT })
        await page.locator('[data-test="heat-category"]').click()
        await page.locator('.el-select-dropdown__item:visible', { hasText: text }).first().click()
        await req
      }
      await pick('问题企业', (q) => q.get('what') === 'problems' && !q.has('category') && q.get('year'))
      await pick(`${code} `, (q) => q.get('category') === code && !q.has('what') && q.get('year'))
      // Back to 全部检查: those tiles were loaded before (the browser may serve them from its
      // cache without a request), so the tiles on the map are checked instead.
      await page.locator('[data-test="heat-category"]').click()
      await page.locator('.el-select-dropdown__item:visible', { hasText: '全部检查' }).first().click()
      await page.waitForFunction(() => {
        const tiles = [...document.querySelectorAll('.leaflet-pane img.leaflet-tile')].map((i) => i.src).filter((u) => u.includes('/tiles/heat/'))
        return tiles.length > 0 && tiles.every((u) => u.includes('year=') && !u.includes('category=') && !u.includes('what='))
      }, null, { timeout: TIMEOUT })
      assert.match(await page.locator('[data-test="heat-hint"]').textContent(), /只筛选热力图/)

      // Back to the city.
      await page.locator('[data-test="district-tag"] .el-tag__close').click()
      await page.locator('[data-test="district-all"]').waitFor({ timeout: TIMEOUT })
      await page.waitForFunction(
        (s) => JSON.parse(document.querySelector(s).dataset.series).every((d) => !d.selected),
        bars,
        { timeout: TIMEOUT },
      )
    },
  ],
]
