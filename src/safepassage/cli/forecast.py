"""`safepassage forecast SCENARIO`, `forecast calibrate`, `forecast sweep`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from safepassage.cli.common import (
    JsonOption,
    console,
    err_console,
    handles_errors,
    print_json,
    write_output,
)
from safepassage.errors import Problem, SafePassageError
from safepassage.model.prepare import prepare_scenario
from safepassage.model.scenario import parse_hours, zone


class _DefaultToRun(TyperGroup):
    """`forecast SCENARIO ...` means `forecast run SCENARIO ...`; subcommands keep their names."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=_DefaultToRun,
    help="Forecast a plan: Monte Carlo through the checkpoint queues (SCENARIO, calibrate, sweep).",
    no_args_is_help=True,
)


def _progress(total: int, label: str, quiet: bool) -> Progress:
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
        transient=True,
    )


def _load_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SafePassageError(Problem(f"{what} not found", file=str(path))) from None
    except (OSError, ValueError) as exc:
        raise SafePassageError(
            Problem(f"cannot read {what}: {exc}", file=str(path), hint="write it with --out")
        ) from None
    if not isinstance(data, dict):
        raise SafePassageError(Problem(f"not a {what}", file=str(path)))
    return data


@app.command("run")
@handles_errors
def forecast_cmd(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    runs: int = typer.Option(1000, "--runs", min=1, help="Monte Carlo replications."),
    seed: int = typer.Option(1, "--seed", min=0, help="Random seed (same seed, same forecast)."),
    source: str | None = typer.Option(
        None,
        "--from",
        help="demand (people queue; the corridor's capacity decides the flow; default with a "
        "corridor) or plan (the plan's departure slots).",
    ),
    days: int = typer.Option(7, "--days", min=1, max=60, help="Days the demand mode looks ahead."),
    start: str | None = typer.Option(
        None,
        "--start",
        help="When the demand mode starts (default: the calibration's start when it fitted the "
        "demand, else the window's start).",
    ),
    as_json: bool = JsonOption,
    html_out: Path | None = typer.Option(None, "--html", help="Write an offline HTML report."),
    calibration: Path | None = typer.Option(
        None, "--calibration", help="A `forecast calibrate --out` file to use."
    ),
) -> None:
    """Forecast the corridor: vehicles and people per day and station, journey times,
    vehicles held or lost, arrival times per station, queues over time."""
    from safepassage.forecast import forecast_prepared
    from safepassage.forecast.html import forecast_html

    prepared = prepare_scenario(scenario, cut_off="warning")
    for warning in prepared.warnings:
        err_console.print(f"[yellow]{warning}[/]", highlight=False)
    mode = source or ("demand" if prepared.scenario.corridor is not None else "plan")
    if mode not in ("demand", "plan"):
        raise SafePassageError(
            Problem(f"--from {source!r}: expected demand or plan", hint="for example --from plan")
        )
    calib = _load_json(calibration, "calibration file") if calibration else None
    if calib is not None and not isinstance(calib.get("draws"), dict):
        raise SafePassageError(
            Problem(
                "the calibration has no posterior draws (written by an older version?)",
                file=str(calibration),
                hint="run `safepassage forecast calibrate ... --out FILE` again",
            )
        )
    begin = _parse_time(start, prepared.scenario.timezone, "--start") if start else None
    with _progress(runs, "Forecasting", as_json) as bar:
        task = bar.add_task("runs", total=runs)
        fc = forecast_prepared(
            prepared,
            runs=runs,
            seed=seed,
            progress=lambda n: bar.advance(task, n),
            calibration=calib,
            mode=mode,
            days=days,
            start=begin,
        )
    data = fc.as_dict()
    if calib is not None and calibration is not None:
        data["calibration"]["file"] = str(calibration)
    if html_out:
        from safepassage.web.reportmap import named_forecast, scenario_map_figure

        scenario_ = prepared.scenario
        write_output(
            html_out,
            forecast_html(named_forecast(data, scenario_), scenario_map_figure(scenario_)),
        )
    if as_json:
        print_json(data)
        return
    print_forecast(data)


def _band(q: dict[str, Any]) -> str:
    return f"{q['p50']:,} ({q['p10']:,}-{q['p90']:,})"


def print_forecast(d: dict[str, Any]) -> None:
    console.print(
        f"[bold]{d['scenario']}[/]: {d['mode']} mode, {d['runs']:,} runs, seed {d['seed']}, "
        f"{d['start']} to {d['horizon_end']} ({d['zone']})"
    )
    cal = d["calibration"]
    console.print(
        "calibration: "
        + (
            f"{cal.get('file', cal['checkpoint'])} ({cal['checkpoint']}, counts from {cal['opened']})"
            if cal
            else "none (the scenario's assumptions)"
        )
    )
    console.print(d["headline"]["sentence"])
    if d["mode"] == "plan":
        out = d["people_out_by_window_end"]
        console.print(
            f"chance everyone is through {d['out_at']} by the window's end ({d['window']['end']}): "
            f"[bold]{d['p_window_suffices']:.0%}[/]; people through by then: {_band(out)}; "
            f"the plan says {d['plan_people_out_by_window_end']}"
        )
    first, last = d["stations"][0]["id"], d["stations"][-1]["id"]
    table = Table(title="Per day: P50 (P10-P90)")
    for col in (
        "date",
        f"vehicles {first}",
        f"people {first}",
        f"vehicles {last}",
        f"people {last}",
    ):
        table.add_column(col)
    by = {(r["date"], r["station"]): r for r in d["daily"]}
    for date in sorted({r["date"] for r in d["daily"]}):
        a, b = by[(date, first)], by[(date, last)]
        table.add_row(
            date, _band(a["vehicles"]), _band(a["people"]), _band(b["vehicles"]), _band(b["people"])
        )
    console.print(table)
    f = d["fate_at_horizon"]
    console.print(
        f"at {f['at']}: of {_band(f['demand']['people'])} people, arrived {_band(f['arrived']['people'])}, "
        f"waiting {_band(f['waiting']['people'])}, held {_band(f['held']['people'])}, "
        f"lost {_band(f['lost']['people'])}"
    )
    for j in d["journeys_h"][-1:]:
        a = j["all"]
        console.print(
            f"hours from {first} to {j['to']}: first vehicle {a['first']['p50']}, "
            f"median {a['median']['p50']}, last {a['last']['p50']} (P50)"
        )
    for note in d["not_simulated"]:
        console.print(f"[yellow]not simulated:[/] {note}")


def _parse_time(text: str, tz_name: str, option: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SafePassageError(
            Problem(
                f"{option}: {text!r} is not a time",
                hint="write YYYY-MM-DDTHH:MM, e.g. 2022-03-14T13:00 (the scenario's zone if none given)",
            )
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=zone(tz_name))


def _counts(texts: list[str], option: str, what: str, tz_name: str) -> list[Any]:
    from safepassage.forecast.calibrate import Observation

    out = []
    for text in texts:
        when, sep, number = text.partition("=")
        try:
            value = float(number.replace(",", ""))
        except ValueError:
            value = -1.0
        if not sep or value < 0:
            raise SafePassageError(
                Problem(
                    f"{option} {text!r}: expected TIME=VEHICLES"
                    + (" (people)" if what == "people" else ""),
                    hint=f"for example {option} 2022-03-14T15:00=160",
                )
            )
        out.append(Observation(_parse_time(when, tz_name, option), value, what=what))
    return out


@app.command("calibrate")
@handles_errors
def calibrate_cmd(
    scenario: Path = typer.Argument(..., help="Scenario YAML file (for the checkpoint and zone)."),
    checkpoint: str = typer.Option(..., "--checkpoint", help="Checkpoint id the counts are for."),
    opened: str = typer.Option(..., "--from", help="When counting started (it opened)."),
    counts: list[str] = typer.Option(
        ..., "--count", help="TIME=VEHICLES through, cumulative since --from; repeat the option."
    ),
    waiting: list[str] = typer.Option(
        [], "--waiting", help="TIME=VEHICLES queued at that moment (fits the demand)."
    ),
    people: list[str] = typer.Option(
        [], "--people", help="TIME=PEOPLE through, cumulative since --from (fits people per car)."
    ),
    hours: str = typer.Option(
        "auto",
        "--hours",
        help="Opening hours (HH:MM-HH:MM or always), or auto: the scenario's, always and "
        "common daytime spans, weighed by the counts.",
    ),
    reporting_error: float = typer.Option(
        0.1, "--error", min=0.0, max=1.0, help="Relative error of reported counts."
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed of the sampler."),
    out: Path | None = typer.Option(None, "--out", help="Write the calibration as JSON."),
    as_json: bool = JsonOption,
) -> None:
    """Fit a checkpoint's throughput and hours (and, from queue and people counts, the demand
    and people per car) from counts, with their uncertainty."""
    from safepassage.forecast.calibrate import calibrate

    prepared = prepare_scenario(scenario, cut_off="warning")
    s = prepared.scenario
    by_id = {c.id: c for c in s.checkpoints}
    if checkpoint not in by_id:
        raise SafePassageError(
            Problem(
                f"--checkpoint {checkpoint!r} is not a checkpoint of the scenario",
                hint=f"checkpoints: {', '.join(by_id)}",
            )
        )
    cp = by_id[checkpoint]
    try:
        if hours.strip().lower() == "auto":
            candidates = []
            for text in (cp.open, "always", *AUTO_HOURS):
                h = parse_hours(text)
                if h not in candidates:
                    candidates.append(h)
        else:
            candidates = [parse_hours(hours)]
    except ValueError as exc:
        raise SafePassageError(Problem(f"--hours: {exc}")) from None
    observations = (
        _counts(counts, "--count", "out", s.timezone)
        + _counts(waiting, "--waiting", "waiting", s.timezone)
        + _counts(people, "--people", "people", s.timezone)
    )
    cal = calibrate(
        checkpoint,
        _parse_time(opened, s.timezone, "--from"),
        sorted(observations, key=lambda o: o.at),
        candidates,
        cv=cp.inspection_s.sd / cp.inspection_s.mean,
        lanes=cp.lanes,
        reporting_error=reporting_error,
        seed=seed,
    )
    data = cal.as_dict()
    if out:
        write_output(out, json.dumps(data, indent=1))
    if as_json:
        print_json({k: v for k, v in data.items() if k != "draws"})
        return
    print_calibration(data)


#: Hours `--hours auto` weighs besides the scenario's and "always".
AUTO_HOURS = ("06:00-22:00", "07:00-19:00", "08:00-18:00", "09:00-18:00")


def print_calibration(data: dict[str, Any]) -> None:
    t = data["throughput_vph"]
    console.print(
        f"[bold]{data['checkpoint']}[/] (counts from {data['opened']}): {t['mean']} vehicles per "
        f"open hour (90%: {t['p5']}-{t['p95']})"
    )
    console.print(
        "hours: "
        + ", ".join(f"{h} {p:.0%}" for h, p in data["hours_posterior"].items())
        + f" (most probable: {data['hours']})"
    )
    lanes = data["scenario_lanes"]
    per = data["inspection_mean_s_by_lanes"][str(lanes)]
    console.print(
        f"with the scenario's {lanes} lane(s): mean inspection {per['mean']} s "
        f"(90%: {per['p5']}-{per['p95']} s)"
    )
    if data["demand"]:
        pool, rate = data["demand"]["pool_cars"], data["demand"]["arrivals_cars_per_day"]
        console.print(
            f"demand: {pool['mean']:,.0f} cars waiting at the start (90%: {pool['p5']:,.0f}-"
            f"{pool['p95']:,.0f}), {rate['mean']:,.0f} arriving a day (90%: {rate['p5']:,.0f}-"
            f"{rate['p95']:,.0f})"
        )
    if data["occupancy"]:
        o = data["occupancy"]
        console.print(f"people per car: {o['mean']} (90%: {o['p5']}-{o['p95']})")
    table = Table(title="Observations against the fit")
    for col in ("time", "counted", "observed", "expected", "z"):
        table.add_column(col)
    for r in data["observations"]:
        table.add_row(
            r["at"], r["what"], f"{r['observed']:,.0f}", f"{r['expected']:,}", str(r["z"])
        )
    console.print(table)
    console.print(("[green]" if data["consistent"] else "[yellow]") + data["verdict"] + "[/]")


@app.command("sweep")
@handles_errors
def sweep_cmd(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    vary: list[str] = typer.Option(
        [],
        "--vary",
        help="NAME=V1,V2,...: CHECKPOINT.lanes, CHECKPOINT.inspection_mean, window_h, forecast.FIELD.",
    ),
    seeds: int = typer.Option(1, "--seeds", min=1, help="Seeds per grid point (1, 2, ...)."),
    runs: int = typer.Option(500, "--runs", min=1, help="Replications per point and seed."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Local processes."),
    dask: str | None = typer.Option(
        None, "--dask", help="Run on a Dask cluster at this scheduler address (tcp://HOST:PORT)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Forecast a grid of settings x seeds, on local processes or a Dask cluster."""
    from safepassage.forecast.sweep import grid, parse_axis, run_sweep

    prepare_scenario(scenario, cut_off="warning")  # fail early, with the file's own messages
    axes = [parse_axis(v) for v in vary]
    points = grid(str(scenario), axes, range(1, seeds + 1), runs)
    with _progress(len(points), "Sweeping", as_json) as bar:
        task = bar.add_task("points", total=len(points))
        results = run_sweep(
            points, workers=workers, dask_address=dask, progress=lambda n: bar.advance(task, n)
        )
    if as_json:
        print_json({"scenario": str(scenario), "points": results})
        return
    table = Table(title=f"Sweep of {scenario.name}")
    for col in (
        "settings",
        "seed",
        "P(window suffices)",
        "people out P50",
        "plan",
        "last arrival P50",
    ):
        table.add_column(col)
    for r in results:
        table.add_row(
            ", ".join(f"{k}={v:g}" for k, v in r["overrides"].items()) or "(as written)",
            str(r["seed"]),
            f"{r['p_window_suffices']:.0%}",
            f"{r['people_out_by_window_end']['p50']:,}",
            f"{r['plan_people_out_by_window_end']:,}",
            r["last_arrival_p50"][5:16],
        )
    console.print(table)
