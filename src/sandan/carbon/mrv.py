"""MRV integrity (pure): canonical hashes, the hash-chained ledger, Ed25519 statements, offline checks.

* A record's hash is SHA-256 of its canonical JSON (keys sorted, no spaces, UTF-8, floats as
  Python's shortest repr) — the same bytes on every machine.
* Ledger entry ``n``: ``entry_hash = SHA-256(prev_hash ‖ canonical(seq, report, event, actor, at,
  payload))`` with ``prev_hash`` of entry ``n-1`` (64 zeros for the first): changing, removing or
  reordering any entry breaks every hash after it.
* A statement's body names the report version's content hash and the ledger head it was signed
  at; the Ed25519 signature covers the canonical body (RFC 8032).
* :func:`verify_bundle` redoes all of it from a JSON bundle alone (``sandan mrv verify``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

GENESIS = "0" * 64
BUNDLE_FORMAT = "sandan-mrv-bundle/1"

#: Status after each ledger event that moves it (the report's status is that of the last such event;
#: an assignment or the company's answer leaves it as it was).
STATUS_AFTER = {"created": "draft", "submitted": "submitted", "finding": "under_review",
                "corrections_requested": "corrections_requested", "statement": "verified"}


def canonical(value: Any) -> bytes:
    """Canonical JSON bytes of ``value`` (sorted keys, compact separators, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def sha256_hex(value: Any) -> str:
    """SHA-256 [hex] of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical(value)).hexdigest()


def entry_body(seq: int, report_id: int, event: str, actor: str, at: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    return {"seq": seq, "report_id": report_id, "event": event, "actor": actor, "at": at, "payload": dict(payload)}


def chain_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    """``SHA-256(prev_hash ‖ canonical(body))`` [hex]."""
    return hashlib.sha256(prev_hash.encode() + canonical(dict(body))).hexdigest()


def status_of(events: Iterable[str]) -> str:
    status = "draft"
    for event in events:
        status = STATUS_AFTER.get(event, status)
    return status


# --- keys and signatures -------------------------------------------------------------------------

def signing_key(secret: str, user_id: int) -> Ed25519PrivateKey:
    """The Ed25519 key of verifier ``user_id``, derived from the platform secret with HKDF-SHA256
    (RFC 5869): nothing private is stored, the platform holds custody of every verifier's key."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sandan-mrv-signing-key",
                info=f"verifier:{user_id}".encode()).derive(secret.encode())
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def key_fingerprint(public_b64: str) -> str:
    """SHA-256 of the raw public key, first 16 hex digits: what a verification body publishes."""
    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]


def is_key(public_b64: str, trusted: str) -> bool:
    """Whether ``trusted`` (a base64 public key or its fingerprint) names the key ``public_b64``."""
    try:
        return trusted in (public_b64, key_fingerprint(public_b64))
    except ValueError:
        return False


def sign(key: Ed25519PrivateKey, body: Mapping[str, Any]) -> str:
    """Ed25519 signature [base64] over the canonical JSON of ``body``."""
    return base64.b64encode(key.sign(canonical(dict(body)))).decode()


def signature_valid(public_b64: str, signature_b64: str, body: Mapping[str, Any]) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64, validate=True))
        key.verify(base64.b64decode(signature_b64, validate=True), canonical(dict(body)))
    except (InvalidSignature, ValueError):
        return False
    return True


# --- offline verification --------------------------------------------------------------------------

def verify_bundle(bundle: Mapping[str, Any], *, trusted_key: str | None = None) -> list[str]:
    """Every problem found in an MRV bundle; an empty list means intact.

    Checks: each version's content hash; each finding's hash; the ledger chain from genesis; that
    every version, finding and statement is recorded in the ledger with its hash; the statement's
    signature, the version content hash and ledger head it names; and, if ``trusted_key`` is given
    (base64 or fingerprint), that the statement was signed by that key.
    """
    problems: list[str] = []
    if bundle.get("format") != BUNDLE_FORMAT:
        return [f"not an MRV bundle (format {bundle.get('format')!r}, expected {BUNDLE_FORMAT})"]
    report_id = bundle.get("report", {}).get("id")
    ledger = list(bundle.get("ledger", []))
    prev = GENESIS
    recorded: dict[tuple[str, str], str] = {}
    heads: list[str] = []
    for i, entry in enumerate(ledger, start=1):
        if entry.get("seq") != i:
            problems.append(f"ledger entry {i}: sequence number {entry.get('seq')} (an entry is missing or moved)")
        if entry.get("prev_hash") != prev:
            problems.append(f"ledger entry {i}: previous hash does not match entry {i - 1}")
        body = entry_body(entry.get("seq", -1), entry.get("report_id", -1), entry.get("event", ""),
                          entry.get("actor", ""), entry.get("at", ""), entry.get("payload", {}))
        if entry.get("report_id") != report_id:
            problems.append(f"ledger entry {i}: belongs to report {entry.get('report_id')}, not {report_id}")
        expected = chain_hash(entry.get("prev_hash", ""), body)
        if not hmac.compare_digest(expected, str(entry.get("entry_hash", ""))):
            problems.append(f"ledger entry {i} ({entry.get('event')}): hash does not match its content")
        prev = str(entry.get("entry_hash", ""))
        heads.append(prev)
        payload = entry.get("payload", {})
        for kind, key in (("version", "version"), ("finding", "seq"), ("statement", "version")):
            if f"{kind}_hash" in payload:
                recorded[(kind, str(payload.get(key)))] = payload[f"{kind}_hash"]
    for version in bundle.get("versions", []):
        got = sha256_hex(version.get("content"))
        if got != version.get("content_hash"):
            problems.append(f"version {version.get('version')}: content does not match its hash")
        if recorded.get(("version", str(version.get("version")))) != got:
            problems.append(f"version {version.get('version')}: not recorded in the ledger with this content")
    for finding in bundle.get("findings", []):
        got = sha256_hex(finding_record(finding))
        if recorded.get(("finding", str(finding.get("seq")))) != got:
            problems.append(f"finding {finding.get('seq')}: text or author differs from the ledger")
    statement = bundle.get("statement")
    if statement is not None:
        problems.extend(_statement_problems(statement, bundle, recorded, heads, trusted_key))
    return problems


def finding_record(finding: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a finding that its ledger hash covers."""
    keys = ("seq", "version", "author_role", "author", "reply_to", "requires_correction", "text")
    return {k: finding.get(k) for k in keys}


def _statement_problems(statement: Mapping[str, Any], bundle: Mapping[str, Any], recorded: dict[tuple[str, str], str],
                        heads: list[str], trusted_key: str | None) -> list[str]:
    problems: list[str] = []
    body = statement.get("body", {})
    public = str(statement.get("public_key", ""))
    if not signature_valid(public, str(statement.get("signature", "")), body):
        problems.append("statement: the Ed25519 signature does not match its body")
    if trusted_key and not is_key(public, trusted_key):
        problems.append("statement: signed by a key other than the trusted one")
    versions = {str(v.get("version")): v for v in bundle.get("versions", [])}
    signed = versions.get(str(body.get("version")))
    if signed is None or signed.get("content_hash") != body.get("content_hash"):
        problems.append("statement: the report version it names is missing or differs")
    if body.get("ledger_head") not in heads:
        problems.append("statement: the ledger head it was signed at is not in the ledger")
    if recorded.get(("statement", str(body.get("version")))) != sha256_hex(dict(statement)):
        problems.append("statement: not recorded in the ledger as it is")
    return problems
