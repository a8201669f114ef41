"""Why a visit or an answer is flagged: one table of reason codes with Chinese and English text.

A flag is a dict ``{"code": ..., **params}`` kept in ``submissions.geo_flags``; ``reason_text``
renders it for a page in the interface language. ``geo_reason_text`` renders the one-line
``submissions.geo_reason`` that geo.py writes for a plain location check (far, low accuracy ...).
Pages, the review queue, the API and exports import this module; nothing else spells a reason out.
"""
import re

from flask_babel import lazy_gettext as _l

#: code -> (Chinese, English); the texts are str.format templates over the flag's params
REASONS: dict[str, tuple[str, str]] = {
    # what one record shows by itself
    "mock_location": ("设备报告了模拟位置", "the device reported a mock location"),
    "accuracy_zero": ("定位精度恰为 0 米（模拟定位软件的特征）", "accuracy exactly 0 m (a mock location provider)"),
    "clock_future": ("采集时间晚于服务器接收时间（设备时钟有误）", "captured after it was received (device clock)"),
    "offline_too_long": ("采集时间比接收时间早 {days} 天以上", "captured more than {days} days before it was received"),
    "clock_skew": ("设备时钟与服务器时间相差 {minutes} 分钟", "the device clock is {minutes} min off the server's"),
    "reference_copy": ("定位与农户登记位置完全相同（疑似复制坐标）",
                       "the fix equals the household's reference location (copied coordinates)"),
    "short_visit": ("走访表单从打开到完成仅用 {seconds} 秒，少于 {minimum} 秒",
                    "the form was open only {seconds} s, less than {minimum} s"),
    "late_entry": ("补录：采集时间所在的 {period} 已于 {closed} 结束，超过宽限期才收到，需管理员审核后计入",
                   "late entry: {period} closed on {closed} and it arrived after the grace period; "
                   "it counts once a manager approves it"),
    "anchor_outside": ("首次走访定位不在本村范围内（{detail}），未作为农户位置",
                       "the first-visit fix lies outside the village ({detail}); the household is not anchored"),
    # what a record shows beside its neighbours (re-evaluated when neighbours arrive)
    "speed": ("与{side}一次走访相距 {km} 公里、间隔 {minutes} 分钟（直线速度 {kmh} 公里/小时，上限 {limit}）",
              "{km} km from the {side_en} visit in {minutes} min ({kmh} km/h, limit {limit})"),
    "two_devices": ("同一账号在两部手机上交替使用：与{side}一条记录来自另一部手机，{minutes} 分钟内相距 {km} 公里",
                    "one account on two phones: the {side_en} record came from another phone {km} km away "
                    "within {minutes} min"),
    "repeated_pin": ("与另一户（{other}）的走访定位坐标完全相同", "the same coordinates as a visit to another household ({other})"),
    "constant_accuracy": ("连续 {n} 次定位的精度完全相同（{accuracy} 米）", "{n} fixes in a row with the same accuracy ({accuracy} m)"),
    "altitude_zero": ("海拔恰为 0，而该设备的其他定位都有海拔", "altitude exactly 0 where this device reports altitude"),
    "burst": ("{window} 分钟内在同一地点走访了 {n} 户（上限 {maximum} 户）",
              "{n} households within {window} min from one spot (at most {maximum})"),
    # resident answers (satisfaction)
    "resident_cadre_device": ("答卷来自被测评干部使用过的设备", "answered from a device the rated cadre uses"),
    "resident_cadre_network": ("答卷来自被测评干部使用过的网络地址", "answered from a network address the rated cadre uses"),
    "resident_burst": ("同一浏览器在 {minutes} 分钟内提交了 {n} 份答卷", "{n} answers from one browser within {minutes} min"),
    "resident_too_fast": ("答卷用时仅 {seconds} 秒", "answered in only {seconds} s"),
}

#: code -> (Chinese, English) short names, for counts (scorecards, exports)
SHORT: dict[str, tuple[str, str]] = {
    "mock_location": ("模拟定位", "mock location"), "accuracy_zero": ("精度为 0", "accuracy 0"),
    "clock_future": ("时钟超前", "clock ahead"), "offline_too_long": ("离线过久", "offline too long"),
    "clock_skew": ("设备时钟偏差", "clock skew"), "reference_copy": ("复制登记坐标", "copied reference"),
    "short_visit": ("走访过短", "visit too short"), "late_entry": ("补录", "late entry"),
    "anchor_outside": ("首访定位在村外", "anchor outside village"), "speed": ("移动速度异常", "impossible speed"),
    "two_devices": ("一号多机", "one account, two phones"), "repeated_pin": ("坐标重复", "repeated pin"),
    "constant_accuracy": ("精度恒定", "constant accuracy"), "altitude_zero": ("海拔为 0", "altitude 0"),
    "burst": ("集中突击走访", "burst"), "resident_cadre_device": ("干部设备代答", "cadre's device"),
    "resident_cadre_network": ("干部网络代答", "cadre's network"), "resident_burst": ("同一浏览器多次答卷", "browser burst"),
    "resident_too_fast": ("答卷过快", "too fast"),
}


def short_name(code: str, locale: str = "zh") -> str:
    """A reason's short name in the given language."""
    names = SHORT.get(code)
    if names is None:
        return code
    return names[0] if (locale or "zh").startswith("zh") else names[1]


_SIDES = {"before": ("前", "previous"), "after": ("后", "next")}


def reason_text(flag: dict, locale: str = "zh") -> str:
    """The flag's reason in the given language (zh or en); unknown codes show as themselves."""
    code = flag.get("code", "")
    texts = REASONS.get(code)
    if texts is None:
        return str(code)
    params = {k: v for k, v in flag.items() if k != "code"}
    side = _SIDES.get(params.get("side"), ("", ""))
    params.setdefault("side", side[0])
    params["side"], params["side_en"] = side
    template = texts[0] if (locale or "zh").startswith("zh") else texts[1]
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template.split("{")[0].rstrip("（(：: ") or code


def reasons_text(flags, locale: str = "zh") -> list[str]:
    """Every flag of a submission as text."""
    return [reason_text(f, locale) for f in flags or [] if isinstance(f, dict)]


#: Why a location check came out as it did: one row per reason, (code, how geo.py words it, what the
#: page shows). A stored reason is either the code itself or geo.py's English sentence; the named groups
#: of the pattern fill the message. Add a row for each new kind of flag.
GEO_REASONS = [
    ("no_fix", r"no location was captured", _l("No location was captured.")),
    ("no_household", r"no household to compare with", _l("No household to compare the location with.")),
    ("no_accuracy", r"the accuracy was not reported", _l("The phone did not report the accuracy.")),
    ("low_accuracy", r"accuracy (?P<accuracy>[\d.]+) m is worse than (?P<limit>[\d.]+) m",
     _l("Accuracy %(accuracy)s m is worse than the %(limit)s m allowed.")),
    ("anchored", r"the household had no reference location; this visit sets it",
     _l("The household had no reference location; this visit set it.")),
    ("far", r"(?P<distance>[\d.]+) m from the household \(accuracy (?P<accuracy>[\d.]+) m\)",
     _l("%(distance)s m from the household (accuracy %(accuracy)s m).")),
    ("mock_location", r"the device reported a mock location", _l("The phone reported a mock (fake) location.")),
    ("zero_accuracy", r"accuracy exactly 0 \(a mock location provider\)",
     _l("Accuracy exactly 0 m, as a fake-location app reports it.")),
    ("future_clock", r"captured_at is in the future \(device clock\)",
     _l("The capture time is in the future (the phone's clock is wrong).")),
    ("late_entry", r"captured_at is more than (?P<days>\d+) days before it was received",
     _l("Captured more than %(days)s days before it was received.")),
    ("speed", r"(?P<km>[\d.]+) km from the previous visit in (?P<minutes>\d+) min \((?P<speed>\d+) km/h\)",
     _l("%(km)s km from the previous visit in %(minutes)s min (%(speed)s km/h): faster than possible on the road.")),
]
_REASON_PATTERNS = [(code, re.compile(pattern), message) for code, pattern, message in GEO_REASONS]


def geo_reason_text(reason) -> str:
    """A stored geo_reason (a code, geo.py's sentence, or a flag's English text; several joined by '; ')
    in the page's language."""
    if not reason:
        return ""
    out = []
    for part in str(reason).split("; "):
        for code, pattern, message in _REASON_PATTERNS:
            match = pattern.fullmatch(part.strip())
            if part.strip() == code or match:
                out.append(str(message) % (match.groupdict() if match else {}) if match else
                           str(message).split("%(")[0].rstrip(" ,:") or part)
                break
        else:
            out.append(part)
    return " ".join(out)
