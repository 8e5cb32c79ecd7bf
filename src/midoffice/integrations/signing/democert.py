"""A demo PKI for the town: a root CA, a signing certificate and a timestamp authority.

Only for the demo and tests. A real town configures the PKCS#12 file of its qualified
or advanced certificate, its trust root and a real timestamp authority instead.

Besides the PKCS#12 file and the root PEM, a folder ``<name>-pki`` holds what the demo
PKI service (:mod:`midoffice.integrations.signing.demo_pki`) needs to answer timestamp,
OCSP and CRL requests: the root's key, the TSA's key and certificate and the list of
revoked certificates. The signing and TSA certificates name that service (``pki_url``)
as their OCSP responder and CRL distribution point, so a B-LT signature can embed
revocation data fetched from it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

DEMO_PKI_URL = "http://127.0.0.1:8088"
"""Where ``serve_all`` starts the demo PKI service in development."""


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Gemeente Leemdonk (demo)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def root_path_for(p12_path: Path) -> Path:
    """Where the root certificate (PEM) of a demo PKCS#12 file is written."""
    return p12_path.with_name(p12_path.stem + "-root.pem")


@dataclass(frozen=True)
class DemoPkiFiles:
    """The demo PKI's own material, in the folder beside the PKCS#12 file."""

    folder: Path

    @property
    def root_cert(self) -> Path:
        return self.folder / "root.pem"

    @property
    def root_key(self) -> Path:
        return self.folder / "root-key.pem"

    @property
    def tsa_cert(self) -> Path:
        return self.folder / "tsa.pem"

    @property
    def tsa_key(self) -> Path:
        return self.folder / "tsa-key.pem"

    @property
    def ocsp_cert(self) -> Path:
        return self.folder / "ocsp.pem"

    @property
    def ocsp_key(self) -> Path:
        return self.folder / "ocsp-key.pem"

    @property
    def revoked(self) -> Path:
        """JSON: serial number (decimal string) → revocation time (ISO 8601)."""
        return self.folder / "revoked.json"

    def exists(self) -> bool:
        return all(
            path.is_file()
            for path in (
                self.root_cert,
                self.root_key,
                self.tsa_cert,
                self.tsa_key,
                self.ocsp_cert,
                self.ocsp_key,
            )
        )


def pki_files_for(p12_path: Path) -> DemoPkiFiles:
    return DemoPkiFiles(p12_path.with_name(p12_path.stem + "-pki"))


def _key_usage(*, signing: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _leaf(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    key: rsa.RSAPrivateKey,
    usage: x509.ExtendedKeyUsage,
    usage_critical: bool,
    pki_url: str,
    now: dt.datetime,
    days: int,
    no_check: bool = False,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .add_extension(usage, critical=usage_critical)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if no_check:
        # RFC 6960 §4.2.2.2.1: the responder's own certificate is not checked for
        # revocation (a validator would otherwise need revocation data for it too).
        builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
    elif pki_url:
        base = pki_url.rstrip("/")
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(f"{base}/ocsp"),
                    )
                ]
            ),
            critical=False,
        ).add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(f"{base}/crl")],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def generate_demo_p12(
    *,
    path: Path,
    passphrase: str = "",
    town: str = "Leemdonk",
    pki_url: str = DEMO_PKI_URL,
) -> Path:
    """Write a PKCS#12 (key, signing certificate, root), the root PEM beside it and the
    demo PKI folder (root key, TSA, revocation list) that the demo PKI service reads."""
    now = dt.datetime.now(dt.UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = _name(f"Gemeente {town} demo root CA")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _leaf(
        subject=_name(f"Gemeente {town} – ondertekening brieven"),
        issuer=root_name,
        issuer_key=root_key,
        key=key,
        usage=x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
        usage_critical=False,
        pki_url=pki_url,
        now=now,
        days=1825,
    )
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # RFC 3161 §2.3: a TSA certificate has exactly the critical timeStamping usage.
    tsa = _leaf(
        subject=_name(f"Gemeente {town} demo tijdstempeldienst"),
        issuer=root_name,
        issuer_key=root_key,
        key=tsa_key,
        usage=x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
        usage_critical=True,
        pki_url=pki_url,
        now=now,
        days=1825,
    )
    ocsp_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # A delegated responder, as real CAs use: the root's key signs only certificates and
    # CRLs, and a validator needs no revocation data for the root itself.
    ocsp_cert = _leaf(
        subject=_name(f"Gemeente {town} demo OCSP-dienst"),
        issuer=root_name,
        issuer_key=root_key,
        key=ocsp_key,
        usage=x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]),
        usage_critical=False,
        pki_url=pki_url,
        now=now,
        days=1825,
        no_check=True,
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    data = pkcs12.serialize_key_and_certificates(
        name=b"town-signing", key=key, cert=cert, cas=[root], encryption_algorithm=encryption
    )
    root_pem = root.public_bytes(serialization.Encoding.PEM)
    files = pki_files_for(path)
    files.folder.mkdir(parents=True, exist_ok=True)
    files.folder.chmod(0o700)
    for target, content in (
        (files.root_key, _pem_key(root_key)),
        (files.tsa_key, _pem_key(tsa_key)),
        (files.tsa_cert, tsa.public_bytes(serialization.Encoding.PEM)),
        (files.ocsp_key, _pem_key(ocsp_key)),
        (files.ocsp_cert, ocsp_cert.public_bytes(serialization.Encoding.PEM)),
        (files.revoked, b"{}"),
        (files.root_cert, root_pem),
    ):
        target.write_bytes(content)
        target.chmod(0o600)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)
    root_path_for(path).write_bytes(root_pem)
    return path


def demo_revoke(*, p12_path: Path, passphrase: str = "", at: dt.datetime | None = None) -> int:
    """Revoke the demo signing certificate (as of ``at``, default now); return its serial.

    The demo PKI service answers OCSP and CRL requests from this list from then on.
    """
    material = pkcs12.load_key_and_certificates(
        p12_path.read_bytes(), passphrase.encode() if passphrase else None
    )
    cert = material[1]
    if cert is None:
        raise ValueError("no certificate in the PKCS#12 file")
    files = pki_files_for(p12_path)
    revoked = json.loads(files.revoked.read_text()) if files.revoked.is_file() else {}
    revoked[str(cert.serial_number)] = (at or dt.datetime.now(dt.UTC)).isoformat()
    files.revoked.write_text(json.dumps(revoked))
    return cert.serial_number
