// Units for the user forms: GET /api/org-tree flattened to the nodes people can belong to
// (units and their sections), each named with its district for the select list.
import { api } from '../api.js'

export async function loadUnits() {
  const r = await api.get('/api/org-tree')
  const roots = Array.isArray(r) ? r : Array.isArray(r?.items) ? r.items : r ? [r] : []
  const out = []
  const walk = (n, path) => {
    const here = [...path, n.name]
    if (n.kind === 'unit' || n.kind === 'section') out.push({ id: n.id, kind: n.kind, name: n.name, path: here.slice(1).join(' / ') || n.name })
    for (const c of n.children || []) walk(c, here)
  }
  roots.forEach((n) => walk(n, []))
  return out
}
