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
from safepassage.ops.store import User

WRITE_ROLES = {"admin", "coordinator", "reporter"}
READ_ROLES = {"admin", "coordinator", "observer"}
#: What a reporter may write (within their scope); the rest is for coordinators.
REPORTER_TYPES = {
    "checkpoint_count",
    "waypoint_passage",
    "incident",
    "bus_movement",
    "aid_delivery",
}
#: The payload field that names what a reporter's scope must include.
SCOPED_FIELD = {"checkpoint_count": "checkpoint", "waypoint_passage": "convoy"}
ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"


def services(request: Request) -> Services:
    """The app's shared services (store, live state, committer, limits)."""
    svc: Services = request.app.state.services
    return svc


async def caller(
    svc: Annotated[Services, Depends(services)],
    authorization: Annotated[str | None, Header()] = None,
) -> User:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(401, "send Authorization: Bearer TOKEN", {"WWW-Authenticate": "Bearer"})
    user = await svc.users.get(authorization[7:].strip())
    if user is None:
        raise HTTPException(401, "unknown or revoked token", {"WWW-Authenticate": "Bearer"})
    wait = svc.limiter.allow(user.name)
    if wait:
        raise HTTPException(429, "too many requests", {"Retry-After": str(max(1, round(wait)))})
    return user


async def writer(user: Annotated[User, Depends(caller)]) -> User:
    if user.role not in WRITE_ROLES:
        raise HTTPException(403, f"role {user.role} may not write")
    return user


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


def permitted(user: User, event: EventIn) -> str | None:
    """Why `user` may not write `event`, or None."""
    if user.role != "reporter":
        return None
    if event.type not in REPORTER_TYPES:
        return f"reporters may not write {event.type} events"
    name = SCOPED_FIELD.get(event.type)
    if name and event.data.get(name) not in user.scope:
        return (
            f"{name} {event.data.get(name)!r} is outside your assignment ({', '.join(user.scope)})"
        )
    return None
