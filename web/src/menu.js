// The left menu mirrors the module tree of seed 000 (DB4407/T 81—2021 表1). Entries whose
// issue has not landed yet carry `coming`: the 建设中 page names what will be built there
// and the requirement IDs it answers.

export const menu = [
  { title: '门户', path: '/portal', icon: 'DataBoard' },
  { title: '个人首页', path: '/home', icon: 'User' },
  {
    title: '随机抽查',
    icon: 'Aim',
    children: [
      { title: '年度计划', path: '/random/plans', perm: 'plan.read' },
      { title: '抽查任务', path: '/random/tasks', perm: 'task.read' },
      { title: '随机抽取', path: '/random/draws', perm: 'draw.read' },
      { title: '任务审核', path: '/random/review', perm: 'task.review' },
      { title: '部门工作', path: '/random/works', perm: 'task.read' },
      { title: '我的检查', path: '/random/jobs', perm: 'job.submit' },
      { title: '结果审核', path: '/random/results', perm: 'result.review' },
      { title: '申诉审核', path: '/random/appeals', perm: 'result.review' },
      { title: '变更审批', path: '/random/draw-changes', perm: 'draw.change.approve' },
      { title: '执法回避', path: '/random/recusals', perm: 'draw.read' },
      { title: '结果公示', path: '/random/publication', perm: 'publish.manage' },
      { title: '信息公开', path: '/public' },
    ],
  },
  {
    title: '智能监管',
    path: '/smart',
    icon: 'Warning',
    coming: {
      refs: 'SMART-1～SMART-7',
      features: ['抽查异常对象库', '任务执行审计', '预警告警', '检查人员变更记录', '计划执行情况、任务执行情况', '企业被检情况与监管意见反馈'],
    },
  },
  {
    title: '网络监管',
    icon: 'MapLocation',
    children: [
      { title: '无照经营表单', path: '/network/unlicensed', perm: 'unlicensed.read' },
      { title: '巡检路线图示', path: '/network/patrol', perm: 'patrol.manage' },
      { title: '监管任务情况', path: '/network/progress', perm: 'patrol.manage' },
      { title: '巡查打卡', path: '/m/patrol', perm: 'job.submit' },
      { title: '今日目标', path: '/m/targets', perm: 'job.submit' },
      { title: '无照经营录入', path: '/m/unlicensed', perm: 'unlicensed.record' },
    ],
  },
  { title: '监管地图', path: '/map', icon: 'MapLocation', perm: 'registry.read' },
  { title: '领导驾驶舱', path: '/dashboard', icon: 'DataAnalysis', perm: 'stats.read' },
  {
    title: '数据展现',
    path: '/stats',
    icon: 'TrendCharts',
    coming: {
      refs: 'STAT-1～STAT-10',
      features: ['抽查任务统计、部门工作开展情况', '检查人员执行情况与执法热力图', '检查结果统计图', '联合抽查、单部门抽查、事项、抽查对象等统计表及导出'],
    },
  },
  {
    title: '基础信息',
    icon: 'Files',
    children: [
      { title: '市场主体', path: '/base/subjects', perm: 'registry.read' },
      { title: '场地场所', path: '/base/venues', perm: 'registry.read' },
      { title: '产品', path: '/base/products', perm: 'registry.read' },
      { title: '执法检查人员', path: '/base/inspectors', perm: 'registry.read' },
      { title: '抽查事项清单', path: '/base/items', perm: 'registry.read' },
      { title: '行政区划', path: '/base/divisions', perm: 'registry.read' },
      { title: '执法机关与部门', path: '/base/authorities', perm: 'registry.read' },
      { title: '科室', path: '/base/sections', perm: 'registry.read' },
      { title: '企业类型', path: '/base/enterprise-types', perm: 'registry.read' },
      { title: '行业分类', path: '/base/industries', perm: 'registry.read' },
      { title: '批量导入', path: '/base/import', perm: 'registry.import' },
    ],
  },
  {
    title: '系统管理',
    icon: 'Setting',
    children: [
      { title: '组织机构', path: '/system/org', perm: 'system.org' },
      { title: '用户管理', path: '/system/users', perm: 'system.users' },
      { title: '角色管理', path: '/system/roles', perm: 'system.roles' },
      { title: '数据字典', path: '/system/dictionary', perm: 'system.dict' },
      { title: '工作日历', path: '/system/calendar', perm: 'system.dict' },
      { title: '系统公告', path: '/system/announcements', perm: 'system.announce' },
      { title: '问题反馈', path: '/system/feedback', perm: 'system.feedback' },
      { title: '登录日志', path: '/system/login-log', perm: 'system.loginlog' },
    ],
  },
  { title: '审计日志', path: '/audit', icon: 'Document', perm: 'audit.read' },
]

// The menu as the current identity may see it: leaves whose permission it lacks are left
// out, and so is a group left empty.
export function visibleMenu(can) {
  const out = []
  for (const it of menu) {
    if (it.children) {
      const children = it.children.filter((c) => can(c.perm))
      if (children.length) out.push({ ...it, children })
    } else if (can(it.perm)) out.push(it)
  }
  return out
}

// The permission a path needs, from the menu entry owning it (/base/subjects/42 →
// /base/subjects → registry.read).
export function permForPath(path) {
  let best = null
  const walk = (items) => {
    for (const it of items) {
      if (it.children) walk(it.children)
      else if (it.perm && (path === it.path || path.startsWith(it.path + '/'))) {
        if (!best || it.path.length > best.path.length) best = it
      }
    }
  }
  walk(menu)
  return best ? best.perm : null
}

// Every leaf entry that is still 建设中, flattened for the router.
export function comingEntries() {
  const out = []
  const walk = (items, parent) => {
    for (const it of items) {
      if (it.children) walk(it.children, it.title)
      else if (it.coming) out.push({ ...it, group: parent })
    }
  }
  walk(menu, null)
  return out
}
