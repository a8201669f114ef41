"""An encryptor that does what ODK Collect does when it finalises a submission to an encrypted form.

Written from Collect's description of its scheme (EncryptionUtils): a random AES-256 key, wrapped
with the form's RSA key (OAEP: SHA-256, MGF1 SHA-1); media files then submission.xml encrypted
with AES/CFB/PKCS5Padding, the n-th file's IV made by bumping byte n % 16 of md5(instanceID + key);
a plain manifest naming the .enc files, with the wrapped md5 of the signature lines.
"""
import base64
import hashlib
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.decrepit.ciphers.modes import CFB  # Collect's AES/CFB: kept for compatibility
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA256(), label=None)


def new_key_pair() -> tuple[str, str]:
    """(base64 DER public key as XLSForm's public_key wants it, PEM private key)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    return base64.b64encode(public).decode(), pem.decode()


def encrypt_submission(public_key_b64: str, form_id: str, version: str | None, instance_id: str,
                       xml: bytes, media: dict) -> tuple[bytes, dict]:
    """(manifest XML, {"<name>.enc": encrypted bytes}) as Collect uploads them."""
    public = serialization.load_der_public_key(base64.b64decode(public_key_b64))
    key = os.urandom(32)
    wrapped = base64.b64encode(public.encrypt(key, OAEP)).decode()
    seed = bytearray(hashlib.md5(instance_id.encode() + key).digest())
    counter = 0
    out = {}

    def encrypt(data: bytes) -> bytes:
        nonlocal counter
        seed[counter % 16] = (seed[counter % 16] + 1) & 0xFF
        counter += 1
        pad = 16 - len(data) % 16
        encryptor = Cipher(algorithms.AES(key), CFB(bytes(seed))).encryptor()
        return encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()

    lines = [form_id] + ([version] if version else []) + [wrapped, instance_id]
    for name, data in media.items():
        out[name + ".enc"] = encrypt(data)
        lines.append(f"{name}::{hashlib.md5(data).hexdigest()}")
    out["submission.xml.enc"] = encrypt(xml)
    lines.append(f"submission.xml::{hashlib.md5(xml).hexdigest()}")
    digest = hashlib.md5(("\n".join(lines) + "\n").encode()).digest()
    signature = base64.b64encode(public.encrypt(digest, OAEP)).decode()
    version_attr = f' version="{version}"' if version else ""
    media_xml = "".join(f"<media><file>{name}.enc</file></media>\n" for name in media)
    manifest = (f'<data xmlns="http://www.opendatakit.org/xforms/encrypted" id="{form_id}"{version_attr} '
                f'encrypted="yes"><base64EncryptedKey>{wrapped}</base64EncryptedKey>'
                f'<orx:meta xmlns:orx="http://openrosa.org/xforms"><orx:instanceID>{instance_id}</orx:instanceID>'
                f'</orx:meta>\n{media_xml}<encryptedXmlFile>submission.xml.enc</encryptedXmlFile>'
                f'<base64EncryptedElementSignature>{signature}</base64EncryptedElementSignature></data>')
    return manifest.encode(), out
