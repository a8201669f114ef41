"""ODK encrypted submissions: read the plain manifest a device sends, and decrypt with the private key.

The scheme is ODK Collect's: a random AES-256 key per submission, wrapped with the form's RSA public
key (OAEP, SHA-256 digest, MGF1 with SHA-1); each file (media first, in manifest order, then
submission.xml) is AES/CFB encrypted with PKCS#5 padding and its own IV: the IV seed is the md5 of
the instanceID followed by the key, and before the n-th file byte n % 16 of the seed is incremented.
The signature is the wrapped md5 of form id, version, wrapped key, instanceID, then
"name::md5" of each plain file, one per line.
"""
import base64
import hashlib
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.decrepit.ciphers.modes import CFB  # Collect's AES/CFB: kept for compatibility
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from lxml import etree

from forms.errors import FormError
from forms.xform import NS, parse_xform

ENCRYPTED_NS = "http://www.opendatakit.org/xforms/encrypted"
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA256(), label=None)
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)


class DecryptionError(FormError):
    """The private key does not open this submission, or its files are damaged."""


@dataclass
class Manifest:
    """The plain part of an encrypted submission."""

    form_id: str
    version: str | None
    instance_id: str
    encrypted_key: str
    xml_file: str
    media: list = field(default_factory=list)
    signature: str | None = None

    @property
    def files(self) -> list[str]:
        """Every encrypted file the device sends, in encryption order (media, then the XML)."""
        return [*self.media, self.xml_file]


def is_encrypted(payload: bytes) -> bool:
    """Whether submission bytes are an encrypted-submission manifest (looked for in the root tag)."""
    head = payload[:2048] if isinstance(payload, (bytes, bytearray)) else b""
    return b"encrypted=" in head and read_manifest(payload) is not None


def read_manifest(payload: bytes) -> Manifest | None:
    """The manifest of an encrypted submission, or None when the XML is not one."""
    try:
        root = etree.fromstring(payload, _SAFE)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if (root.get("encrypted") or "").lower() != "yes":
        return None

    def text(name):
        found = next((el for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname == name),
                     None)
        return (found.text or "").strip() if found is not None and found.text else None

    media = [(el.text or "").strip() for el in root.iter()
             if isinstance(el.tag, str) and etree.QName(el).localname == "file" and (el.text or "").strip()]
    instance_id, key, xml_file = text("instanceID"), text("base64EncryptedKey"), text("encryptedXmlFile")
    if not (root.get("id") and instance_id and key and xml_file):
        return None
    return Manifest(form_id=root.get("id"), version=root.get("version"), instance_id=instance_id,
                    encrypted_key=key, xml_file=xml_file, media=media,
                    signature=text("base64EncryptedElementSignature"))


def public_key_of(xform_xml) -> str | None:
    """The base64 RSA public key an XForm asks submissions to be encrypted with, or None."""
    model = parse_xform(xform_xml).find("h:head/xf:model", NS)
    submission = model.find("xf:submission", NS) if model is not None else None
    return submission.get("base64RsaPublicKey") if submission is not None else None


def load_private_key(pem: bytes | str, password: bytes | None = None):
    """An RSA private key from PEM text; DecryptionError when it is not one."""
    data = pem.encode() if isinstance(pem, str) else bytes(pem)
    try:
        key = serialization.load_pem_private_key(data.strip() + b"\n", password=password)
    except (ValueError, TypeError) as err:
        raise DecryptionError(f"The private key could not be read: {err}") from err
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DecryptionError("The private key is not an RSA key.")
    return key


def ivs(instance_id: str, aes_key: bytes, count: int) -> list[bytes]:
    """The IV of each of `count` files, in encryption order."""
    seed = bytearray(hashlib.md5(instance_id.encode("utf-8") + aes_key, usedforsecurity=False).digest())
    out = []
    for index in range(count):
        seed[index % 16] = (seed[index % 16] + 1) & 0xFF
        out.append(bytes(seed))
    return out


def decrypt_submission(private_key, manifest: Manifest, files: dict) -> tuple[bytes, dict]:
    """(plain submission XML, {plain media name: bytes}) from the manifest and its encrypted files."""
    try:
        aes_key = private_key.decrypt(base64.b64decode(manifest.encrypted_key), OAEP)
    except (ValueError, TypeError) as err:
        raise DecryptionError("This private key does not open the submission.") from err
    names = manifest.files
    missing = [n for n in names if n not in files]
    if missing:
        raise DecryptionError(f"Encrypted files not received: {', '.join(missing)}.")
    plain = {}
    for name, iv in zip(names, ivs(manifest.instance_id, aes_key, len(names))):
        decryptor = Cipher(algorithms.AES(aes_key), CFB(iv)).decryptor()
        plain[name] = _unpad(decryptor.update(files[name]) + decryptor.finalize(), name)
    xml = plain.pop(manifest.xml_file)
    media = {_plain_name(n): data for n, data in plain.items()}
    if manifest.signature and not _signature_ok(private_key, manifest, media, xml):
        raise DecryptionError("The submission's signature does not match its decrypted content.")
    return xml, media


def signature_source(manifest: Manifest, media: dict, xml: bytes) -> bytes:
    """The text whose md5 the device signs."""
    lines = [manifest.form_id] + ([manifest.version] if manifest.version else [])
    lines += [manifest.encrypted_key, manifest.instance_id]
    lines += [f"{_plain_name(n)}::{_md5(media[_plain_name(n)])}" for n in manifest.media]
    lines.append(f"{_plain_name(manifest.xml_file)}::{_md5(xml)}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _signature_ok(private_key, manifest, media, xml) -> bool:
    try:
        signed = private_key.decrypt(base64.b64decode(manifest.signature), OAEP)
    except (ValueError, TypeError):
        return False
    return signed == hashlib.md5(signature_source(manifest, media, xml), usedforsecurity=False).digest()


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _plain_name(name: str) -> str:
    return name[:-4] if name.endswith(".enc") else name


def _unpad(data: bytes, name: str) -> bytes:
    pad = data[-1] if data else 0
    if not 1 <= pad <= 16 or data[-pad:] != bytes([pad]) * pad:
        raise DecryptionError(f"{name} does not decrypt with this key (bad padding).")
    return data[:-pad]
