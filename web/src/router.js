import { createRouter, createWebHistory } from 'vue-router'
import { comingEntries } from './menu.js'
import { auth, forgetSession, loadMe } from './auth.js'
import { setSessionHandlers } from './api.js'
import PortalPage from './pages/PortalPage.vue'
import HomePage from './pages/HomePage.vue'
import EntityList from './pages/EntityList.vue'
import EntityForm from './pages/EntityForm.vue'
import ImportPage from './pages/ImportPage.vue'
import ComingPage from './pages/ComingPage.vue'
import NotFoundPage from './pages/NotFoundPage.vue'
import LoginPage from './pages/LoginPage.vue'
import ChangePasswordPage from './pages/ChangePasswordPage.vue'
import OrgPage from './pages/system/OrgPage.vue'
import UsersPage from './pages/system/UsersPage.vue'
import RolesPage from './pages/system/RolesPage.vue'
import LoginLogPage from './pages/system/LoginLogPage.vue'
import AuditPage from './pages/system/AuditPage.vue'
import MessagesPage from './pages/MessagesPage.vue'
import AnnouncementsPage from './pages/AnnouncementsPage.vue'
import FeedbackPage from './pages/FeedbackPage.vue'
import AnnouncementPage from './pages/system/AnnouncementPage.vue'
import DictionaryPage from './pages/system/DictionaryPage.vue'
import FeedbackAdminPage from './pages/system/FeedbackAdminPage.vue'
import CalendarPage from './pages/system/CalendarPage.vue'
import PlanList from './pages/random/PlanList.vue'
import PlanForm from './pages/random/PlanForm.vue'
import PlanDetail from './pages/random/PlanDetail.vue'
import TaskList from './pages/random/TaskList.vue'
import TaskForm from './pages/random/TaskForm.vue'
import TaskDetail from './pages/random/TaskDetail.vue'
import WorkList from './pages/random/WorkList.vue'
import WorkDetail from './pages/random/WorkDetail.vue'
import JobList from './pages/jobs/JobList.vue'
import JobForm from './pages/jobs/JobForm.vue'
import PublicPlans from './pages/public/PublicPlans.vue'
import PublicAttemptsPage from './pages/draw/PublicAttemptsPage.vue'
import PublicDrawLogPage from './pages/draw/PublicDrawLogPage.vue'
import DrawListPage from './pages/draw/DrawListPage.vue'
import DrawNewPage from './pages/draw/DrawNewPage.vue'
import DrawDetailPage from './pages/draw/DrawDetailPage.vue'
import PublicDrawPage from './pages/draw/PublicDrawPage.vue'
import MapPage from './pages/MapPage.vue'
import PatrolPage from './pages/network/PatrolPage.vue'
import PatrolCheckinPage from './pages/network/PatrolCheckinPage.vue'
import UnlicensedPage from './pages/network/UnlicensedPage.vue'
import UnlicensedMobilePage from './pages/network/UnlicensedMobilePage.vue'
import DashboardPage from './pages/DashboardPage.vue'
import TodayTargetsPage from './pages/navigation/TodayTargetsPage.vue'
import AppealList from './pages/appeals/AppealList.vue'
import AppealDetail from './pages/appeals/AppealDetail.vue'
import ChangeApprovals from './pages/draw/ChangeApprovals.vue'
import PublicationPage from './pages/publication/PublicationPage.vue'
import PublicationDetail from './pages/publication/PublicationDetail.vue'
import PublicResults from './pages/public/PublicResults.vue'
import PublicHome from './pages/public/PublicHome.vue'
import RecusalsPage from './pages/draw/RecusalsPage.vue'

// meta.perm: the permission a page needs (the shell shows 无权限 in its place otherwise);
// meta.bare: a page drawn without the menu and header (login, forced password change);
// meta.public: reachable without a session.
const routes = [
  { path: '/', redirect: '/portal' },
  { path: '/login', component: LoginPage, meta: { title: '登录', bare: true, public: true } },
  { path: '/change-password', component: ChangePasswordPage, meta: { title: '修改密码', bare: true } },
  { path: '/portal', component: PortalPage, meta: { title: '门户' } },
  { path: '/home', component: HomePage, meta: { title: '个人首页' } },
  { path: '/base/import', component: ImportPage, meta: { title: '批量导入', perm: 'registry.import' } },
  { path: '/base/:entity', component: EntityList, props: true, meta: { perm: 'registry.read' } },
  {
    path: '/base/:entity/new',
    component: EntityForm,
    props: (r) => ({ entity: r.params.entity, id: null }),
    meta: { perm: 'registry.write' },
  },
  { path: '/base/:entity/:id', component: EntityForm, props: true, meta: { perm: 'registry.read' } },
  { path: '/system/org', component: OrgPage, meta: { title: '组织机构', perm: 'system.org' } },
  { path: '/system/users', component: UsersPage, meta: { title: '用户管理', perm: 'system.users' } },
  { path: '/system/roles', component: RolesPage, meta: { title: '角色管理', perm: 'system.roles' } },
  { path: '/system/login-log', component: LoginLogPage, meta: { title: '登录日志', perm: 'system.loginlog' } },
  { path: '/audit', component: AuditPage, meta: { title: '审计日志', perm: 'audit.read' } },
  { path: '/messages', component: MessagesPage, meta: { title: '我的消息' } },
  { path: '/announcements', component: AnnouncementsPage, meta: { title: '系统公告' } },
  { path: '/feedback', component: FeedbackPage, meta: { title: '问题反馈' } },
  { path: '/system/announcements', component: AnnouncementPage, meta: { title: '系统公告', perm: 'system.announce' } },
  { path: '/system/dictionary', component: DictionaryPage, meta: { title: '数据字典', perm: 'system.dict' } },
  { path: '/system/feedback', component: FeedbackAdminPage, meta: { title: '问题反馈', perm: 'system.feedback' } },
  { path: '/system/calendar', component: CalendarPage, meta: { title: '工作日历', perm: 'system.dict' } },
  { path: '/random/plans', component: PlanList, meta: { title: '年度计划', perm: 'plan.read' } },
  { path: '/random/plans/new', component: PlanForm, meta: { title: '新增年度计划', perm: 'plan.create' } },
  { path: '/random/plans/:id/edit', component: PlanForm, props: true, meta: { title: '编辑年度计划', perm: 'plan.create' } },
  { path: '/random/plans/:id', component: PlanDetail, props: true, meta: { title: '年度计划详情', perm: 'plan.read' } },
  { path: '/random/tasks', component: TaskList, meta: { title: '抽查任务', perm: 'task.read' } },
  { path: '/random/review', component: TaskList, props: { review: true }, meta: { title: '任务审核', perm: 'task.review' } },
  { path: '/random/tasks/new', component: TaskForm, meta: { title: '新增抽查任务', perm: 'task.create' } },
  { path: '/random/tasks/:id/edit', component: TaskForm, props: true, meta: { title: '编辑抽查任务', perm: 'task.create' } },
  { path: '/random/tasks/:id', component: TaskDetail, props: true, meta: { title: '抽查任务详情', perm: 'task.read' } },
  { path: '/random/works', component: WorkList, meta: { title: '部门工作', perm: 'task.read' } },
  { path: '/random/works/:task(\\d+)/:unit(\\d+)', component: WorkDetail, props: true, meta: { title: '工作详情', perm: 'task.read' } },
  { path: '/public', component: PublicHome, meta: { title: '信息公开', bare: true, public: true } },
  { path: '/public/plans', component: PublicPlans, meta: { title: '联合抽查计划公示', bare: true, public: true } },
  { path: '/random/draws', component: DrawListPage, meta: { title: '随机抽取', perm: 'draw.read' } },
  { path: '/random/draws/new', component: DrawNewPage, meta: { title: '新建抽取', perm: 'draw.run' } },
  { path: '/random/draws/:id(\\d+)', component: DrawDetailPage, props: true, meta: { title: '抽取记录', perm: 'draw.read' } },
  { path: '/public/draws/:id(\\d+)', component: PublicDrawPage, props: true, meta: { title: '抽取公开复核', bare: true, public: true } },
  { path: '/public/tasks/:id(\\d+)/draws', component: PublicAttemptsPage, props: (r) => ({ id: r.params.id, kind: 'task' }), meta: { title: '任务抽取公开记录', bare: true, public: true } },
  { path: '/public/plans/:id(\\d+)/draws', component: PublicAttemptsPage, props: (r) => ({ id: r.params.id, kind: 'plan' }), meta: { title: '计划抽取公开记录', bare: true, public: true } },
  { path: '/public/draw-log', component: PublicDrawLogPage, meta: { title: '公开抽取日志', bare: true, public: true } },
  { path: '/map', component: MapPage, meta: { title: '监管地图', perm: 'registry.read' } },
  { path: '/random/jobs', component: JobList, meta: { title: '我的检查', perm: 'job.submit' } },
  { path: '/random/jobs/:id(\\d+)', component: JobForm, props: true, meta: { title: '检查作业', perm: 'job.submit' } },
  { path: '/random/results', component: JobList, props: { review: true }, meta: { title: '结果审核', perm: 'result.review' } },
  { path: '/random/results/:id(\\d+)', component: JobForm, props: (r) => ({ id: r.params.id, review: true }), meta: { title: '结果审核', perm: 'result.review' } },
  { path: '/network/patrol', component: PatrolPage, props: { view: 'edit' }, meta: { title: '巡检路线图示', perm: 'patrol.manage' } },
  { path: '/network/progress', component: PatrolPage, props: { view: 'progress' }, meta: { title: '监管任务情况', perm: 'patrol.manage' } },
  { path: '/m/patrol', component: PatrolCheckinPage, meta: { title: '巡查打卡', perm: 'job.submit', bare: true } },
  { path: '/dashboard', component: DashboardPage, meta: { title: '领导驾驶舱', perm: 'stats.read' } },
  { path: '/m/targets', component: TodayTargetsPage, meta: { title: '今日目标', perm: 'job.submit', bare: true } },
  { path: '/random/appeals', component: AppealList, meta: { title: '申诉审核', perm: 'result.review' } },
  { path: '/random/appeals/:id(\\d+)', component: AppealDetail, props: true, meta: { title: '申诉复核', perm: 'result.review' } },
  { path: '/random/recusals', component: RecusalsPage, meta: { title: '执法回避', perm: 'draw.read' } },
  { path: '/random/draw-changes', component: ChangeApprovals, meta: { title: '变更审批', perm: 'draw.change.approve' } },
  { path: '/random/publication', component: PublicationPage, meta: { title: '结果公示', perm: 'publish.manage' } },
  { path: '/random/publication/:id(\\d+)', component: PublicationDetail, props: true, meta: { title: '结果公示', perm: 'publish.manage' } },
  { path: '/public/results', component: PublicResults, meta: { title: '抽查结果公示', bare: true, public: true } },
  { path: '/network/unlicensed', component: UnlicensedPage, meta: { title: '无照经营表单', perm: 'unlicensed.read' } },
  { path: '/m/unlicensed', component: UnlicensedMobilePage, meta: { title: '无照经营录入', perm: 'unlicensed.record', bare: true } },
  ...comingEntries().map((e) => ({
    path: e.path,
    component: ComingPage,
    props: { entry: e },
    meta: { title: e.title, perm: e.perm },
  })),
  { path: '/:rest(.*)*', component: NotFoundPage, meta: { title: '页面不存在' } },
]

const router = createRouter({ history: createWebHistory('/'), routes })

// Every page but the login page needs a session once the server has the accounts module
// (AUTH-1); a session whose password must be changed goes to the change page first.
router.beforeEach(async (to) => {
  let user = null
  try {
    user = await loadMe()
  } catch {
    // The server could not be reached: let the page show its own error.
    return true
  }
  if (!auth.installed) return to.path === '/login' || to.path === '/change-password' ? '/portal' : true
  if (to.meta.public) return true
  if (!user) return { path: '/login', query: to.fullPath === '/' || to.fullPath === '/portal' ? {} : { redirect: to.fullPath } }
  if (user.must_change_password && to.path !== '/change-password') {
    return { path: '/change-password', query: { redirect: to.fullPath } }
  }
  return true
})

router.afterEach((to) => {
  const t = to.meta?.title
  document.title = t ? `${t} - TwinDraw 双随机一公开监管平台` : 'TwinDraw 双随机一公开监管平台'
})

// Any API call answering 401 ends the session here too: back to the login page, keeping
// the page that was wanted.
setSessionHandlers({
  onUnauthenticated() {
    forgetSession()
    const cur = router.currentRoute.value
    if (!cur.meta.public) router.replace({ path: '/login', query: { redirect: cur.fullPath } })
  },
  onPasswordChange() {
    const cur = router.currentRoute.value
    if (cur.path !== '/change-password') router.replace({ path: '/change-password', query: { redirect: cur.fullPath } })
  },
})

export default router
