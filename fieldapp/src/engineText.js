// The form engine's own UI texts in Chinese. @getodk/web-forms 0.22 writes them as literals in its
// templates (no locale prop, no message catalogue), so formEngine.js replaces them in the DOM it renders.
// Exact texts (trimmed) first, then patterns for texts that carry a number.
export const EXACT = {
  zh: {
    Send: '提交', 'Get location': '获取位置', 'Finding your location': '正在获取位置', 'Save location': '保存位置',
    Cancel: '取消', 'Retry': '重试', 'Try again': '重试', 'Good accuracy': '精度良好', 'Poor accuracy': '精度较差',
    'Unknown accuracy': '精度未知', 'Time taken to capture location:': '获取位置用时：', 'Choose image': '选择图片',
    'Take picture': '拍照', 'Choose file': '选择文件', 'No file chosen': '未选择文件', Add: '添加', Remove: '删除',
    Delete: '删除', 'Repeat Item': '重复项', 'Powered by': '技术支持', 'Condition not satisfied: required': '此项必填',
    'Condition not satisfied: constraint': '答案不符合要求', 'Cannot access location': '无法获取位置',
    'Grant location permission in the browser settings and make sure location is turned on.': '请在浏览器设置中允许定位，并打开手机定位。',
    'Location unavailable. Enable GPS and browser permissions, then restart the form to try again.': '无法获取位置。请打开定位并允许浏览器定位，然后重新打开表单。',
    'An error occurred while loading this form': '加载表单时出错', 'No error trace available.': '没有错误详情。',
    'Captured image preview': '照片预览', 'change language': '切换语言', 'Select': '请选择', 'Search': '搜索',
    'No results found': '没有结果', 'No available options': '没有可选项', 'Clear': '清除', 'Save': '保存',
    'Point saved': '已保存位置', 'No point saved': '尚未保存位置', 'Full Screen': '全屏', 'Zoom to current location': '缩放到当前位置',
    'Zoom to fit': '缩放到全部', 'Undo last change': '撤销上一步', 'Choose Date': '选择日期', Today: '今天',
    'Unknown error': '未知错误', 'Close': '关闭', 'Technical error details': '技术细节'
  }
}

export const PATTERNS = {
  zh: [
    [/^(\d+) question with error\.$/, '$1 个问题有错误。'],
    [/^(\d+) questions with errors\.$/, '$1 个问题有错误。'],
    [/^([\d.]+) m - Good accuracy$/, '$1 米 - 精度良好'],
    [/^([\d.]+) m - Poor accuracy$/, '$1 米 - 精度较差'],
    [/^([\d.]+) m - Unknown accuracy$/, '$1 米 - 精度未知'],
    [/^Location will be saved at ([\d.]+) m$/, '精度达到 $1 米时自动保存'],
    [/^Previous saved location at ([\d.]+) m$/, '上次保存的位置精度 $1 米'],
    [/^Accuracy: ([\d.]+) m,$/, '精度：$1 米，'],
    [/^Latitude: (-?[\d.]+),$/, '纬度：$1，'],
    [/^Longitude: (-?[\d.]+)\.$/, '经度：$1。'],
    [/^([\d.]+) m$/, '$1 米']
  ]
}

/** The Chinese (or other) text for an engine text, or null when it has none. */
export function engineText (lang, text) {
  const exact = EXACT[lang]
  if (!exact) return null
  const trimmed = text.trim()
  if (!trimmed) return null
  const hit = exact[trimmed]
  if (hit) return text.replace(trimmed, hit)
  for (const [pattern, replacement] of PATTERNS[lang]) {
    if (pattern.test(trimmed)) return text.replace(trimmed, trimmed.replace(pattern, replacement))
  }
  return null
}
