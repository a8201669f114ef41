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
    drafts: '草稿', draftsCount: '草稿 {n} 份', draftsEmpty: '没有草稿。', resume: '继续填写', draftSaved: '已自动保存草稿',
    draftFrom: '草稿', deleteDraftConfirm: '删除这份草稿？', leaveConfirm: '这次走访还没有提交。已填写的内容保存为草稿，可以稍后继续。现在离开吗？',
    caseForbidden: '您无权办理这条诉求。', caseGone: '找不到这条诉求，可能已不由您负责。', caseMoved: '这条诉求的状态已经变化，请同步后再看。',
    resultPhoto: '办结照片（可选）', metres: '{n} 米', verdict: '核查结果', verdictPending: '等待核查结果', reasonLabel: '原因',
    geo: { verified: '位置已核实', far: '距离农户过远', low_accuracy: '定位精度低', no_fix: '没有定位', anchored: '已设为该户参考位置', suspect: '位置可疑' },
    review: { received: '已收到', has_issues: '有问题', approved: '已通过', rejected: '被退回', edited: '已修改' },
    cases: '诉求', casesTitle: '我的诉求', casesEmpty: '没有待办的诉求。', casesOverdue: '已逾期', casesDueSoon: '即将到期', casesOpen: '待办',
    casesDone: '已办结', claim: '认领', resolve: '办结', resolveNote: '办理情况', resolveSubmit: '确认办结', cancel: '取消',
    queued: '待同步', dueAt: '期限', microWish: '微心愿', casesOf: '本户诉求', noteRequired: '请填写办理情况。',
    caseStatus: { open: '待认领', claimed: '已认领', resolved: '已办结', confirmed: '群众已确认', reopened: '重新办理' },
    caseChange: { claimed: '认领诉求', resolved: '办结诉求' },
    categories: { ordinary: '一般户', low_income: '困难户', elderly_alone: '独居老人', disabled: '残疾人户', left_behind: '留守户' },
    refusedStatus: '服务器拒绝了请求（{n}）。',
    // the server's refusals by their stable problem id (server/errors.py), for an item sent in the other language
    problems: {
      'submission.household_forbidden': '您无权为这户提交走访记录，该户可能已改由他人联系。',
      'submission.household_unknown': '提交中没有已知的农户。', 'submission.conflict': '服务器上已有一份编号相同但内容不同的提交。',
      'submission.invalid': '无法读取这份提交。', 'submission.not_found': '找不到要修改的那份提交。',
      'request.validation': '有些答案缺失或无效。', 'request.invalid': '提交的内容格式有误。', 'request.too_large': '提交的内容太大。',
      'form.closed': '这个表单已关闭，不再接收提交。', 'form.not_found': '这个表单版本已撤回或不存在，请同步后用新版本重新填写。',
      'attachment.mismatch': '附件与声明的校验值或大小不一致。', 'auth.token_invalid': '登录令牌无效或已被撤销，请重新登录。',
      'auth.forbidden': '您的角色无权进行此操作。', 'auth.throttled': '登录失败次数过多，请稍后再试。',
      'case.transition_invalid': '这条诉求的状态已经变化，请同步后再看。', 'resource.not_found': '找不到所请求的内容。',
      'server.error': '服务器出错了；手机会保留这条记录，稍后自动重试。'
    }
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
    drafts: 'Drafts', draftsCount: '{n} draft(s)', draftsEmpty: 'No drafts.', resume: 'Resume', draftSaved: 'Draft saved',
    draftFrom: 'Draft', deleteDraftConfirm: 'Delete this draft?', leaveConfirm: 'This visit is not sent yet. What you entered is kept as a draft to finish later. Leave now?',
    caseForbidden: 'You may not work on this case.', caseGone: 'This case is no longer yours or does not exist.', caseMoved: 'This case has changed meanwhile; sync and look again.',
    resultPhoto: 'Photo of the result (optional)', metres: '{n} m', verdict: 'Verdict', verdictPending: 'Waiting for the verdict', reasonLabel: 'Reason',
    geo: { verified: 'Location verified', far: 'Too far from the household', low_accuracy: 'Low accuracy', no_fix: 'No location', anchored: 'Set as the household location', suspect: 'Suspect location' },
    review: { received: 'Received', has_issues: 'Has issues', approved: 'Approved', rejected: 'Rejected', edited: 'Edited' },
    cases: 'Cases', casesTitle: 'My cases', casesEmpty: 'No cases to work on.', casesOverdue: 'Overdue', casesDueSoon: 'Due soon', casesOpen: 'To do',
    casesDone: 'Done', claim: 'Claim', resolve: 'Resolve', resolveNote: 'What was done', resolveSubmit: 'Resolve', cancel: 'Cancel',
    queued: 'Waiting to sync', dueAt: 'Due', microWish: 'Micro-wish', casesOf: 'Cases of this household', noteRequired: 'Please say what was done.',
    caseStatus: { open: 'Open', claimed: 'Claimed', resolved: 'Resolved', confirmed: 'Confirmed by the family', reopened: 'Reopened' },
    caseChange: { claimed: 'Claim a case', resolved: 'Resolve a case' },
    categories: { ordinary: 'Ordinary', low_income: 'Low income', elderly_alone: 'Elderly alone', disabled: 'Disabled', left_behind: 'Left-behind' },
    refusedStatus: 'The server refused the request ({n}).',
    problems: {
      'submission.household_forbidden': 'You may not submit for this household; it may be linked to another cadre now.',
      'submission.household_unknown': 'The submission names no known household.',
      'submission.conflict': 'A different submission with this instanceID exists.',
      'submission.invalid': 'The submission could not be read.', 'submission.not_found': 'The submission to edit was not found.',
      'request.validation': 'Some answers are missing or not valid.', 'request.invalid': 'The request is not valid.',
      'request.too_large': 'The request body is too large.', 'form.closed': 'This form is closed and accepts no submissions.',
      'form.not_found': 'This form version was withdrawn or does not exist; sync and fill it again with the new version.',
      'attachment.mismatch': 'The attachment does not match its declared hash or size.',
      'auth.token_invalid': 'This token is not valid or was revoked.', 'auth.forbidden': 'Your role may not do this.',
      'auth.throttled': 'Too many failed sign-ins; try again later.',
      'case.transition_invalid': 'This case has changed meanwhile; sync and look again.', 'resource.not_found': 'Not found.',
      'server.error': 'Something went wrong on the server; the phone keeps the item and tries again later.'
    }
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

/** Why the server refused an outbox item, in the interface language: the server's own message when it
 * was given in this language (it names the facts), else the app's text for its problem id or status. */
export function refusalText (item) {
  if (item.message_key) return t(item.message_key)
  const sameLang = !item.message_lang || item.message_lang === lang.value
  if (item.message && sameLang) return item.message
  const own = item.problem && messages[lang.value].problems[item.problem]
  if (own) return own
  if (item.http_status && (!item.message || !sameLang)) return t('refusedStatus', { n: item.http_status })
  return item.message || ''
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

// The server's geo reasons are English sentences (server/geo.py): shown in Chinese when the app is.
const REASONS = [
  [/^the device reported a mock location$/, '设备报告了模拟位置'],
  [/^accuracy exactly 0 \(a mock location provider\)$/, '精度恰好为 0（模拟定位）'],
  [/^captured_at is in the future \(device clock\)$/, '采集时间晚于当前时间（手机时钟不准）'],
  [/^captured_at is more than (\d+) days before it was received$/, '采集时间比接收时间早 $1 天以上'],
  [/^([\d.]+) km from the previous visit in (\d+) min \((\d+) km\/h\)$/, '距上一次走访 $1 公里，用时 $2 分钟（$3 公里/小时）'],
  [/^(\d+) m from the household \(accuracy ([\d.]+) m\)$/, '距农户 $1 米（精度 $2 米）'],
  [/^no location was captured$/, '没有采集到位置'],
  [/^no household to compare with$/, '没有可比对的农户'],
  [/^the accuracy was not reported$/, '没有报告定位精度'],
  [/^accuracy ([\d.]+) m is worse than ([\d.]+) m$/, '精度 $1 米，差于 $2 米'],
  [/^the household had no reference location; this visit sets it$/, '该户原来没有参考位置，本次走访设定了它']
]

export function reasonText (reason) {
  if (!reason || lang.value === 'en') return reason || ''
  for (const [pattern, zh] of REASONS) if (pattern.test(reason)) return reason.replace(pattern, zh)
  return reason
}
