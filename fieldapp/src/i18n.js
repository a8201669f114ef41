// Chinese by default, English by a switch; the choice is kept on the phone.
import { ref } from 'vue'

const messages = {
  zh: {
    appName: '联户走访', signIn: '登录', username: '用户名', password: '密码', signingIn: '正在登录…',
    signInOnline: '首次登录需要网络，之后可离线使用。', signOut: '退出登录',
    signOutConfirm: '退出后将删除本机的农户、表单和令牌。', signOutPending: '还有 {n} 条走访未发送，退出将一并删除。确定退出吗？',
    revoked: '登录已失效，请重新登录。待发送的走访会保留。', badCredentials: '用户名或密码错误。',
    households: '联系户', outbox: '待发送', pending: '待发送 {n} 条', lastSync: '上次同步', never: '从未',
    syncNow: '立即同步', syncing: '同步中…', offline: '离线', online: '在线',
    sortDue: '按到期', sortDistance: '按距离', due: '到期', overdue: '已逾期', lastVisit: '上次走访', noVisit: '尚无走访',
    distance: '距离', noLocation: '无法获取位置', noHouseholds: '暂无联系户。请联网同步。',
    address: '地址', category: '类别', openCases: '未办结诉求', fillVisit: '填写走访记录', fill: '填写',
    visitsHere: '本机走访记录', sent: '已发送', waiting: '待发送', failed: '被拒绝', none: '无',
    lastCounted: '上次有效走访', back: '返回', saved: '已保存到待发送列表。', noForm: '表单尚未下载，请联网同步。',
    loadingForm: '正在加载表单…', retry: '重试', remove: '删除', removeConfirm: '删除这条走访？此操作不能撤销。',
    outboxEmpty: '没有待发送的走访。', attempts: '尝试 {n} 次', nextTry: '下次重试', otherUser: '属于用户 {u}',
    map: '位置', updateReady: '有新版本。', update: '更新', language: 'English', dueNow: '应走访', noNetwork: '等待网络', photos: '照片 {n}', syncFailed: '同步失败', savedAt: '保存于', search: '搜索户号、户主或地址',
    categories: { ordinary: '一般户', low_income: '困难户', elderly_alone: '独居老人', disabled: '残疾人户', left_behind: '留守户' }
  },
  en: {
    appName: 'Lianhu visits', signIn: 'Sign in', username: 'Username', password: 'Password', signingIn: 'Signing in…',
    signInOnline: 'The first sign-in needs a connection; then the app works offline.', signOut: 'Sign out',
    signOutConfirm: 'Signing out deletes the households, forms and token on this phone.',
    signOutPending: '{n} visits are not sent yet and will be deleted. Sign out anyway?',
    revoked: 'Your sign-in is no longer valid; please sign in again. Waiting visits are kept.',
    badCredentials: 'Wrong username or password.',
    households: 'Households', outbox: 'Outbox', pending: '{n} waiting', lastSync: 'Last sync', never: 'never',
    syncNow: 'Sync now', syncing: 'Syncing…', offline: 'Offline', online: 'Online',
    sortDue: 'By due date', sortDistance: 'By distance', due: 'Due', overdue: 'Overdue', lastVisit: 'Last visit',
    noVisit: 'No visit yet', distance: 'Distance', noLocation: 'Location unavailable',
    noHouseholds: 'No households yet. Connect and sync.', address: 'Address', category: 'Category',
    openCases: 'Open demands', fillVisit: 'Record a visit', fill: 'Fill', visitsHere: 'Visits from this phone',
    sent: 'Sent', waiting: 'Waiting', failed: 'Rejected', none: 'None', lastCounted: 'Last counted visit',
    back: 'Back', saved: 'Saved to the outbox.', noForm: 'The form is not downloaded yet. Connect and sync.',
    loadingForm: 'Loading the form…', retry: 'Retry', remove: 'Delete', removeConfirm: 'Delete this visit? This cannot be undone.',
    outboxEmpty: 'Nothing waiting.', attempts: '{n} attempts', nextTry: 'Next try', otherUser: 'Belongs to {u}',
    map: 'Location', updateReady: 'A new version is ready.', update: 'Update', language: '中文', dueNow: 'Due now', noNetwork: 'Waiting for a network', photos: '{n} photo(s)', syncFailed: 'Sync failed', savedAt: 'Saved', search: 'Search code, head or address',
    categories: { ordinary: 'Ordinary', low_income: 'Low income', elderly_alone: 'Elderly alone', disabled: 'Disabled', left_behind: 'Left-behind' }
  }
}

export const lang = ref(localStorage.getItem('lianhu.lang') === 'en' ? 'en' : 'zh')

export function setLang (value) {
  lang.value = value
  localStorage.setItem('lianhu.lang', value)
  document.documentElement.lang = value === 'en' ? 'en' : 'zh-CN'
}

export function t (key, params = {}) {
  const value = key.split('.').reduce((obj, k) => obj?.[k], messages[lang.value]) ??
    key.split('.').reduce((obj, k) => obj?.[k], messages.zh) ?? key
  return typeof value === 'string' ? value.replace(/\{(\w+)\}/g, (_, k) => params[k] ?? '') : value
}

export function formatTime (iso) {
  if (!iso) return t('never')
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return String(iso)
  return d.toLocaleString(lang.value === 'en' ? 'en-GB' : 'zh-CN', { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' })
}

export function formatDate (iso) {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return String(iso)
  return d.toLocaleDateString(lang.value === 'en' ? 'en-GB' : 'zh-CN')
}
