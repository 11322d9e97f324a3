// Field-level helpers shared by the list and the form: how a value is shown, what an
// empty value is for each type, and the client-side checks (the server stays the authority).

export const TYPE_EMPTY = {
  text_array: () => [],
  id_array: () => [],
  bool: () => false,
}

export function emptyValue(field) {
  return (TYPE_EMPTY[field.type] || (() => null))()
}

export function choiceLabel(field, value) {
  if (!field.choices || value === null || value === undefined) return null
  const c = field.choices.find((c) => String(c.value) === String(value))
  return c ? c.label : null
}

// A server timestamp (ISO 8601 with offset) in the browser's local time: YYYY-MM-DD HH:mm:ss.
export function formatTimestamp(t) {
  if (!t) return ''
  const d = new Date(t)
  if (Number.isNaN(d.getTime())) return String(t)
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

export function formatPoint(p) {
  if (!p || p.lon === undefined || p.lat === undefined || p.lon === null || p.lat === null) return ''
  return `${Number(p.lon).toFixed(6)}, ${Number(p.lat).toFixed(6)}`
}

// What a list cell shows for one field of one row.
export function displayValue(field, row) {
  const v = row[field.name]
  const label = choiceLabel(field, v)
  if (label) return label
  if (field.ref) {
    const refLabel = row[field.name + '_label']
    if (refLabel !== undefined && refLabel !== null && refLabel !== '') {
      return Array.isArray(refLabel) ? refLabel.join('、') : String(refLabel)
    }
  }
  if (v === null || v === undefined) return ''
  switch (field.type) {
    case 'bool':
      return v ? '是' : '否'
    case 'point':
      return formatPoint(v)
    case 'text_array':
    case 'id_array':
      return Array.isArray(v) ? v.join('、') : String(v)
    default:
      if (field.name.endsWith('_at') && typeof v === 'string') return formatTimestamp(v)
      return String(v)
  }
}

function isEmpty(field, v) {
  if (v === null || v === undefined || v === '') return true
  if (Array.isArray(v)) return v.length === 0
  if (field.type === 'point') return v.lon === null || v.lat === null || v.lon === undefined || v.lat === undefined
  return false
}

// Client-side checks: required, maximum length (in characters), pattern.
export function checkField(field, v) {
  if (isEmpty(field, v)) return field.required && field.type !== 'bool' ? `请填写${field.label}` : ''
  if (typeof v === 'string') {
    if (field.max_len && [...v].length > field.max_len) return `${field.label}不能超过 ${field.max_len} 个字符`
    if (field.pattern) {
      let re = null
      for (const flags of ['u', '']) {
        try {
          re = new RegExp(field.pattern, flags)
          break
        } catch {
          re = null
        }
      }
      if (re && !re.test(v)) return `${field.label}格式不正确`
    }
  }
  if (field.type === 'point') {
    const lon = Number(v.lon)
    const lat = Number(v.lat)
    if (!(lon >= -180 && lon <= 180) || !(lat >= -90 && lat <= 90)) return '经纬度超出范围'
  }
  return ''
}

// Normalises a server value for editing (e.g. decimals sent as strings).
export function toFormValue(field, v) {
  if (v === undefined || v === null) return emptyValue(field)
  if (field.type === 'decimal' || field.type === 'int') {
    if (field.choices) return v
    const n = Number(v)
    return Number.isFinite(n) ? n : null
  }
  if (field.type === 'point') return { lon: v.lon ?? null, lat: v.lat ?? null }
  if (field.type === 'text_array' || field.type === 'id_array') return Array.isArray(v) ? [...v] : []
  return v
}

// Normalises an edited value for sending.
export function toApiValue(field, v) {
  if (v === '' || v === undefined) return null
  if (field.type === 'point') {
    if (!v || v.lon === null || v.lat === null || v.lon === undefined || v.lat === undefined) return null
    return { lon: Number(v.lon), lat: Number(v.lat) }
  }
  if ((field.type === 'int' || field.type === 'decimal') && v !== null) return Number(v)
  if (field.type === 'id_array' && Array.isArray(v)) return v.map((x) => Number(x))
  return v
}
