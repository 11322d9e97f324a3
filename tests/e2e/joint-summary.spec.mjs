// Browser test of the joint summary form (联合检查汇总表, JOB-3 last clause;
// docs/joint-summary.md) as real roles of the demo city: through the API the administrator
// registers an enterprise of 渝中区 and an assigner account of 沙坪坝区 (the cooperating
// department); yz_assigner makes a joint task with 沙坪坝区, yz_reviewer approves it, both
// departments receive it, yz_assigner draws one group of two and confirms, and the
// group's leader (an account the administrator links to that inspector unless one is
// linked) submits the result. In the browser yz_assigner (the lead
// department) uploads the summary on the task page; the 沙坪坝区 assigner sees it there
// without an upload button, downloads the same bytes and has the message. Each test signs
// in itself; the spec makes its own enterprise, plan and task.
import assert from 'node:assert/strict'
import { BASE, TIMEOUT, accounts, apiGet, bearerToken, demoUser, login, logout, send, uscc, witnessDraw } from './harness.mjs'

const stamp = Date.now().toString(36)
const state = {}
const coop = { account: `spb_joint_${stamp}`, password: 'Kc4#joint-Fern', next: 'Lm7!joint-Reef' }
const PDF = Buffer.from('%PDF-1.4\n% 联合检查汇总表（浏览器测试）\ntrailer << >>\n%%EOF\n')

// The demo account with the password it has now: earlier specs may have changed it.
const known = { yz_reviewer: ['Hd3!birch-Wave', 'Rw5!maple-Dune'], inspector2: ['Ij6#cedar-Moss', 'Wn3!lotus-Crag'] }
async function current(account) {
  const who = demoUser(account)
  await bearerToken(who, known[account])
  return who
}

function expect(r, status) {
  assert.equal(r.status, status, JSON.stringify(r.body))
  return r.body
}


export const jointSummaryTests = [
  [
    '联合检查汇总：准备联合抽查任务（配合部门账号、抽取、提交检查结果）',
    async (page) => {
      await login(page, accounts.admin, '/portal')
      expect(await send(page, 'POST', '/api/subjects', {
        uscc: uscc(29), name: `渝中区联合检查测试商行${stamp}`, division_code: '500103', risk_level: 4, credit_level: 'D',
        address: '重庆市渝中区联合路 9 号',
      }), 201)
      const spb = expect(await send(page, 'GET', '/api/authorities?division_code=500106&kind=market_bureau'), 200).items[0]
      assert.ok(spb, '沙坪坝区市场监督管理局')
      state.spb = spb.id
      expect(await send(page, 'POST', '/api/users', {
        account: coop.account, name: '沙坪坝区联合检查分配员', password: coop.password,
        identities: [{ unit_id: spb.id, role_code: 'task_assigner', is_default: true }],
      }), 201)
      await logout(page)

      // The cooperating department's first login (its first password is changed).
      await login(page, coop, '/portal')
      await logout(page)

      const assigner = await current('yz_assigner')
      await login(page, assigner, '/portal')
      const year = new Date().getFullYear()
      const items = (await apiGet('/api/items?page_size=1')).items.map((i) => i.id)
      const plan = expect(await send(page, 'POST', '/api/plans', {
        year, name: `${year}年度渝中区沙坪坝区联合抽查计划-${stamp}`, plan_type: 'joint', item_ids: items,
        object_scope: '渝中区市场主体', start_date: `${year}-01-01`, end_date: `${year}-12-31`, cooperating_authority_ids: [spb.id],
      }), 201)
      expect(await send(page, 'POST', `/api/plans/${plan.id}/distribute`, {}), 200)
      const task = expect(await send(page, 'POST', '/api/tasks', {
        plan_id: plan.id, name: `联合检查汇总测试任务-${stamp}`, task_type: 'joint', cooperating_authority_ids: [spb.id],
        item_ids: items, start_date: `${year}-01-01`, end_date: `${year}-12-31`,
        draw_params: {
          objects: { object_type: 'market_subject', division_codes: ['500103'], strata: [{ risk_level: 4, credit_level: 'D', count: 1 }] },
          inspectors: { scope: 'bureau' },
          groups: { count: 1, inspectors_per_group: 2 },
        },
      }), 201)
      state.task = task.id
      expect(await send(page, 'POST', `/api/tasks/${task.id}/submit`, {}), 200)
      await logout(page)

      await login(page, await current('yz_reviewer'), '/portal')
      expect(await send(page, 'POST', `/api/tasks/${task.id}/approve`, { opinion: '同意联合抽查' }), 200)
      await logout(page)

      await login(page, coop, '/portal')
      expect(await send(page, 'POST', `/api/tasks/${task.id}/receive`, { opinion: '已接收' }), 200)
      await logout(page)

      await login(page, assigner, '/portal')
      expect(await send(page, 'POST', `/api/tasks/${task.id}/receive`, { opinion: '已接收' }), 200)
      const draw = expect(await send(page, 'POST', `/api/tasks/${task.id}/draw`, {}), 201)
      expect(await send(page, 'PUT', '/api/draws-password', { login_password: assigner.password, draw_password: 'Draw#joint2026' }), 200)
      await witnessDraw(draw.id)
      expect(await send(page, 'POST', `/api/draws/${draw.id}/confirm`, { password: 'Draw#joint2026' }), 200)
      await logout(page)

      // The group's leader (an inspector of 渝中区, DRAW-5) records the result: the
      // administrator links an account to that inspector unless one is linked already.
      await login(page, accounts.admin, '/portal')
      const record = expect(await send(page, 'GET', `/api/draws/${draw.id}`), 200)
      const leaderId = record.result_groups[0].leader.id
      const person = expect(await send(page, 'GET', `/api/inspectors/${leaderId}`), 200)
      let leader = { account: `jl_${stamp}`, password: 'Bw6#joint-Pine', next: 'Cy8!joint-Moor' }
      const made = await send(page, 'POST', '/api/users', {
        account: leader.account, name: person.name, password: leader.password, inspector_id: leaderId,
        identities: [{ unit_id: person.authority_id, role_code: 'inspector', is_default: true }],
      })
      if (made.status !== 201) {
        assert.equal(made.status, 409, JSON.stringify(made.body))
        const users = expect(await send(page, 'GET', '/api/users?page_size=200'), 200).items
        const linked = users.find((u) => u.inspector_id === leaderId)
        assert.ok(linked, 'the account linked to the leader')
        leader = await current(linked.account)
      }
      await logout(page)

      state.leader = leader
      await login(page, leader, '/portal')
      const mine = await apiGet(`/api/jobs/mine?task_id=${task.id}`)
      assert.ok(mine.total > 0, 'the leader has the job of the joint task')
      const job = await apiGet(`/api/jobs/${mine.items[0].id}`)
      state.job = job
      expect(await send(page, 'POST', `/api/jobs/${job.id}/files?kind=signature&filename=sig.jpg`,
        Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('signature')]), { 'Content-Type': 'application/octet-stream' }), 201)
      const form = { inspected_on: `${year}-01-02`, place: '经营场所', result_category: '01', qualified: true, findings: '未发现问题',
        item_results: job.items.map((i) => ({ item_id: i.item_id, content: '查验营业执照', qualified: true })) }
      if (job.advance_notice === 'required') form.notice_given = '电话告知'
      expect(await send(page, 'POST', `/api/jobs/${job.id}/submit`, form), 200)
      // The job page (我的检查) of a submitted job of a joint task: the summary is 待上传.
      await page.goto(`${BASE}/random/jobs/${job.id}`)
      await page.locator('.job-joint-summary .joint-summary-missing', { hasText: '待上传' }).waitFor({ timeout: TIMEOUT })
      await logout(page)
    },
  ],
  [
    '联合检查汇总：牵头部门在任务详情页上传联合检查汇总表',
    async (page) => {
      await login(page, await current('yz_assigner'), `/random/tasks/${state.task}`)
      const panel = page.locator('.joint-summary-panel')
      const row = panel.locator('.joint-summary-table .el-table__row', { hasText: state.job.job_no })
      await row.waitFor({ timeout: TIMEOUT })
      await row.locator('.joint-summary-upload').click()
      const dialog = page.locator('.joint-summary-dialog')
      await dialog.locator('.js-conclusion input').fill('未发现问题，各部门检查事项均符合要求')
      await dialog.locator('.js-summary textarea').fill('市场监管与配合部门联合检查，检查组全体成员签字确认')
      await dialog.locator('.js-file').setInputFiles({ name: '联合检查汇总表.pdf', mimeType: 'application/pdf', buffer: PDF })
      await dialog.locator('.js-save').click()
      await row.locator('.joint-summary-current', { hasText: '联合检查汇总表.pdf' }).waitFor({ timeout: TIMEOUT })
      await page.waitForFunction(() => document.querySelector('.joint-summary-uploaded')?.textContent.trim() === '1', null, {
        timeout: TIMEOUT,
      })
      const list = await apiGet(`/api/tasks/${state.task}/joint-summaries`)
      const entry = list.jobs.find((j) => j.job_id === state.job.id)
      assert.equal(entry.current.version_no, 1)
      assert.equal(entry.current.conclusion, '未发现问题，各部门检查事项均符合要求')
      await logout(page)
    },
  ],
  [
    '联合检查汇总：作业页（我的检查、结果审核）与工作详情页显示该作业的汇总表',
    async (page) => {
      // The group leader's job page (我的检查): the version it signed, downloadable through the job.
      await login(page, state.leader, `/random/jobs/${state.job.id}`)
      const mineSection = page.locator('.job-joint-summary')
      const mineLink = mineSection.locator('.joint-summary-current', { hasText: '联合检查汇总表.pdf' })
      await mineLink.waitFor({ timeout: TIMEOUT })
      const mineRes = await page.request.get(BASE + (await mineLink.getAttribute('href')))
      assert.equal(mineRes.status(), 200)
      assert.ok((await mineRes.body()).equals(PDF), 'the inspector downloads the uploaded file')
      await logout(page)

      // The job page of the reviewer (JobForm at /random/results/{id}).
      await login(page, await current('yz_reviewer'), `/random/results/${state.job.id}`)
      const section = page.locator('.job-joint-summary')
      await section.locator('.joint-summary-current', { hasText: '联合检查汇总表.pdf' }).waitFor({ timeout: TIMEOUT })
      assert.match(await section.textContent(), /第 1 版/)
      const href = await section.locator('.joint-summary-current').getAttribute('href')
      const res = await page.request.get(BASE + href)
      assert.equal(res.status(), 200)
      assert.ok((await res.body()).equals(PDF), 'the job page links the uploaded file')
      await logout(page)

      // The lead department's work page (工作详情) has the column for the job.
      const assigner = await current('yz_assigner')
      await login(page, assigner, '/portal')
      const list = await apiGet(`/api/tasks/${state.task}/joint-summaries`)
      await page.goto(`${BASE}/random/works/${state.task}/${list.lead.id}`)
      const row = page.locator('.work-jobs .el-table__row', { hasText: state.job.job_no })
      await row.locator('.joint-summary-current', { hasText: '联合检查汇总表.pdf' }).waitFor({ timeout: TIMEOUT })
      await page.locator('.work-joint-note').waitFor({ timeout: TIMEOUT })
      await logout(page)
    },
  ],
  [
    '联合检查汇总：配合部门在任务详情页查看并下载汇总表，并收到通知',
    async (page) => {
      await login(page, coop, `/random/tasks/${state.task}`)
      const row = page.locator('.joint-summary-table .el-table__row', { hasText: state.job.job_no })
      const link = row.locator('.joint-summary-current', { hasText: '联合检查汇总表.pdf' })
      await link.waitFor({ timeout: TIMEOUT })
      assert.equal(await page.locator('.joint-summary-upload').count(), 0, 'a cooperating department has no upload button')
      const res = await page.request.get(BASE + (await link.getAttribute('href')))
      assert.equal(res.status(), 200)
      assert.ok((await res.body()).equals(PDF), 'the download is the uploaded file')
      const msgs = await apiGet('/api/messages?unread=true')
      assert.ok(msgs.items.some((m) => m.title.includes('联合检查汇总表') && m.link === `/random/tasks/${state.task}`),
        JSON.stringify(msgs.items.slice(0, 3)))
      // Its own upload is refused with the stable code.
      const refused = await send(page, 'POST', `/api/jobs/${state.job.id}/joint-summary?summary_date=2026-01-02&conclusion=x`, PDF,
        { 'Content-Type': 'application/octet-stream' })
      assert.equal(refused.status, 403)
      assert.equal(refused.body.error.code, 'not_lead_department')
      await logout(page)
    },
  ],
]
