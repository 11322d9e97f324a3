// Thin client for the TwinDraw HTTP API. Every failure becomes an ApiError carrying the
// server's error body {"error":{"code","message","field","errors":[…]}} so pages can put
// each message under its form field and toast the rest.

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `请求失败（HTTP ${status}）`)
    this.status = status
    this.code = error?.code || 'http_' + status
    this.field = error?.field || null
    // Several field errors at once (422); a single-field error is folded in too.
    const list = Array.isArray(error?.errors) ? error.errors : []
    this.fieldErrors = list.filter((e) => e && e.field)
    if (this.field && !this.fieldErrors.some((e) => e.field === this.field)) {
      this.fieldErrors.unshift({ field: this.field, code: this.code, message: this.message })
    }
  }
}

async function parseError(res) {
  let body = null
  try {
    body = await res.json()
  } catch {
    body = null
  }
  if (body && body.error) return new ApiError(res.status, body.error)
  const messages = {
    401: '未登录或登录已过期',
    403: '没有权限执行此操作',
    404: '请求的资源不存在',
    413: '上传的文件过大',
    502: '服务器暂时不可用',
    503: '服务器暂时不可用',
  }
  return new ApiError(res.status, { message: messages[res.status] || `服务器错误（HTTP ${res.status}）` })
}

export async function request(method, path, { body, headers, raw } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...(headers || {}) } }
  if (raw !== undefined) {
    init.body = raw
  } else if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers['Content-Type'] = 'application/json'
  }
  let res
  try {
    res = await fetch(path, init)
  } catch {
    throw new ApiError(0, { code: 'network', message: '无法连接服务器，请检查网络' })
  }
  if (!res.ok) throw await parseError(res)
  if (res.status === 204) return null
  const text = await res.text()
  return text ? JSON.parse(text) : null
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body) => request('POST', path, { body }),
  put: (path, body) => request('PUT', path, { body }),
  del: (path) => request('DELETE', path),
  upload: (path, file, type) =>
    request('POST', path, { raw: file, headers: { 'Content-Type': type || file.type || 'application/octet-stream' } }),
}

// Query string from an object, leaving out empty values.
export function qs(params) {
  const sp = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue
    sp.set(k, String(v))
  }
  const s = sp.toString()
  return s ? '?' + s : ''
}
