// The form engine's own UI texts in Chinese. @getodk/web-forms 0.22 writes them as literals in its
// templates (no locale prop, no message catalogue), so formEngine.js replaces them in the DOM it renders.
// Exact texts (trimmed) first, then patterns for texts that carry a number. The PrimeVue components it
// uses take theirs from a locale table (primeLocale.js). scripts/engine-strings.mjs reads both tables from
// the pinned bundle and lists any text missing here (tests/fieldapp/test_engine_strings.py).
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
    'Unknown error': '未知错误', 'Close': '关闭', 'Technical error details': '技术细节',
    // rarely seen: map questions (geoshape, geotrace, placement-map), media, ranking, errors
    Latitude: '纬度', Longitude: '经度', Altitude: '海拔', Accuracy: '精度', 'Latitude is invalid': '纬度无效',
    'Longitude is invalid': '经度无效', 'Import data to replace location': '导入数据替换位置',
    'Delete entire shape?': '删除整个图形？', 'Delete entire trace?': '删除整条轨迹？',
    'Are you sure you want to delete this entire shape and start over?': '确定删除整个图形并重新开始吗？',
    'Are you sure you want to delete this entire trace and start over?': '确定删除整条轨迹并重新开始吗？',
    'Remove selection': '取消选择', 'Save selected': '保存所选', 'No trace saved': '尚未保存轨迹',
    'No shape saved': '尚未保存图形', 'Trace saved': '已保存轨迹', 'Shape saved': '已保存图形', 'Feature saved': '已保存',
    'Capturing location...': '正在获取位置…', 'Remove point': '删除点', 'View details': '查看详情', Advanced: '高级',
    'File is empty.': '文件是空的。', 'Unsupported file type. Please upload a .geojson file.': '不支持的文件类型，请上传 .geojson 文件。',
    'Failed to parse file. Ensure it is a valid GeoJSON.': '无法读取文件，请确认是有效的 GeoJSON。',
    'Incorrect geometry type.': '几何类型不正确。', 'Paste data in ODK format': '粘贴 ODK 格式的数据',
    'Enter as: Lat Long Alt Acc (e.g. 45.5 -122.6 15 2; 45.6 -122.7 12 3)': '格式：纬度 经度 海拔 精度（例如 45.5 -122.6 15 2; 45.6 -122.7 12 3）',
    'Upload a GeoJSON file': '上传 GeoJSON 文件', 'Upload file': '上传文件', 'Press and drag to move a point': '按住拖动以移动点',
    'Tap to place a point': '点击地图放置点', 'Tap to move point': '点击以移动点',
    'Use the location button to center on your current location': '点击定位按钮，以当前位置为中心',
    'Change language': '切换语言', 'Cannot fetch media. Verify the URL and fetch settings.': '无法获取媒体文件，请检查地址和设置。',
    'Expected request status to be SUCCESS': '请求没有成功', 'Unable to load map': '无法加载地图', 'Rank items': '排序',
    Okay: '确定', '🚧 Support for non-image uploads is pending. 🚧': '暂不支持上传图片以外的文件。',
    'Error occurred while retrieving background location.': '后台获取位置时出错。'
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
    [/^([\d.]+) m$/, '$1 米'],
    [/^(\d+) points saved$/, '已保存 $1 个点'],
    [/^Media not found\. File: (.*)$/, '找不到媒体文件：$1'],
    [/^Cannot fetch media\. Unknown error\. File: (.*)$/, '无法获取媒体文件（未知错误）：$1'],
    [/^Failed to load audio\. File: (.*)$/, '无法加载音频：$1'],
    [/^Failed to load image\. File: (.*)$/, '无法加载图片：$1'],
    [/^Failed to load video\. File: (.*)$/, '无法加载视频：$1'],
    [/^Failed to find option for value: (.*)$/, '找不到值对应的选项：$1'],
    [/^Expected model-only node\. Got node with type: (.*)$/, '表单结构有误（节点类型 $1）'],
    [/^Expected text-renderable value type\. Got: (.*)$/, '表单结构有误（值类型 $1）']
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

/** Engine literals that stay as they are: the logo's alt text (a name). */
export const IGNORED = new Set(['ODK'])
