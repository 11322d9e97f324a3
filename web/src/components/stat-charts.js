// ECharts for the statistics pages (领导驾驶舱, 门户): only the parts used, registered once,
// and the option builders both pages share. Each chart's data also lands in its
// container's data-series attribute, so browser tests read what the chart shows.
import * as echarts from 'echarts/core'
import { BarChart, LineChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer])

export { echarts }

// The year at a glance (PORTAL-1), in display order.
export const summaryCards = [
  { key: 'departments_active', label: '开展部门' },
  { key: 'plans', label: '年度计划' },
  { key: 'tasks', label: '抽查任务' },
  { key: 'inspections', label: '完成检查（次）' },
  { key: 'enterprises_inspected', label: '检查企业' },
  { key: 'problem_enterprises', label: '问题企业' },
  { key: 'items', label: '开展事项' },
  { key: 'inspectors', label: '出动检查人员（人）' },
  { key: 'inspector_times', label: '出动检查人员（人次）' },
]

// Grouped bars per district. series: [{key, name, colour}]; selected: a district code
// drawn darker, the others paler.
export function districtBarOption(districts, series, selected = '') {
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 32, bottom: 64 },
    xAxis: {
      type: 'category',
      data: districts.map((d) => d.name),
      triggerEvent: true,
      axisLabel: { interval: 0, rotate: districts.length > 8 ? 45 : 0 },
    },
    yAxis: { type: 'value', minInterval: 1 },
    series: series.map((s) => ({
      name: s.name,
      type: 'bar',
      data: districts.map((d) => ({
        value: d[s.key],
        itemStyle: { color: s.colour, opacity: selected && d.code !== selected ? 0.35 : 1 },
      })),
    })),
  }
}

// A horizontal ranking (top departments, top items): rows [{name, value}], best first.
export function rankingOption(rows, name, colour) {
  const shown = [...rows].reverse()
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 8, right: 32, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: {
      type: 'category',
      data: shown.map((r) => r.name),
      axisLabel: { width: 150, overflow: 'truncate' },
    },
    series: [{ name, type: 'bar', data: shown.map((r) => r.value), itemStyle: { color: colour }, label: { show: true, position: 'right' } }],
  }
}

// Inspections per day (STAT-3).
export function perDayOption(days) {
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 40, right: 16, top: 16, bottom: 32 },
    xAxis: { type: 'category', data: days.map((d) => d.date) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ name: '完成检查', type: 'bar', data: days.map((d) => d.inspections), itemStyle: { color: '#1d5fbf' } }],
  }
}
