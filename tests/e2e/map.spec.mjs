// Browser test of the 监管地图 page (GIS-2, GIS-3): the menu entry opens a Leaflet map whose
// base and objects tiles come from /tiles with the session cookie; the risk-level filter
// puts ?risk= into the objects tile URLs. Run by main.mjs after the administrator logged in.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { BASE, TIMEOUT, accounts, login, shotDir } from './harness.mjs'

export const mapTests = [
  [
    '监管地图显示底图与市场主体瓦片，风险等级筛选改变瓦片地址',
    async (page) => {
      const tileStatus = []
      page.on('response', (r) => {
        if (r.url().includes('/tiles/')) tileStatus.push([r.url(), r.status()])
      })
      await login(page, accounts.admin, '/portal')
      await page.locator('.side-menu').getByText('监管地图', { exact: true }).click()
      await page.waitForURL(/\/map$/, { timeout: TIMEOUT })
      await page.locator('img.leaflet-tile-loaded[src*="/tiles/base/"]').first().waitFor({ timeout: TIMEOUT })
      await page.locator('img.leaflet-tile-loaded[src*="/tiles/objects/"]').first().waitFor({ timeout: TIMEOUT })
      assert.ok(tileStatus.length > 0, 'tiles were requested')
      assert.ok(tileStatus.every(([, s]) => s === 200 || s === 304), 'every tile answered 200/304: ' + JSON.stringify(tileStatus.filter(([, s]) => s !== 200 && s !== 304).slice(0, 3)))
      // run.sh serves with --tile-port 0: the page loads its tiles from that port (another
      // origin than the page, the same session cookie), as the server names it.
      const tileBase = await page.evaluate(async () => (await (await fetch('/api/map/tile-base')).json()).base)
      assert.match(tileBase, /^http:\/\/127\.0\.0\.1:\d+$/, 'the server names its tile port')
      assert.notEqual(new URL(tileBase).port, new URL(BASE).port)
      assert.ok(tileStatus.every(([u]) => u.startsWith(tileBase + '/tiles/')), 'tiles from the tile port: ' + tileStatus[0][0])
      // Untick 低风险 and 一般风险: the objects layer now asks for risk=3,4 only.
      const filter = page.locator('[data-test="risk-filter"]')
      await filter.getByText('低风险', { exact: true }).click()
      await filter.getByText('一般风险', { exact: true }).click()
      await page.locator('img.leaflet-tile-loaded[src*="/tiles/objects/"][src*="risk=3,4"]').first().waitFor({ timeout: TIMEOUT })
      await page.screenshot({ path: join(shotDir, 'map.png') })
    },
  ],
  [
    '监管地图打开检查结果与热力图图层，切换“发现问题”并按年度筛选',
    async (page) => {
      const bad = []
      page.on('response', (r) => {
        if (r.url().includes('/tiles/') && r.status() !== 200 && r.status() !== 304) bad.push([r.url(), r.status()])
      })
      await login(page, accounts.admin, '/map')
      await page.locator('img.leaflet-tile-loaded[src*="/tiles/base/"]').first().waitFor({ timeout: TIMEOUT })
      await page.locator('[data-test="show-results"]').click()
      await page.locator('[data-test="show-heat"]').click()
      await page.locator('img.leaflet-tile-loaded[src*="/tiles/results/"]').first().waitFor({ timeout: TIMEOUT })
      await page.locator('img.leaflet-tile-loaded[src*="/tiles/heat/"]').first().waitFor({ timeout: TIMEOUT })
      // The legend lists the ten result categories of the dictionary.
      const legend = page.locator('[data-test="result-legend"]')
      await legend.getByText('发现问题需进一步调查处理', { exact: true }).waitFor({ timeout: TIMEOUT })
      assert.equal(await legend.locator('.el-checkbox').count(), 10)
      await page.locator('[data-test="heat-what"]').getByText('发现问题', { exact: true }).click()
      await page.locator('img.leaflet-tile-loaded[src*="/tiles/heat/"][src*="what=problems"]').first().waitFor({ timeout: TIMEOUT })
      await legend.getByText('未发现问题', { exact: true }).click()
      await page.locator('img.leaflet-tile-loaded[src*="/tiles/results/"][src*="category="]').first().waitFor({ timeout: TIMEOUT })
      // The heat map follows the same category (and task) filter.
      await page.locator('img.leaflet-tile-loaded[src*="/tiles/heat/"][src*="category="]').first().waitFor({ timeout: TIMEOUT })
      assert.deepEqual(bad, [], 'every tile answered 200/304')
      await page.screenshot({ path: join(shotDir, 'map-heat.png') })
    },
  ],
  [
    '监管地图切换市场主体为按检查状态着色，状态瓦片加载并显示图例',
    async (page) => {
      const bad = []
      page.on('response', (r) => {
        if (r.url().includes('/tiles/') && r.status() !== 200 && r.status() !== 304) bad.push([r.url(), r.status()])
      })
      await login(page, accounts.admin, '/map')
      await page.locator('img.leaflet-tile-loaded[src*="/tiles/objects/"]').first().waitFor({ timeout: TIMEOUT })
      await page.locator('[data-test="objects-by"]').getByText('按检查状态', { exact: true }).click()
      await page.locator('img.leaflet-tile-loaded[src*="/tiles/objects/"][src*="by=status"]').first().waitFor({ timeout: TIMEOUT })
      const legend = page.locator('[data-test="status-legend"]')
      for (const label of ['未列入抽查', '已抽中待检查', '已检查未发现问题', '已检查发现问题'])
        await legend.getByText(label, { exact: true }).waitFor({ timeout: TIMEOUT })
      // A status tile is a decoded 256 px image (not an error answer).
      const width = await page.locator('img.leaflet-tile-loaded[src*="by=status"]').first().evaluate((img) => img.naturalWidth)
      assert.equal(width, 256)
      // Back to 按风险等级: the URLs lose by=status.
      await page.locator('[data-test="objects-by"]').getByText('按风险等级', { exact: true }).click()
      await legend.waitFor({ state: 'detached', timeout: TIMEOUT })
      assert.deepEqual(bad, [], 'every tile answered 200/304')
      await page.screenshot({ path: join(shotDir, 'map-status.png') })
    },
  ],
]
