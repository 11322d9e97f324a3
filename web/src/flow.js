// Labels and tag colours of the plan, task and receiving states (PLAN-2, TASK-1..7,
// WORK-3), and the Chinese names of the transitions the server offers in `actions`.

export const PLAN_STATES = { draft: '未分发', distributed: '已分发', recalled: '已回收' }
export const TASK_STATES = { created: '已创建', submitted: '待审核', returned: '已退回', approved: '审核通过' }
export const UNIT_STATES = { waiting: '待接收', received: '已接收' }
export const TYPES = { single: '单部门抽查', joint: '联合抽查' }
export const ACTIONS = {
  edit: '编辑',
  delete: '删除',
  distribute: '分发',
  recall: '回收',
  submit: '提交审核',
  approve: '审核通过',
  return: '退回',
  urge: '催办',
  receive: '接收',
}
const TAGS = {
  draft: 'info',
  distributed: 'success',
  recalled: 'warning',
  created: 'info',
  submitted: 'warning',
  returned: 'danger',
  approved: 'success',
  waiting: 'warning',
  received: 'success',
}
export function stateTag(state) {
  return TAGS[state] || 'info'
}
export const RISK_LEVELS = [
  { value: 1, label: '1 级（低风险）' },
  { value: 2, label: '2 级（一般风险）' },
  { value: 3, label: '3 级（较高风险）' },
  { value: 4, label: '4 级（高风险）' },
]
export const CREDIT_LEVELS = ['A', 'B', 'C', 'D']
export const OBJECT_TYPES = { market_subject: '市场主体', venue: '场地场所', product: '产品' }
export const INSPECTOR_SCOPES = { bureau: '全局内随机', offices: '若干派出机构内随机', office: '单一派出机构内随机' }
// The personnel categories a task's draw takes its inspectors from. 辅助专家 are not drawn
// into groups (the server refuses them); the label stays for tasks saved before.
export const CATEGORIES = { law_enforcement: '行政执法人员', daily_supervision: '日常监管人员' }
export const CATEGORY_LABELS = { ...CATEGORIES, expert: '辅助专家（不参加随机分组）' }
// The filter rules a task chooses, by the draw's own codes (draw_filter_rule);
// in_open_draw is always applied (locked), in_open_task is its former name.
export const EXCLUSIONS = { inspected_this_year: '当年已抽查过的对象不再抽取', in_open_draw: '已在其他未结束抽取中的对象不再抽取（始终适用）' }
export const EXCLUSION_LABELS = { ...EXCLUSIONS, in_open_task: EXCLUSIONS.in_open_draw }
