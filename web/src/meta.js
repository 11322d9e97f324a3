// Entity metadata from GET /api/meta/entities, fetched once and shared by the generic
// list and form pages.
import { api } from './api.js'

let pending = null

export function loadEntities() {
  if (!pending) {
    pending = api.get('/api/meta/entities').then((r) => {
      const map = new Map()
      for (const e of r.entities || []) map.set(e.name, e)
      return map
    })
    pending.catch(() => {
      pending = null
    })
  }
  return pending
}

export async function loadEntity(name) {
  const all = await loadEntities()
  return all.get(name) || null
}
