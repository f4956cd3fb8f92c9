"""Identity use cases: users, memberships, password login, bearer tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.core.auth.models import ApiToken, Membership, Organisation, OrgKind, Role, User
from sandan.core.auth.policy import Principal, principal_for
from sandan.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from sandan.core.timeutil import now_utc

_hasher = PasswordHasher()
TOKEN_PREFIX = "sdn_"
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters", field="password")
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _as_system(session: Session) -> Principal | None:
    """Switch the session to the system principal for identity look-ups; returns the previous one."""
    previous = session.info.get("principal")
    session.info["principal"] = Principal.system("auth")
    return previous


def create_user(session: Session, email: str, name: str, password: str | None, *, language: str = "ko",
                is_device: bool = False) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput("an e-mail address is needed", field="email")
    if session.execute(select(User.id).where(User.email == email)).first() is not None:
        raise Conflict(f"a user with e-mail {email} exists", field="email")
    user = User(email=email, name=name, password_hash=hash_password(password) if password else None,
                language=language, is_device=is_device)
    session.add(user)
    session.flush()
    return user


def organisation_for_company(session: Session, company_id: int, name: str) -> Organisation:
    org = session.execute(select(Organisation).where(Organisation.company_id == company_id,
                                                     Organisation.kind == OrgKind.company)).scalar_one_or_none()
    if org is None:
        org = Organisation(kind=OrgKind.company, name=name, company_id=company_id)
        session.add(org)
        session.flush()
    return org


def add_membership(session: Session, user: User, org: Organisation, role: Role) -> Membership:
    membership = Membership(user_id=user.id, organisation_id=org.id, role=role)
    session.add(membership)
    session.flush()
    return membership


def login(session: Session, email: str, password: str) -> User:
    """The active user with this e-mail and password, else Unauthenticated (same answer either way)."""
    previous = _as_system(session)
    try:
        user = session.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
    finally:
        session.info["principal"] = previous
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        raise Unauthenticated("wrong e-mail or password")
    return user


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, user: User, name: str, *, days: int = 90) -> tuple[ApiToken, str]:
    """A new bearer token; the plain value is returned once and only its hash is stored."""
    if not 1 <= days <= 730:
        raise InvalidInput("a token lives between 1 and 730 days", field="days")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_hash_token(plain), prefix=plain[:10],
                     expires_at=now_utc() + dt.timedelta(days=days))
    session.add(token)
    session.flush()
    return token, plain


def user_for_token(session: Session, plain: str) -> User:
    """The user behind a valid, unexpired, unrevoked token."""
    previous = _as_system(session)
    try:
        token = session.execute(select(ApiToken).where(ApiToken.token_hash == _hash_token(plain))).scalar_one_or_none()
        now = now_utc()
        if token is None or token.revoked_at is not None or _aware(token.expires_at) <= now:
            raise Unauthenticated("the token is unknown, expired or revoked")
        user = session.get(User, token.user_id)
        if user is None or not user.is_active:
            raise Unauthenticated("the token is unknown, expired or revoked")
        return user
    finally:
        session.info["principal"] = previous


def revoke_token(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"token {token_id} not found")
    token.revoked_at = now_utc()
    session.flush()
    return token


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes for timezone-aware columns: they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def principal_for_user(session: Session, user: User) -> Principal:
    previous = _as_system(session)
    try:
        return principal_for(session, user)
    finally:
        session.info["principal"] = previous
