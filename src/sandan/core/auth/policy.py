"""The one access policy: who may read and write what.

Every ORM query is filtered here (a ``do_orm_execute`` hook adds the tenant criteria to each
SELECT) and every ORM write is checked here (a ``before_flush`` hook), so no endpoint, page or
command can forget it.  Paths that bypass the ORM for speed (the reading store) ask
:func:`require` explicitly.  A session without a principal may neither read nor write policed
rows.

| role              | reads                                            | writes                              |
|-------------------|--------------------------------------------------|-------------------------------------|
| platform_admin    | everything                                       | everything                          |
| complex_operator  | its complex and every company in it              | companies of its complex            |
| company_admin     | its company                                      | its company, sites, assets, points, readings |
| company_member    | its company                                      | readings of its company             |
| device            | its company (to map its points)                  | readings of its company             |
| auditor           | the scope of its organisation, read-only         | nothing                             |
| verifier          | only the rows of what it is assigned (a grant)   | new rows of what it is assigned     |
| programme_officer | calls, all applications, panels, results         | calls, panels, results (its model rules) |
| reviewer          | its own assignments and the applications in them | its own score sheets and conflicts  |

Complexes are public reference data: every signed-in principal reads them.  Their energy totals
are not: a complex's group series is for the platform, its operator and its auditors.

Which rows belong to a company is found, not listed: every mapped table with a ``company_id``
column is filtered to the companies the principal reads, and written only by admins of the
row's company — also by its members and devices when the model says
``__policy_writers__ = "readings"`` (data they bring in, like readings).

Grants are found the same way.  A mapped table that says ``__policy_grant_source__ = (role, scope,
user column, object column)`` (an assignment, e.g. a verifier assigned to an MRV report) gives
each of its rows' users with that role the grant ``(scope, object id)``; a company-owned table
that says ``__policy_grant_scope__ = (scope, column)`` is then also readable where ``column``
holds a granted id, and one that also says ``__policy_grant_writes__ = True`` takes new rows from
the grantee for its granted ids (never changes or deletions: what a verifier adds is a finding or
a statement, appended).  A table without
``company_id`` and without a rule here is reference data: read by all, written by the platform
admin only.  A changed row is checked against its company before and after the change, so a
row cannot be moved into or out of a company the principal may not write.

A table whose model says ``__policy_writers__ = "complex_operator"`` (it has a ``complex_id``
column: the complex's market set-up and clearings, and the trades a clearing writes for each
company) is written only by the operators of the row's complex (and the platform admin); its reads
follow the rules above (company rows by company, the others like reference data).

A table whose model lists ``__policy_parties__`` (column names, the first ``company_id``: a
contract between a seller and a buyer) belongs to each company named in those columns: it is read
by whoever reads one of them and written by the admins of one of them.
A model may state its own rule instead (the programme office's tables do, for reviewers and
officers who read across companies): a classmethod ``policy_read(p)`` returns the SELECT criterion
(it may build on :func:`company_filter`), a classmethod ``policy_write(p, obj)`` decides writes
(it may use :func:`before_and_after`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, false, inspect, or_, select, true
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.elements import ColumnElement

from sandan.core.audit import AuditLog
from sandan.core.auth.models import ApiToken, Membership, Organisation, OrgKind, Role, User
from sandan.core.errors import Forbidden, NotFound, Unauthenticated
from sandan.core.tenancy.models import Company, Complex
from sandan.db import Base

#: Tables with rules of their own below, though some carry a ``company_id`` column.
_OWN_RULES: tuple[type[Any], ...] = (Company, Complex, Organisation, Membership, User, ApiToken, AuditLog)
_owned_cache: tuple[int, tuple[type[Any], ...]] = (-1, ())


def company_owned() -> tuple[type[Any], ...]:
    """Every mapped class with a ``company_id`` column (sites, assets, points and each domain's rows)."""
    global _owned_cache
    mappers = Base.registry.mappers
    if _owned_cache[0] != len(mappers):
        found = tuple(sorted((m.class_ for m in mappers
                              if "company_id" in m.columns and not issubclass(m.class_, _OWN_RULES)),
                             key=lambda cls: cls.__name__))
        _owned_cache = (len(mappers), found)
    return _owned_cache[1]


@dataclass(frozen=True)
class Principal:
    """Who is acting, resolved once per request from the user's memberships."""

    user_id: int | None
    name: str
    is_admin: bool = False
    read_all: bool = False
    companies_read: frozenset[int] = frozenset()
    companies_admin: frozenset[int] = frozenset()
    companies_readings: frozenset[int] = frozenset()
    complexes_operated: frozenset[int] = frozenset()
    complexes_read: frozenset[int] = frozenset()
    roles: frozenset[str] = field(default_factory=frozenset)
    is_device: bool = False
    grants: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def system(cls, name: str = "system") -> Principal:
        """The platform itself (migrations, the demo loader, the simulator): full rights."""
        return cls(user_id=None, name=name, is_admin=True, read_all=True, roles=frozenset({"system"}))

    @property
    def is_programme_officer(self) -> bool:
        return "programme_officer" in self.roles

    def may_read_company(self, company_id: int, complex_id: int | None = None) -> bool:
        return (self.read_all or company_id in self.companies_read
                or (complex_id is not None and complex_id in self.complexes_read))


def principal_for(session: Session, user: User) -> Principal:
    """Resolve a user's memberships into a principal (read with the system's rights)."""
    rows = session.execute(
        select(Membership.role, Organisation.kind, Organisation.company_id, Organisation.complex_id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.user_id == user.id)
    ).all()
    is_admin = read_all = False
    read: set[int] = set()
    admin: set[int] = set()
    readings: set[int] = set()
    operated: set[int] = set()
    complexes_read: set[int] = set()
    roles: set[str] = set()
    for role, kind, company_id, complex_id in rows:
        roles.add(str(role))
        if role == Role.platform_admin:
            is_admin = read_all = True
        elif role == Role.complex_operator and complex_id is not None:
            operated.add(complex_id)
            complexes_read.add(complex_id)
        elif role == Role.auditor:
            if kind == OrgKind.platform:
                read_all = True
            elif company_id is not None:
                read.add(company_id)
            elif complex_id is not None:
                complexes_read.add(complex_id)
        elif company_id is not None and role in (Role.company_admin, Role.company_member, Role.device):
            read.add(company_id)
            readings.add(company_id)
            if role == Role.company_admin:
                admin.add(company_id)
    return Principal(user_id=user.id, name=user.email, is_admin=is_admin, read_all=read_all,
                     companies_read=frozenset(read), companies_admin=frozenset(admin),
                     companies_readings=frozenset(readings), complexes_operated=frozenset(operated),
                     complexes_read=frozenset(complexes_read), roles=frozenset(roles), is_device=user.is_device,
                     grants=_grants_of(session, user, roles))


def grant_sources() -> tuple[type[Any], ...]:
    """Every mapped class that hands out grants (``__policy_grant_source__``)."""
    return tuple(m.class_ for m in Base.registry.mappers if hasattr(m.class_, "__policy_grant_source__"))


def _grants_of(session: Session, user: User, roles: set[str]) -> frozenset[tuple[str, int]]:
    """The ``(scope, object id)`` grants of ``user`` from every grant source of one of its roles."""
    out: set[tuple[str, int]] = set()
    for source in grant_sources():
        role, scope, user_column, object_column = source.__policy_grant_source__
        if role in roles:
            rows = session.execute(select(getattr(source, object_column))
                                   .where(getattr(source, user_column) == user.id)).scalars()
            out.update((scope, int(object_id)) for object_id in rows)
    return frozenset(out)


def _granted(model: type[Any], p: Principal) -> list[int]:
    scope = getattr(model, "__policy_grant_scope__", None)
    return sorted(i for s, i in p.grants if scope is not None and s == scope[0])


# --- reads -------------------------------------------------------------------------------------

def _company_filter(column: Any, p: Principal) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = []
    if p.companies_read:
        clauses.append(column.in_(sorted(p.companies_read)))
    if p.complexes_read:
        clauses.append(column.in_(select(Company.id).where(Company.complex_id.in_(sorted(p.complexes_read)))
                                  .scalar_subquery()))
    return or_(*clauses) if clauses else false()


#: The company filter, for models that state their own rule (``policy_read``).
company_filter = _company_filter


def ruled_models() -> tuple[type[Any], ...]:
    """Every mapped class with a read rule of its own (a ``policy_read`` classmethod)."""
    return tuple(m.class_ for m in Base.registry.mappers if hasattr(m.class_, "policy_read"))


def _model_filter(model: Any, p: Principal) -> ColumnElement[bool]:
    """A company-owned model's rows ``p`` reads: those of a company it reads (any of the model's
    parties), and those of an object it holds a grant on."""
    columns = getattr(model, "__policy_parties__", ("company_id",))
    clause = or_(*(_company_filter(getattr(model, column), p) for column in columns))
    granted = _granted(model, p)
    if granted:
        clause = or_(clause, getattr(model, model.__policy_grant_scope__[1]).in_(granted))
    return clause


def read_criteria(p: Principal) -> list[Any]:
    """The loader criteria that restrict every SELECT to what ``p`` may read."""
    if p.read_all:
        return []
    ruled = ruled_models()
    criteria = [with_loader_criteria(model, _model_filter(model, p), include_aliases=True)
                for model in company_owned() if model not in ruled]
    criteria += [with_loader_criteria(model, model.policy_read(p), include_aliases=True) for model in ruled]
    company_clauses: list[ColumnElement[bool]] = []
    if p.companies_read:
        company_clauses.append(Company.id.in_(sorted(p.companies_read)))
    if p.complexes_read:
        company_clauses.append(Company.complex_id.in_(sorted(p.complexes_read)))
    criteria.append(with_loader_criteria(Company, or_(*company_clauses) if company_clauses else false(),
                                         include_aliases=True))
    criteria.append(with_loader_criteria(Complex, true(), include_aliases=True))
    own_user = User.id == (p.user_id if p.user_id is not None else -1)
    criteria.append(with_loader_criteria(User, own_user, include_aliases=True))
    criteria.append(with_loader_criteria(ApiToken, ApiToken.user_id == (p.user_id or -1), include_aliases=True))
    criteria.append(with_loader_criteria(Membership, Membership.user_id == (p.user_id or -1),
                                         include_aliases=True))
    criteria.append(with_loader_criteria(
        Organisation,
        Organisation.id.in_(select(Membership.organisation_id).where(Membership.user_id == (p.user_id or -1))
                            .scalar_subquery()),
        include_aliases=True))
    audit_scope = sorted(p.companies_admin) if "auditor" not in p.roles else sorted(p.companies_read)
    criteria.append(with_loader_criteria(AuditLog, AuditLog.company_id.in_(audit_scope) if audit_scope
                                         else false(), include_aliases=True))
    return criteria


def _on_execute(state: ORMExecuteState) -> None:
    if not state.is_select or state.is_column_load:
        return
    principal = state.session.info.get("principal")
    if principal is None:
        raise Unauthenticated("no principal on this session: every query runs on someone's behalf")
    criteria = read_criteria(principal)
    if criteria:
        state.statement = state.statement.options(*criteria)


# --- writes ------------------------------------------------------------------------------------

def may_write(p: Principal, obj: Any, session: Session) -> bool:
    """Whether ``p`` may create, change or delete ``obj`` (as it is now and, if changed, as it was)."""
    if p.is_admin:
        return True
    if isinstance(obj, Complex | Organisation | Membership | AuditLog):
        return False
    own_rule = getattr(type(obj), "policy_write", None)
    if own_rule is not None:
        return bool(own_rule(p, obj))
    if isinstance(obj, Company):
        return all(complex_id in p.complexes_operated or (company_id is not None and company_id in p.companies_admin)
                   for complex_id, company_id in _before_and_after(obj, "complex_id", "id"))
    if isinstance(obj, User):
        return all(user_id is not None and user_id == p.user_id for (user_id,) in _before_and_after(obj, "id"))
    if isinstance(obj, ApiToken):
        return all(user_id == p.user_id for (user_id,) in _before_and_after(obj, "user_id"))
    if getattr(obj, "__policy_writers__", None) == "complex_operator":
        return all(complex_id in p.complexes_operated for (complex_id,) in _before_and_after(obj, "complex_id"))
    if parties := getattr(obj, "__policy_parties__", None):
        return all(any(company_id in p.companies_admin for company_id in row if company_id is not None)
                   for row in _before_and_after(obj, *parties))
    if isinstance(obj, company_owned()):
        if getattr(obj, "__policy_grant_writes__", False) and not inspect(obj).persistent:
            scope, column = obj.__policy_grant_scope__
            if (scope, getattr(obj, column)) in p.grants:
                return True
        writers = p.companies_readings if getattr(obj, "__policy_writers__", "admin") == "readings" \
            else p.companies_admin
        return all(company_id in writers for (company_id,) in _before_and_after(obj, "company_id"))
    return False


def _before_and_after(obj: Any, *keys: str) -> list[tuple[Any, ...]]:
    """The values of ``keys`` on ``obj`` now and, for a loaded row whose values changed, before."""
    now = tuple(getattr(obj, key) for key in keys)
    state = inspect(obj)
    if not state.persistent:
        return [now]
    before = []
    for key in keys:
        history = state.attrs[key].history
        before.append(history.deleted[0] if history.deleted else getattr(obj, key))
    return [now, tuple(before)]


before_and_after = _before_and_after


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    principal = session.info.get("principal")
    changed = list(session.new) + [o for o in session.dirty if session.is_modified(o)] + list(session.deleted)
    if not changed:
        return
    if principal is None:
        raise Unauthenticated("no principal on this session: every write is made on someone's behalf")
    for obj in changed:
        if not may_write(principal, obj, session):
            raise Forbidden(f"{principal.name} may not change this {type(obj).__tablename__} row")


def require(p: Principal, action: str, company_id: int, complex_id: int | None = None) -> None:
    """Explicit check for paths that bypass the ORM.  ``action`` is ``read`` or ``write_readings``.

    A refused read answers NotFound, so the answer never tells whether the thing exists.
    """
    if action == "read":
        if not p.may_read_company(company_id, complex_id):
            raise NotFound("not found")
        return
    if action == "write_readings":
        if not (p.is_admin or company_id in p.companies_readings):
            raise NotFound("not found")
        return
    raise ValueError(f"unknown action {action}")


def install() -> None:
    """Attach the policy hooks to every session (idempotent)."""
    if not event.contains(Session, "do_orm_execute", _on_execute):
        event.listen(Session, "do_orm_execute", _on_execute)
        event.listen(Session, "before_flush", _before_flush)
