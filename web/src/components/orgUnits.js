// Units for the user forms: GET /api/users/units (same tree as /api/org-tree, under system.users) ({items:[…]}, divisions → units → sections)
// flattened to the units people can hold an identity in, each named with its district.
import { api } from '../api.js'

export function treeRoots(r) {
  return Array.isArray(r) ? r : Array.isArray(r?.items) ? r.items : r ? [r] : []
}

export function nodeType(n) {
  return n.type || n.kind
}

export async function loadUnits() {
  const roots = treeRoots(await api.get('/api/users/units'))
  const out = []
  const walk = (n, path) => {
    const here = [...path, n.name]
    if (nodeType(n) === 'unit') out.push({ id: n.id, name: n.name, path: here.slice(1).join(' / ') || n.name })
    for (const c of n.children || []) walk(c, here)
  }
  roots.forEach((n) => walk(n, []))
  return out
}
