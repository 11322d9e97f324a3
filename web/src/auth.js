// The signed-in user, shared by the route guard, the header and the menu (AUTH-1, AUTH-5).
// GET /api/auth/me is fetched once and cached; it is fetched again after login, an
// identity switch or a password change. A server without the accounts module answers
// /api/auth/me with 404: the shell then runs open, every entry allowed, no login page.
import { reactive } from 'vue'
import { ApiError, api, setCsrfToken } from './api.js'
import { loadTileBase } from './tile-base.js'

export const auth = reactive({
  loaded: false, // /api/auth/me has answered at least once
  installed: true, // false when the server has no accounts module (404)
  user: null, // {id, account, name, must_change_password, totp_enabled}
  identity: null, // {id, unit_id, unit_name, role, data_scope}
  identities: [],
  permissions: [],
})

let pending = null

function apply(me) {
  auth.user = me?.user || null
  auth.identity = me?.identity || null
  auth.identities = Array.isArray(me?.identities) ? me.identities : []
  auth.permissions = Array.isArray(me?.permissions) ? me.permissions : []
  if (me?.csrf_token) setCsrfToken(me.csrf_token)
}

function clear() {
  auth.user = null
  auth.identity = null
  auth.identities = []
  auth.permissions = []
  setCsrfToken('')
}

// Loads /api/auth/me (once unless force). Resolves to the user or null; never rejects on
// 401/404, which are answers here, not failures.
export function loadMe(force = false) {
  if (auth.loaded && !force && !pending) return Promise.resolve(auth.user)
  if (pending && !force) return pending
  pending = api
    .get('/api/auth/me', { quiet: true })
    .then((me) => {
      auth.installed = true
      apply(me)
      // The tile port, if any, before a map page asks for its first tile (not while the
      // first password must still be changed: the session may do nothing else then).
      return auth.user && !auth.user.must_change_password ? loadTileBase().then(() => auth.user) : auth.user
    })
    .catch((e) => {
      if (e instanceof ApiError && e.status === 404) {
        auth.installed = false
        clear()
        return null
      }
      if (e instanceof ApiError && e.status === 401) {
        auth.installed = true
        clear()
        return null
      }
      throw e
    })
    .finally(() => {
      auth.loaded = true
      pending = null
    })
  return pending
}

// Forget the session locally (after logout or a 401 from any call).
export function forgetSession() {
  clear()
  auth.loaded = true
}

// Whether the current identity holds a permission. Without the accounts module the shell
// is open: everything is allowed.
export function can(perm) {
  if (!perm) return true
  if (!auth.installed) return true
  return auth.permissions.includes(perm)
}

export function canAny(perms) {
  return !perms || perms.length === 0 || perms.some((p) => can(p))
}

export async function login(account, password) {
  const r = await api.post('/api/auth/login', { account, password, client: 'web' }, { quiet: true })
  if (r?.csrf_token) setCsrfToken(r.csrf_token)
  return r
}

export async function secondFactor(challenge, code) {
  const r = await api.post('/api/auth/second-factor', { challenge, code }, { quiet: true })
  if (r?.csrf_token) setCsrfToken(r.csrf_token)
  return r
}

export async function logout(everywhere = false) {
  try {
    await api.post(everywhere ? '/api/auth/logout-all' : '/api/auth/logout', {}, { quiet: true })
  } finally {
    forgetSession()
  }
}

export async function switchIdentity(identityId) {
  await api.post('/api/auth/switch', { identity_id: identityId })
  return loadMe(true)
}

export const DATA_SCOPES = [
  { value: 'all', label: '全部数据' },
  { value: 'district', label: '本区县' },
  { value: 'unit_tree', label: '本单位及下级' },
  { value: 'unit', label: '本单位' },
  { value: 'self', label: '仅本人' },
]

// An identity's role name: {role:{code,name}} from /api/auth/me, role_name in user lists.
export function roleName(i) {
  if (!i) return ''
  if (i.role_name) return i.role_name
  if (i.role && typeof i.role === 'object') return i.role.name || i.role.code || ''
  return i.role || ''
}

export function identityText(i) {
  if (!i) return ''
  return [i.unit_name, i.section_name, roleName(i)].filter(Boolean).join(' · ')
}

export function dataScopeLabel(v) {
  return DATA_SCOPES.find((s) => s.value === v)?.label || v || ''
}

// Where to go after login: only paths of this site.
export function safeRedirect(r) {
  return typeof r === 'string' && r.startsWith('/') && !r.startsWith('//') && !r.startsWith('/login') ? r : '/portal'
}
