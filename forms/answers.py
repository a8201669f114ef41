"""Submissions: parse instance XML safely, flatten answers, validate JSON answers, build XML."""

from dataclasses import dataclass

from lxml import etree

from forms.errors import InstanceError
from forms.validation import parse_geopoint, validate_answers
from forms.xform import JR, parse_fields, parse_xform, primary_instance_root

JR_TEMPLATE = JR + "template"
#: Namespace prefixes declared on a submission's root, as ODK clients do.
SUBMISSION_PREFIXES = ("jr", "orx", "odk")

__all__ = [
    "Instance", "build_instance_xml", "parse_geopoint", "parse_instance", "validate_answers",
]


@dataclass
class Instance:
    """A parsed submission: identity, flat answers, and the XML it came from."""

    form_id: str
    version: str | None
    instance_id: str
    deprecated_id: str | None
    answers: dict
    xml: bytes


def parse_instance(xml: bytes, fields=None) -> Instance:
    """Parse submission XML safely into an Instance; pass the form's fields to place repeats.

    Without `fields`, an element with children is a repeat only when it occurs more than
    once among its siblings, so a repeat answered once looks like a group.
    """
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    if not isinstance(xml, bytes) or not xml.strip():
        raise InstanceError("The submission is empty.")
    root = _safe_parse(xml)
    form_id = root.get("id")
    if not form_id:
        raise InstanceError("The submission's root element has no id attribute (the form id).")
    meta = _child(root, "meta")
    instance_id = _text(_child(meta, "instanceID")) if meta is not None else None
    if not instance_id:
        raise InstanceError("The submission has no meta/instanceID.")
    deprecated_id = _text(_child(meta, "deprecatedID")) if meta is not None else None
    repeats = {f.path for f in fields if f.type == "repeat"} if fields is not None else None
    answers: dict = {}
    _flatten(root, "", "", repeats, answers, top=True)
    return Instance(
        form_id=form_id,
        version=root.get("version"),
        instance_id=instance_id.strip(),
        deprecated_id=deprecated_id.strip() if deprecated_id else None,
        answers=answers,
        xml=xml,
    )


def build_instance_xml(form_xml, answers: dict, instance_id: str,
                       deprecated_id: str | None = None) -> bytes:
    """Build the submission XML a device would send for these answers to this XForm."""
    html = parse_xform(form_xml)
    template = primary_instance_root(html)
    repeats = {f.path for f in parse_fields(form_xml) if f.type == "repeat"}
    nsmap = {p: uri for p, uri in html.nsmap.items() if p in SUBMISSION_PREFIXES}
    root = build_instance(template, fill_plan(template, repeats), nsmap, answers, instance_id, deprecated_id)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def format_value(value) -> str:
    """An answer as XML text: lists space-separated, geopoint dicts as 'lat lon alt acc'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return " ".join(format_value(v) for v in value)
    if isinstance(value, dict):  # a geopoint; altitude is 0 when only accuracy is known
        parts = [value.get(k) for k in ("lat", "lon", "altitude", "accuracy")]
        while parts and parts[-1] is None:
            parts.pop()
        return " ".join("0" if p is None else format_value(p) for p in parts)
    if isinstance(value, float):
        text = repr(value)
        return f"{value:f}" if "e" in text else text
    return str(value)


def _safe_parse(xml: bytes) -> etree._Element:
    """Parse without entities, DTDs or network; any DOCTYPE is refused."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
        dtd_validation=False, remove_comments=True, remove_pis=True,
    )
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as err:
        raise InstanceError(f"The submission is not well-formed XML: {err}") from err
    except ValueError as err:
        raise InstanceError(f"The submission could not be read as XML: {err}") from err
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise InstanceError("The submission declares a DTD or entities, which are not allowed.")
    if any(isinstance(el, etree._Entity) for el in root.iter()):
        raise InstanceError("The submission uses XML entities, which are not allowed.")
    return root


def _local(el) -> str:
    """An element's local name: its tag without the {namespace} (what etree.QName(el).localname
    gives, without building a QName: ingest asks this for every node of every instance)."""
    tag = el.tag
    return tag[tag.index("}") + 1:] if tag[:1] == "{" else tag


def _child(parent, name):
    """The first child element with this local name (any namespace), or None."""
    if parent is None:
        return None
    return next((c for c in parent if isinstance(c.tag, str) and _local(c) == name), None)


def _text(el) -> str | None:
    return el.text if el is not None and el.text and el.text.strip() else None


def _flatten(el, path, rel, repeats, out, top=False):
    """Add el's answers to out: keys relative to the enclosing repeat, repeats as lists."""
    children = [c for c in el if isinstance(c.tag, str)]
    names = [_local(c) for c in children]
    for child, name in zip(children, names):
        if (top and name == "meta") or child.get(JR_TEMPLATE) is not None:
            continue
        child_path, child_rel = f"{path}{name}", f"{rel}{name}"
        has_children = any(isinstance(c.tag, str) for c in child)
        if repeats is not None:
            is_repeat = child_path in repeats
        else:
            is_repeat = has_children and names.count(name) > 1
        if is_repeat:
            item: dict = {}
            _flatten(child, child_path + "/", "", repeats, item)
            if item:
                out.setdefault(child_rel, []).append(item)
        elif has_children:
            _flatten(child, child_path + "/", child_rel + "/", repeats, out)
        elif child.text is not None and child.text.strip() and child_rel not in out:
            out[child_rel] = child.text


#: kinds of a fill plan's steps
_LEAF, _GROUP, _REPEAT = 0, 1, 2


def fill_plan(template, repeats, path: str = "", rel: str = "") -> tuple:
    """The template's children as steps (kind, name, relative path, answers kept, flattened, inner
    steps), worked out once per form (the template walked once): fill_planned builds an instance from
    them, and can flatten it as _flatten would read it back, without walking the built tree.

    Every element of the template gets one in the instance, in order, except repeats (one per item
    of the answer's list; pyxform writes a template and a first copy, taken once); the root's meta
    group is built empty (ingest fills instanceID)."""
    steps, done = [], set()
    for node in template:
        if not isinstance(node.tag, str):
            continue
        name = _local(node)
        child_path, child_rel = f"{path}{name}", f"{rel}{name}"
        flattened = not (not path and name == "meta")  # _flatten(top=True) leaves the root's meta out
        if child_path in repeats:
            if name in done:
                continue  # pyxform writes a template and a first copy
            done.add(name)
            steps.append((_REPEAT, name, child_rel, True, flattened, fill_plan(node, repeats, child_path + "/", "")))
        elif any(isinstance(c.tag, str) for c in node):
            inner = fill_plan(node, repeats, child_path + "/", child_rel + "/")
            steps.append((_GROUP, name, child_rel, flattened, flattened, inner))  # the root's meta: no answers
        else:
            steps.append((_LEAF, name, child_rel, True, flattened, None))
    return tuple(steps)


def build_instance(template, steps: tuple, nsmap: dict, answers: dict, instance_id: str,
                   deprecated_id: str | None = None, flat: dict | None = None):
    """The instance element of these answers: the template's root (its attributes, the submission
    prefixes in nsmap), the steps filled (flat, when given, gets the answers as parse_instance reads
    them), and meta/instanceID (and deprecatedID, after it) set, made when the template has none."""
    root = etree.Element(etree.QName(template).localname, nsmap=nsmap)
    for key, value in template.attrib.items():
        root.set(key, value)
    fill_planned(steps, root, answers, flat)
    # built elements have no namespace: lxml finds them by tag (what _child would, without _local per child)
    meta = next(root.iterchildren("meta"), None)
    if meta is None:
        meta = etree.SubElement(root, "meta")
    id_node = next(meta.iterchildren("instanceID"), None)
    if id_node is None:
        id_node = etree.Element("instanceID")
        meta.insert(0, id_node)
    id_node.text = instance_id
    if deprecated_id:
        old = next(meta.iterchildren("deprecatedID"), None)
        if old is None:
            old = etree.Element("deprecatedID")
            id_node.addnext(old)
        old.text = deprecated_id
    return root


def fill_planned(steps: tuple, target, answers: dict, out: dict | None) -> None:
    """Build the steps' elements under target from answers (text as format_value writes it) and,
    unless out is None, add to out what _flatten reads from them: non-blank texts by relative path,
    repeats as lists of their items' answers; the root's meta is left out."""
    sub = etree.SubElement
    for kind, name, rel, kept, flattened, inner in steps:
        into = out if flattened else None
        if kind == _LEAF:
            element = sub(target, name)
            text = format_value(answers.get(rel))
            if text:
                element.text = text
                if into is not None and text.strip() and rel not in into:
                    into[rel] = text
        elif kind == _GROUP:
            fill_planned(inner, sub(target, name), answers if kept else {}, into)
        else:
            items = answers.get(rel) or []
            for item in items if isinstance(items, list) else []:
                flat: dict = {}
                fill_planned(inner, sub(target, name), item if isinstance(item, dict) else {},
                             flat if into is not None else None)
                if flat:
                    into.setdefault(rel, []).append(flat)
