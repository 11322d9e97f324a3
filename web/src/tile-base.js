// Where the map pages load /tiles/ from (GIS-2). When `twindraw serve --tile-port` runs, the
// server names that port in GET /api/map/tile-base and the pages fetch their tiles there:
// cached tiles are answered by its event loop without PostgreSQL, everything else exactly as
// on this port. The session cookie goes with them (same site: cookies ignore the port).
// Without a tile port, or before the answer, tiles come from this port.
import { api } from './api.js'

let base = ''

// The prefix of tile URLs ('' or 'http://host:port').
export function tileBase() {
  return base
}

// Asked once a user is signed in; a failure leaves the tiles on this port.
export async function loadTileBase() {
  try {
    const r = await api.get('/api/map/tile-base', { quiet: true })
    base = typeof r?.base === 'string' ? r.base : ''
  } catch {
    base = ''
  }
  return base
}
