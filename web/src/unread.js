// Unread message counts for the header badge and the home page (HOME-1): refreshed on
// demand (after reading) and every minute while a session is open.
import { reactive } from 'vue'
import { api } from './api.js'

export const unread = reactive({ total: 0, personal: 0, units: [] })

let timer = null

export async function refreshUnread() {
  try {
    const r = await api.get('/api/messages/unread', { quiet: true })
    unread.total = r.total || 0
    unread.personal = r.personal || 0
    unread.units = r.units || []
  } catch {
    // No session or no server: the badge simply shows nothing.
    unread.total = 0
  }
}

export function startUnreadPolling() {
  if (timer) return
  refreshUnread()
  timer = setInterval(refreshUnread, 60000)
}

export function stopUnreadPolling() {
  if (timer) clearInterval(timer)
  timer = null
  unread.total = 0
  unread.units = []
}
