"""The scenario vocabulary: what a corridor plan is made of (pydantic v2 models).

Units live in names; times in a scenario file may be written without a zone and then mean the
scenario's `timezone` (Kyiv and Moscow time were confused in 2022: the zone is never implicit
in the code).
"""

from __future__ import annotations

import re
from datetime import datetime, time, tzinfo
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from safepassage.model.instants import elapsed_s

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", max_length=64)]
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def _check_names(names: dict[str, str]) -> dict[str, str]:
    for lang, name in names.items():
        if not _LANG.match(lang):
            raise ValueError(
                f"{lang!r} is not a language code: key names by a short code such as uk, en, ru"
            )
        if not name.strip():
            raise ValueError(f"the {lang} name is empty: write the name or leave the language out")
    return names


#: Display names by language code (uk, en, ru, pt-BR ...), e.g. {uk: Маріуполь, en: Mariupol}.
Names = Annotated[dict[str, Annotated[str, Field(max_length=200)]], AfterValidator(_check_names)]
NonNegative = Annotated[int, Field(ge=0)]
Mode = Literal["car", "bus", "foot"]


def _check_latlon(value: tuple[float, float]) -> tuple[float, float]:
    lat, lon = value
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise ValueError(
            "expected [latitude, longitude] with latitude in -90..90 and longitude in -180..180"
        )
    return value


class Strict(BaseModel):
    """Base of every scenario model: unknown fields are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Place(Strict):
    """Something with an id and a position ([lat, lon]); `names` are what people read
    (`safepassage.model.names.display_name`), the id is for files and logs."""

    id: Id
    at: tuple[float, float]
    names: Names = Field(default_factory=dict)

    _latlon = field_validator("at")(_check_latlon)


class Origin(Place):
    """An assembly point or district people leave from.

    `car_occupancy` overrides the scenario's for this origin; `to` limits which destinations
    its people go to (any, when absent); `priority` weighs its people in the planner (2: one
    person here counts as two elsewhere, for the sick and the wounded).
    """

    people: NonNegative
    cars: NonNegative = 0
    need_bus: NonNegative = 0
    car_occupancy: Annotated[float, Field(gt=0)] | None = None
    to: list[Id] | None = None
    priority: Annotated[float, Field(ge=1, le=100)] = 1.0
    note: str | None = None

    @model_validator(mode="after")
    def _bus_within_people(self) -> Origin:
        if self.need_bus > self.people:
            raise ValueError(f"need_bus ({self.need_bus}) is more than people ({self.people})")
        return self


class Destination(Place):
    """A reception point; `capacity_people` None means unlimited."""

    capacity_people: NonNegative | None = None
    note: str | None = None


class Waypoint(Place):
    """A named place on the corridor; `overnight_stop` where convoys may stay the night;
    `public` for a main town that the public route lists (the rest stay off public pages)."""

    overnight_stop: bool = False
    public: bool = False
    note: str | None = None


class Spread(Strict):
    """A positive duration in seconds given as mean and standard deviation."""

    mean: Annotated[float, Field(gt=0)]
    sd: Annotated[float, Field(ge=0)] = 0.0
    distribution: Literal["lognormal", "gamma"] = "lognormal"


_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def parse_hours(text: str) -> tuple[time, time] | None:
    """`HH:MM-HH:MM` to (open, close); `always` to None. Closing may pass midnight."""
    if text.strip().lower() in ("always", "24h", "00:00-24:00"):
        return None
    match = _HOURS.match(text.strip())
    if not match:
        raise ValueError(
            f"opening hours {text!r}: write them as HH:MM-HH:MM, e.g. 08:00-18:00, or 'always'"
        )
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise ValueError(f"opening hours {text!r}: not a valid time of day")
    return time(h1, m1), time(0, 0) if h2 == 24 else time(h2, m2)


class Checkpoint(Place):
    """A checkpoint inspecting vehicles one by one on each open lane; `public` only where the
    public route should name it (publishing every checkpoint helps no civilian)."""

    controlled_by: str
    lanes: Annotated[int, Field(ge=1)] = 1
    inspection_s: Spread
    open: str = "always"
    public: bool = False
    #: Chance that a bus is seized each time it passes here (either way); 0 to 1.
    bus_loss_risk: Annotated[float, Field(ge=0, le=1)] = 0.0
    #: Seconds a lane is busy inspecting one bus (its passengers too); default: a car's mean.
    bus_inspection_s: Annotated[float, Field(gt=0)] | None = None
    note: str | None = None

    @field_validator("open")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_hours(value)
        return value

    @property
    def throughput_vph(self) -> float:
        """Vehicles per hour when every lane is busy: lanes x 3600 / mean inspection time."""
        return self.lanes * 3600.0 / self.inspection_s.mean


def zone(name: str) -> tzinfo:
    """The time zone called `name` (IANA), with a helpful error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = [
            z for z in available_timezones() if z.lower().endswith(name.lower().split("/")[-1])
        ]
        hint = f"; did you mean {close[0]}?" if close else "; use an IANA name such as Europe/Kyiv"
        raise ValueError(f"unknown time zone {name!r}{hint}") from None


class Window(Strict):
    """The ceasefire window: departures only inside it."""

    start: datetime
    end: datetime
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.start.tzinfo is None and self.end.tzinfo is None and self.end <= self.start:
            raise ValueError(f"the window ends ({self.end}) before it starts ({self.start})")
        return self

    def localized(self, default_zone: str) -> Window:
        """This window with zone-less times placed in its own zone, or `default_zone`."""
        tz = zone(self.timezone or default_zone)
        start = self.start if self.start.tzinfo else self.start.replace(tzinfo=tz)
        end = self.end if self.end.tzinfo else self.end.replace(tzinfo=tz)
        return Window(start=start, end=end, timezone=self.timezone or default_zone)

    @property
    def duration_s(self) -> float:
        """Seconds that pass from start to end (on instants: a clock change counts)."""
        return elapsed_s(self.start, self.end)


class Corridor(Strict):
    """The agreed route: vehicles pass `via` (waypoint or checkpoint ids) in order."""

    via: list[Id] = Field(default_factory=list)
    #: Other `via` lists a negotiator could ask for; `plan --sensitivity` re-plans with each.
    alternatives: list[list[Id]] = Field(default_factory=list)
    window: Window
    modes: list[Mode] = Field(default_factory=lambda: list[Mode](["car", "bus"]))
    note: str | None = None


class Circle(Strict):
    at: tuple[float, float]
    radius_m: Annotated[float, Field(gt=0)]

    _latlon = field_validator("at")(_check_latlon)


class Hazard(Strict):
    """An area closed to traffic (shelling, mines, a destroyed bridge), optionally for a time."""

    kind: str
    circle: Circle | None = None
    polygon: list[tuple[float, float]] | None = None
    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Hazard:
        if (self.circle is None) == (self.polygon is None):
            raise ValueError("a hazard has exactly one shape: `circle` or `polygon`")
        if self.polygon is not None and len(self.polygon) < 3:
            raise ValueError("a polygon needs at least 3 points")
        return self


class Bus(Strict):
    id: Id
    seats: Annotated[int, Field(ge=1)]
    depot: Id
    #: When the bus can leave its depot (default: the window's start); zone as the window's.
    earliest: datetime | None = None


class Fleet(Strict):
    buses: list[Bus] = Field(default_factory=list)


class Fairness(Strict):
    """No origin's people wait, on average, more than `max_wait_gap_h` hours longer to leave
    than another origin's (mean departure time from the window's start)."""

    max_wait_gap_h: Annotated[float, Field(gt=0)]


class Occupancy(Strict):
    """People per vehicle."""

    car: Annotated[float, Field(gt=0)] = 2.5


class NetworkNode(Place):
    """A node of a corridor-scale network that is not an origin, destination or checkpoint."""


class Link(Strict):
    """A road between two named places of a corridor-scale network (both directions unless oneway)."""

    from_: Id = Field(alias="from")
    to: Id
    length_km: Annotated[float, Field(gt=0)]
    speed_kmh: Annotated[float, Field(gt=0)] = 60.0
    lanes: Annotated[int, Field(ge=1)] = 1
    capacity_vph: Annotated[float, Field(gt=0)] | None = None
    road: str = "primary"
    oneway: bool = False
    note: str | None = None


class NetworkSpec(Strict):
    """Where the road network comes from: an OSM file, a MATSim file, or explicit links."""

    osm: str | None = None
    matsim: str | None = None
    crs: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    nodes: list[NetworkNode] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    capacity_vph_per_lane: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> NetworkSpec:
        given = [name for name in ("osm", "matsim") if getattr(self, name)] + (
            ["links"] if self.links else []
        )
        if len(given) != 1:
            raise ValueError(
                "give exactly one network source: `osm: FILE`, `matsim: FILE` or `links: [...]`"
                + (f" (found {', '.join(given)})" if given else "")
            )
        return self


class Interruptions(Strict):
    """Interruptions arriving at random (a Poisson process) with exponential durations."""

    per_day: Annotated[float, Field(ge=0)] = 0.0
    mean_duration_h: Annotated[float, Field(gt=0)] = 1.0


class Suspensions(Interruptions):
    """Suspensions of the ceasefire: all traffic and inspection halt while one lasts."""

    mean_duration_h: Annotated[float, Field(gt=0)] = 2.0


class LaneClosures(Interruptions):
    """Each checkpoint lane closes now and then (staff, shift change, an incident)."""


class Breakdowns(Strict):
    """Vehicles that break down lose time (and are overtaken)."""

    per_100km: Annotated[float, Field(ge=0)] = 0.0
    mean_delay_min: Annotated[float, Field(gt=0)] = 60.0


class Lateness(Strict):
    """How late vehicles leave against their planned slot (lognormal, minutes; 0 = on time)."""

    mean_min: Annotated[float, Field(ge=0)] = 10.0
    sd_min: Annotated[float, Field(ge=0)] = 10.0


class HeldOrLost(Strict):
    """At the checkpoints it names (all of them, or those of `controlled_by`, or `checkpoints`),
    a vehicle of this kind is held for hours (`held_p`, exponential, mean `held_mean_h`) or
    turned back or seized (`lost_p`). A later rule for the same checkpoint and vehicle wins."""

    vehicle: Literal["car", "bus", "any"] = "any"
    checkpoints: list[Id] | None = None
    controlled_by: str | None = None
    held_p: Annotated[float, Field(ge=0, le=1)] = 0.0
    held_mean_h: Annotated[float, Field(gt=0)] = 4.0
    lost_p: Annotated[float, Field(ge=0, le=1)] = 0.0
    note: str | None = None

    @model_validator(mode="after")
    def _at_most_one(self) -> HeldOrLost:
        if self.held_p + self.lost_p > 1:
            raise ValueError(f"held_p + lost_p is {self.held_p + self.lost_p:g}: at most 1")
        return self


class Amount(Strict):
    """A non-negative amount with its uncertainty (gamma-distributed; sd 0: exact)."""

    mean: Annotated[float, Field(ge=0)]
    sd: Annotated[float, Field(ge=0)] = 0.0


class Demand(Strict):
    """Who wants to leave (the forecast's `--from demand` mode): a pool of cars waiting at the
    start (default: the origins' cars) and cars arriving per day afterwards, each drawn once per
    replication; people per car drawn around the scenario's occupancy with `occupancy_sd`."""

    pool_cars: Amount | None = None
    arrivals_cars_per_day: Amount = Field(default_factory=lambda: Amount(mean=0.0))
    occupancy_sd: Annotated[float, Field(ge=0)] = 0.0
    note: str | None = None


class ForecastSpec(Strict):
    """What the Monte Carlo forecast varies; every field has a documented default
    (docs/forecast.md)."""

    driver_cv: Annotated[float, Field(ge=0, le=1)] = 0.05
    road_cv: Annotated[float, Field(ge=0, le=1)] = 0.10
    departure_lateness: Lateness = Field(default_factory=Lateness)
    suspensions: Suspensions = Field(default_factory=Suspensions)
    lane_closures: LaneClosures = Field(default_factory=LaneClosures)
    breakdowns: Breakdowns = Field(default_factory=Breakdowns)
    drive_hours: str | None = None
    out_at: Id | None = None
    held_or_lost: list[HeldOrLost] = Field(default_factory=list)
    demand: Demand = Field(default_factory=Demand)
    note: str | None = None

    @field_validator("drive_hours")
    @classmethod
    def _drive_hours(cls, value: str | None) -> str | None:
        if value is not None:
            hours = parse_hours(value)
            if hours is not None and hours[0] >= hours[1]:
                raise ValueError("drive_hours must be a daytime span such as 06:00-18:00")
        return value


class Scenario(Strict):
    """A whole evacuation scenario as written in a scenario file."""

    name: str
    names: Names = Field(default_factory=dict)
    timezone: str = "UTC"
    network: NetworkSpec
    origins: list[Origin] = Field(min_length=1)
    destinations: list[Destination] = Field(min_length=1)
    checkpoints: list[Checkpoint] = Field(default_factory=list)
    waypoints: list[Waypoint] = Field(default_factory=list)
    corridor: Corridor | None = None
    hazards: list[Hazard] = Field(default_factory=list)
    fleet: Fleet = Field(default_factory=Fleet)
    occupancy: Occupancy = Field(default_factory=Occupancy)
    fairness: Fairness | None = None
    forecast: ForecastSpec = Field(default_factory=ForecastSpec)
    assumptions: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        zone(value)
        return value

    @property
    def tz(self) -> tzinfo:
        return zone(self.timezone)

    def window(self) -> Window | None:
        """The corridor's window with its zone applied, or None without a corridor."""
        return self.corridor.window.localized(self.timezone) if self.corridor else None

    def places(self) -> dict[str, Place]:
        """Every named place by id (origins, destinations, checkpoints, waypoints, network nodes)."""
        out: dict[str, Place] = {}
        for group in (
            self.network.nodes,
            self.waypoints,
            self.checkpoints,
            self.destinations,
            self.origins,
        ):
            for place in group:
                out[place.id] = place
        return out

    @property
    def people_total(self) -> int:
        return sum(o.people for o in self.origins)
