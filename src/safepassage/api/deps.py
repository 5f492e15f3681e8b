"""Who is calling and what they may do: authentication, roles and the authorisation rules of
every write, in one place.

Token authentication (`Authorization: Bearer TOKEN`); roles: admin, coordinator, reporter
(limited to named checkpoints or convoys), observer; and a public view that needs no token.
"""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from safepassage.api.services import Services
from safepassage.ops.events import EventIn
from safepassage.ops.store import Target, User

WRITE_ROLES = {"admin", "coordinator", "reviewer", "reporter"}
READ_ROLES = {"admin", "coordinator", "reviewer", "observer"}
#: What a reporter may write (within their scope); the rest is for coordinators.
REPORTER_TYPES = {
    "checkpoint_count",
    "waypoint_passage",
    "incident",
    "bus_movement",
    "aid_delivery",
    "retraction",  # of their own events only (correction_problem)
    "claim",  # a figure a reporter heard or saw; it lands reported or unverified
}
#: The payload field that names what a reporter's scope must include.
SCOPED_FIELD = {
    "checkpoint_count": "checkpoint",
    "waypoint_passage": "convoy",
    "bus_movement": "bus",
}
ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"


async def services(request: Request) -> Services:
    """The app's shared services (store, live state, committer, limits). Async: a plain
    function as a dependency would cost a thread-pool hop on every request."""
    svc: Services = request.app.state.services
    return svc


async def caller(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    authorization: Annotated[str | None, Header()] = None,
) -> User:
    return await authenticated(request, svc, authorization)


async def authenticated(request: Request, svc: Services, authorization: str | None) -> User:
    """The caller, or 401 (no or unknown token) or 429 (over the per-user request rate)."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(401, "send Authorization: Bearer TOKEN", {"WWW-Authenticate": "Bearer"})
    # The gate (guard.py) authenticated the token already; look it up only if it did not.
    user = request.scope.get("safepassage.user") or await svc.users.get(authorization[7:].strip())
    if user is None:
        raise HTTPException(401, "unknown or revoked token", {"WWW-Authenticate": "Bearer"})
    wait = svc.limiter.allow(user.name)
    if wait:
        raise HTTPException(429, "too many requests", {"Retry-After": str(max(1, round(wait)))})
    return user


async def writer(user: Annotated[User, Depends(caller)]) -> User:
    return may_write(user)


def may_write(user: User) -> User:
    """`user`, or 403 when their role does not write."""
    if user.role not in WRITE_ROLES:
        raise HTTPException(403, f"role {user.role} may not write")
    return user


async def writer_of(request: Request) -> tuple[User, Services]:
    """The `Writer` and `Svc` dependencies without FastAPI's dependency solving, for the one
    route every reporter's phone calls (its cost was a fifth of a write's CPU; design.md)."""
    svc: Services = request.app.state.services
    user = await authenticated(request, svc, request.headers.get("authorization"))
    return may_write(user), svc


async def reader(user: Annotated[User, Depends(caller)]) -> User:
    if user.role not in READ_ROLES:
        raise HTTPException(403, f"role {user.role} may not read the live state")
    return user


async def admin(user: Annotated[User, Depends(caller)]) -> User:
    if user.role != "admin":
        raise HTTPException(403, "admin only")
    return user


Writer = Annotated[User, Depends(writer)]
Reader = Annotated[User, Depends(reader)]
Admin = Annotated[User, Depends(admin)]
Svc = Annotated[Services, Depends(services)]


#: Who may confirm a report (set `status: confirmed`); a reporter's report is stored as
#: unverified whatever it says.
CONFIRMING_ROLES = {"admin", "coordinator", "reviewer"}
#: Who may announce corridors (which is what creates them).
ANNOUNCING_ROLES = {"admin", "coordinator"}
#: The most people a report may put in one car or one bus, and on foot besides; a count above
#: it is held for review, not taken as fact (docs/security.md).
PEOPLE_PER_CAR, PEOPLE_PER_BUS, PEOPLE_ON_FOOT = 9, 80, 50


def covers(user: User, corridor: str) -> bool:
    """Whether `corridor` is one of the user's (no corridor: every one, except reporters)."""
    if user.role == "admin":
        return True
    if not user.corridors:
        return user.role != "reporter"
    return corridor in user.corridors


def permitted(user: User, event: EventIn) -> str | None:
    """Why `user` may not write `event` (by its role, corridors and assignment), or None."""
    if event.type == "corridor_announced":
        if user.role not in ANNOUNCING_ROLES:
            return "only coordinators announce corridors"
    elif user.role == "reporter" and event.type not in REPORTER_TYPES:
        return f"reporters may not write {event.type} events"
    elif (
        user.role == "reviewer"
        and event.type != "claim_review"
        and (event.supersedes is None or event.type not in REPORTER_TYPES)
    ):
        return "reviewers write reviews of claims and corrections of reports (with `supersedes`)"
    if not covers(user, event.corridor):
        mine = ", ".join(user.corridors) or "none"
        return f"corridor {event.corridor!r} is not one of yours ({mine})"
    name = SCOPED_FIELD.get(event.type)
    if user.role == "reporter" and name and event.data.get(name) not in user.scope:
        return (
            f"{name} {event.data.get(name)!r} is outside your assignment ({', '.join(user.scope)})"
        )
    return None


def correction_problem(user: User, event: EventIn, target: Target | None) -> str | None:
    """Why `event` may not correct (or retract) `target`, or None. A reporter hears the same
    answer for an id that does not exist and for one that is not theirs."""
    ref = str(event.supersedes)
    if user.role == "reporter" and (target is None or target.reporter != user.name):
        return f"you have no event {ref} in corridor {event.corridor!r} to correct"
    if target is None:
        return f"no event {ref} is stored (a correction names an event already recorded)"
    if target.corridor != event.corridor:
        return f"event {ref} is in another corridor; a correction stays in its corridor"
    if not covers(user, target.corridor):
        return f"event {ref} is in a corridor that is not one of yours"
    if user.role == "reviewer" and target.type not in REPORTER_TYPES:
        return f"event {ref} is a {target.type}, not a report; reviewers correct reports"
    if event.type not in ("retraction", target.type):
        return f"event {ref} is a {target.type}; correct it with a {target.type} or a retraction"
    return None


def normalised(user: User, event: EventIn) -> EventIn:
    """The event as it is stored: unverified unless a confirming role says otherwise, and held
    for review when its people per vehicle are beyond belief."""
    status = event.status
    if user.role not in CONFIRMING_ROLES and status != "held":
        status = "unverified"
    if event.type == "checkpoint_count" and status != "confirmed" and implausible(event):
        status = "held"
    if status == event.status:
        return event
    return event.model_copy(update={"status": status})


def implausible(event: EventIn) -> bool:
    """People beyond PEOPLE_PER_CAR a car, PEOPLE_PER_BUS a bus and PEOPLE_ON_FOOT besides."""
    d = event.data
    people = d.get("people")
    if not isinstance(people, int):
        return False
    most = PEOPLE_PER_CAR * d.get("vehicles", 0) + PEOPLE_PER_BUS * d.get("buses", 0)
    return bool(people > most + PEOPLE_ON_FOOT)
