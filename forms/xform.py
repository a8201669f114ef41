"""Reading ODK XForms: the form's identity, its media files and its fields."""

import re
from dataclasses import dataclass

from lxml import etree

from forms.errors import FormError

NS = {
    "xf": "http://www.w3.org/2002/xforms",
    "h": "http://www.w3.org/1999/xhtml",
    "jr": "http://openrosa.org/javarosa",
}
JR = "{%s}" % NS["jr"]

#: XForm bind types to pyxform question types (for inputs and hidden fields).
BIND_TYPES = {
    "string": "text", "int": "integer", "decimal": "decimal", "date": "date",
    "dateTime": "datetime", "time": "time", "geopoint": "geopoint",
    "geotrace": "geotrace", "geoshape": "geoshape", "barcode": "barcode",
    "binary": "file", "boolean": "boolean",
}
UPLOAD_TYPES = {"image": "image", "audio": "audio", "video": "video"}
MEDIA_FORMS = {"image", "big-image", "audio", "video"}
CONTROLS = {
    "input", "select1", "select", "upload", "trigger", "range", "rank",
    "group", "repeat",
}
LANG_CODE_RE = re.compile(r"\(([A-Za-z][A-Za-z0-9_-]*)\)\s*$")
INSTANCE_REF_RE = re.compile(r"""instance\(\s*['"]([^'"]+)['"]\s*\)""")
ITEXT_REF_RE = re.compile(r"""jr:itext\(\s*['"]([^'"]+)['"]\s*\)""")


@dataclass
class Field:
    """One question, group or repeat of a form, addressed by its path below the root."""

    path: str
    name: str
    type: str
    labels: dict
    required: bool = False
    choices: list | None = None
    itemset_file: str | None = None
    repeat: str | None = None
    #: The field's XPath relevance, or an enclosing group's; None when always shown.
    relevant: str | None = None


def parse_xform(xml) -> etree._Element:
    """Parse XForm XML safely (no entities, no network) and return the root element."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as err:
        raise FormError(f"The XForm is not well-formed XML: {err}") from err
    if root.find("h:head/xf:model", NS) is None:
        raise FormError("The XForm has no h:head/model element.")
    return root


def form_info(xml) -> dict:
    """Return the form id, version, title and media file names of an XForm."""
    html = parse_xform(xml)
    data = primary_instance_root(html)
    title = html.findtext("h:head/h:title", default="", namespaces=NS).strip()
    return {
        "form_id": data.get("id"),
        "version": data.get("version"),
        "title": title,
        "media": _media(html),
    }


def parse_fields(xml) -> list[Field]:
    """List the fields of an XForm, in form order, meta fields excluded."""
    html = parse_xform(xml)
    model = html.find("h:head/xf:model", NS)
    data = primary_instance_root(html)
    base = "/" + etree.QName(data).localname
    binds = {b.get("nodeset"): b for b in model.iterfind("xf:bind", NS)}
    controls = {}
    for el in html.find("h:body", NS).iter():
        if isinstance(el.tag, str) and etree.QName(el).localname in CONTROLS:
            ref = el.get("ref") or el.get("nodeset")
            if ref:
                controls.setdefault(ref, []).append(el)
    reader = _FieldReader(model, binds, controls, _translations(model))
    fields: list[Field] = []
    reader.walk(data, base, "", None, None, fields)
    return fields


class _FieldReader:
    """Walks the primary instance and describes each node from its bind and control."""

    def __init__(self, model, binds, controls, translations):
        self.model, self.binds, self.controls = model, binds, controls
        self.translations = translations

    def walk(self, parent, xpath, path, repeat, relevant, out):
        seen = set()
        for el in parent:
            if not isinstance(el.tag, str):
                continue
            name = etree.QName(el).localname
            if name in seen or (not path and name == "meta"):
                continue  # repeat copies after the template; the meta block
            seen.add(name)
            child_xpath, child_path = f"{xpath}/{name}", f"{path}{name}"
            controls = self.controls.get(child_xpath, [])
            is_repeat = el.get(JR + "template") is not None or any(
                etree.QName(c).localname == "repeat" for c in controls
            )
            bind = self.binds.get(child_xpath)
            own = bind.get("relevant") if bind is not None else None
            inherited = f"({relevant}) and ({own})" if own and relevant else own or relevant
            if is_repeat or len(el):
                field = Field(
                    path=child_path, name=name, type="repeat" if is_repeat else "group",
                    labels=self._labels(controls), repeat=repeat, relevant=inherited,
                )
                out.append(field)
                inner = child_path if is_repeat else repeat
                self.walk(el, child_xpath, child_path + "/", inner, inherited, out)
            else:
                field = self._leaf(bind, child_path, name, controls, repeat)
                field.relevant = inherited
                out.append(field)

    def _leaf(self, bind, path, name, controls, repeat):
        control = controls[0] if controls else None
        field = Field(
            path=path, name=name, type=self._type(bind, control),
            labels=self._labels(controls),
            required=bind is not None and bind.get("required", "").strip() == "true()",
            repeat=repeat,
        )
        if control is not None and field.type in ("select_one", "select_multiple", "rank"):
            field.choices, field.itemset_file = self._choices(control)
        return field

    def _type(self, bind, control):
        bind = bind if bind is not None else etree.Element("bind")
        bind_type = (bind.get("type") or "string").split(":")[-1]
        kind = etree.QName(control).localname if control is not None else None
        if kind == "select1":
            return "select_one"
        if kind == "select":
            return "select_multiple"
        if kind == "upload":
            media = (control.get("mediatype") or "").split("/")[0]
            return UPLOAD_TYPES.get(media, "file")
        if kind in ("range", "rank"):
            return kind
        if kind == "trigger":
            return "acknowledge"
        if kind is None:
            if bind.get("calculate") is not None:
                return "calculate"
            preload = bind.get(JR + "preloadParams")
            if bind.get(JR + "preload") in ("timestamp", "property", "date") and preload:
                return preload  # start, end, today, deviceid, username, ...
        elif bind.get("readonly", "").strip() == "true()" and bind.get("calculate") is None:
            if bind_type == "string":
                return "note"
        return BIND_TYPES.get(bind_type, "text")

    def _labels(self, controls):
        for control in controls:
            label = control.find("xf:label", NS)
            if label is not None:
                return self._text(label.get("ref"), label)
        return {}

    def _text(self, ref, element=None):
        """Labels by language for an itext reference, or the element's inline text."""
        match = ITEXT_REF_RE.search(ref or "")
        if match:
            return {
                lang: texts[match.group(1)]
                for lang, texts in self.translations.items()
                if match.group(1) in texts
            }
        text = "".join(element.itertext()).strip() if element is not None else ""
        return {"default": text} if text else {}

    def _choices(self, control):
        items = control.findall("xf:item", NS)
        if items:
            return [
                {
                    "name": item.findtext("xf:value", default="", namespaces=NS).strip(),
                    "labels": self._labels([item]),
                }
                for item in items
            ], None
        itemset = control.find("xf:itemset", NS)
        match = INSTANCE_REF_RE.search(itemset.get("nodeset", "")) if itemset is not None else None
        if match is None or itemset.find("xf:value", NS) is None:
            return None, None  # choices from the form's own answers
        instance = _secondary_instance(self.model, match.group(1))
        if instance is None:
            return None, None
        if instance.get("src"):
            return None, _media_name(instance.get("src"))
        value_ref = itemset.find("xf:value", NS).get("ref", "name")
        label = itemset.find("xf:label", NS)
        label_ref = label.get("ref", "label") if label is not None else "label"
        choices = []
        for item in instance.iterfind("xf:root/xf:item", NS):
            labels = {}
            if label_ref.startswith("jr:itext("):
                itext_id = item.findtext("xf:itextId", default="", namespaces=NS)
                labels = self._text(f"jr:itext('{itext_id}')")
            else:
                labels = self._text(None, item.find(f"xf:{label_ref}", NS))
            choices.append(
                {"name": item.findtext(f"xf:{value_ref}", default="", namespaces=NS), "labels": labels}
            )
        return choices, None


def lang_code(lang: str) -> str:
    """'中文 (zh)' -> 'zh'; a language name without a code is kept whole."""
    match = LANG_CODE_RE.search(lang)
    return match.group(1) if match else lang


def _translations(model) -> dict:
    """{lang code: {itext id: text}} from the model's itext block (plain text forms only)."""
    out = {}
    for translation in model.iterfind("xf:itext/xf:translation", NS):
        texts = out.setdefault(lang_code(translation.get("lang", "default")), {})
        for text in translation.iterfind("xf:text", NS):
            for value in text.iterfind("xf:value", NS):
                if value.get("form") in (None, "long", "short"):
                    texts[text.get("id")] = "".join(value.itertext()).strip()
                    break
    return out


def primary_instance_root(html) -> etree._Element:
    """The root element of a parsed XForm's primary (first) instance."""
    instance = html.find("h:head/xf:model/xf:instance", NS)
    root = next((el for el in instance if isinstance(el.tag, str)), None) if instance is not None else None
    if root is None or not root.get("id"):
        raise FormError("The XForm has no primary instance with an id attribute.")
    return root


def _secondary_instance(model, instance_id):
    for instance in model.iterfind("xf:instance", NS):
        if instance.get("id") == instance_id:
            return instance
    return None


def _media_name(uri: str) -> str | None:
    """'jr://file-csv/households.csv' -> 'households.csv'; None for non-file URIs."""
    match = re.match(r"^jr://(?:file|file-csv|images|audio|video)/(.+)$", uri.strip())
    return match.group(1) if match else None


def _media(html) -> list[str]:
    """File names a device must download with the form, in order of first mention."""
    names = []
    model = html.find("h:head/xf:model", NS)
    for instance in model.iterfind("xf:instance", NS):
        if instance.get("src"):
            names.append(_media_name(instance.get("src")))
    for value in model.iterfind("xf:itext/xf:translation/xf:text/xf:value", NS):
        if value.get("form") in MEDIA_FORMS and value.text:
            names.append(_media_name(value.text))
    return list(dict.fromkeys(n for n in names if n))
