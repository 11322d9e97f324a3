// Browser test of 无照经营表单 (NET-1): 渝中区's district administrator opens the page from
// the menu, switches on 地图点选录入, clicks the Leaflet map, fills in the form and saves; the
// record is in the list and on the map, a time range that excludes today hides it, today's
// range shows it again, and the Excel export of that range answers an .xlsx. Then an
// inspector records one from the phone page with the browser's GPS position and sees it in
// 无照查看 with its distance and 导航.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { BASE, TIMEOUT, demoUser, login, shotDir } from './harness.mjs'

const supervisor = demoUser('yz_admin')
const inspector = demoUser('inspector3')
const stamp = Date.now().toString(36)
const name = `无照摊点-${stamp}`
const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10)

async function setRange(page, from, to) {
  const inputs = page.locator('[data-test="unlicensed-range"] input, .el-range-editor input.el-range-input')
  await inputs.nth(0).click()
  await inputs.nth(0).fill(from)
  await inputs.nth(1).fill(to)
  await inputs.nth(1).press('Enter')
  await page.locator('.page-title').click() // close the picker
}

export const unlicensedTests = [
  [
    '监管人员在地图上点选录入无照经营，列表按发现时间筛选并导出 Excel',
    async (page) => {
      await login(page, supervisor, '/portal')
      await page.locator('.side-menu').getByText('网络监管', { exact: true }).click()
      await page.locator('.side-menu').getByText('无照经营表单', { exact: true }).click()
      await page.waitForURL(/\/network\/unlicensed$/, { timeout: TIMEOUT })
      const map = page.locator('[data-test="unlicensed-map"]')
      await page.locator('img.leaflet-tile-loaded[src*="/tiles/base/"]').first().waitFor({ timeout: TIMEOUT })
      const before = await page.locator('.unlicensed-point').count()

      await page.locator('[data-test="unlicensed-pick"]').click()
      const box = await map.boundingBox()
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2)
      const form = page.locator('[data-test="unlicensed-form"]')
      await form.waitFor({ timeout: TIMEOUT })
      // Saving with nothing filled in names the fields under their inputs (422).
      await page.locator('[data-test="f-save"]').click()
      await form.getByText('名称或招牌不能为空').waitFor({ timeout: TIMEOUT })
      await page.locator('input[data-test="f-name"], [data-test="f-name"] input').fill(name)
      await page.locator('input[data-test="f-address"], [data-test="f-address"] input').fill('渝中区解放碑八一路 18 号门口')
      await page.locator('textarea[data-test="f-business"], [data-test="f-business"] textarea').fill('未办理营业执照，占道销售水果')
      await page.locator('input[data-test="f-operator"], [data-test="f-operator"] input').fill('刘某')
      await page.locator('[data-test="f-save"]').click()
      await page.getByText('无照经营已录入').first().waitFor({ timeout: TIMEOUT })

      const list = page.locator('[data-test="unlicensed-list"]')
      await list.getByText(name).waitFor({ timeout: TIMEOUT })
      await page.locator('[data-test="unlicensed-detail"]').getByText('登记').first().waitFor({ timeout: TIMEOUT })
      assert.equal(await page.locator('.unlicensed-point').count(), before + 1, 'the new point is on the map')
      const saved = (await (await page.request.get(BASE + '/api/unlicensed?q=' + encodeURIComponent(stamp))).json()).items
      assert.equal(saved.length, 1)
      assert.equal(saved[0].division_code.slice(0, 6), '500103', 'the point lies in 渝中区')
      assert.equal(saved[0].location_source, 'map')
      await page.screenshot({ path: join(shotDir, 'unlicensed-saved.png') })

      // A range before today hides the record; today's range shows it again.
      await setRange(page, '2020-01-01', '2020-01-31')
      await list.getByText(name).waitFor({ state: 'detached', timeout: TIMEOUT })
      await setRange(page, today, today)
      await list.getByText(name).waitFor({ timeout: TIMEOUT })

      const href = await page.locator('[data-test="unlicensed-export"]').getAttribute('href')
      assert.ok(href.includes(`from=${today}`) && href.includes(`to=${today}`), `export keeps the range: ${href}`)
      const xlsx = await page.request.get(BASE + href)
      assert.equal(xlsx.status(), 200)
      assert.match(xlsx.headers()['content-type'], /spreadsheetml/)
      const body = await xlsx.body()
      assert.equal(body.subarray(0, 2).toString(), 'PK')
    },
  ],
  [
    '执法人员在手机页面用定位录入无照经营，并在无照查看中看到距离与导航',
    async (page) => {
      await login(page, inspector, '/portal')
      await page.setViewportSize({ width: 390, height: 844 })
      const context = page.context()
      await context.grantPermissions(['geolocation'], { origin: BASE })
      const phoneName = `手机录入-${stamp}`
      try {
        await context.setGeolocation({ latitude: 29.5601, longitude: 106.5502, accuracy: 8 })
        await page.goto(BASE + '/m/unlicensed')
        await page.locator('[data-test="m-position"]').getByText('106.550200').waitFor({ timeout: TIMEOUT })
        await page.locator('input[data-test="m-name"], [data-test="m-name"] input').fill(phoneName)
        await page.locator('input[data-test="m-address"], [data-test="m-address"] input').fill('渝中区较场口夜市')
        await page.locator('textarea[data-test="m-business"], [data-test="m-business"] textarea').fill('无照经营烧烤')
        await page.locator('input[data-test="m-operator"], [data-test="m-operator"] input').fill('陈某')
        await page.locator('[data-test="m-save"]').click()
        await page.locator('[data-test="m-saved"]').getByText(phoneName).waitFor({ timeout: TIMEOUT })
        const item = page.locator('.item', { hasText: phoneName })
        await item.getByText('距您').waitFor({ timeout: TIMEOUT })
        await item.getByRole('button', { name: '导航' }).click()
        const amap = await page.locator('.apps a', { hasText: '高德地图' }).getAttribute('href')
        assert.ok(amap.startsWith('https://uri.amap.com/navigation?'), amap)
        const saved = (await (await page.request.get(BASE + '/api/unlicensed?q=' + encodeURIComponent(phoneName))).json()).items
        assert.equal(saved.length, 1)
        assert.equal(saved[0].location_source, 'gps')
        assert.ok(Math.abs(saved[0].lon - 106.5502) < 1e-6 && Math.abs(saved[0].lat - 29.5601) < 1e-6, 'the GPS position is stored')
        await page.screenshot({ path: join(shotDir, 'unlicensed-phone.png') })
      } finally {
        await context.clearPermissions()
        await page.setViewportSize({ width: 1440, height: 900 })
      }
    },
  ],
]
