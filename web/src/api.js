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
  if (body && body.error) {
    const err = { ...body.error }
    // A refusal for want of a permission always reads as 无权限, whatever the server says.
    if (res.status === 403 && err.code === 'forbidden' && !/无权限/.test(err.message || '')) {
      err.message = '无权限：' + (err.message || '当前身份没有执行此操作的权限')
    }
    return new ApiError(res.status, err)
  }
  const messages = {
    401: '未登录或登录已过期',
    403: '无权限：当前身份没有执行此操作的权限',
    404: '请求的资源不存在',
    413: '上传的文件过大',
    502: '服务器暂时不可用',
    503: '服务器暂时不可用',
  }
  return new ApiError(res.status, { message: messages[res.status] || `服务器错误（HTTP ${res.status}）` })
}

// Session hooks, set by the auth store (auth.js): the CSRF token sent with every
// non-GET request of a cookie session, and what to do when the session is gone (401) or
// must first change its password (403 password_change_required).
const session = { csrf: '', onUnauthenticated: null, onPasswordChange: null }

export function setCsrfToken(token) {
  session.csrf = token || ''
}
export function csrfToken() {
  return session.csrf
}
export function setSessionHandlers({ onUnauthenticated, onPasswordChange }) {
  session.onUnauthenticated = onUnauthenticated || null
  session.onPasswordChange = onPasswordChange || null
}

export async function request(method, path, { body, headers, raw, quiet } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...(headers || {}) }, credentials: 'same-origin' }
  if (method !== 'GET' && method !== 'HEAD' && session.csrf) init.headers['X-CSRF-Token'] = session.csrf
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
  if (!res.ok) {
    const err = await parseError(res)
    // quiet: the caller (login, the route guard) handles 401/403 itself.
    if (!quiet && res.status === 401 && session.onUnauthenticated) session.onUnauthenticated(err)
    if (!quiet && res.status === 403 && err.code === 'password_change_required' && session.onPasswordChange) {
      session.onPasswordChange(err)
    }
    throw err
  }
  if (res.status === 204) return null
  const text = await res.text()
  return text ? JSON.parse(text) : null
}

export const api = {
  get: (path, opts) => request('GET', path, opts),
  post: (path, body, opts) => request('POST', path, { ...opts, body }),
  put: (path, body, opts) => request('PUT', path, { ...opts, body }),
  del: (path, opts) => request('DELETE', path, opts),
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
