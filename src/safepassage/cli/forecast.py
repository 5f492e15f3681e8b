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
    as_json: bool = JsonOption,
    html_out: Path | None = typer.Option(None, "--html", help="Write an offline HTML report."),
    calibration: Path | None = typer.Option(
        None, "--calibration", help="A `forecast calibrate --out` file to use."
    ),
) -> None:
    """Forecast the scenario's plan: arrival times per station, people per day, the chance
    that the window suffices, queues over time."""
    from safepassage.forecast import forecast_prepared
    from safepassage.forecast.html import forecast_html

    prepared = prepare_scenario(scenario, cut_off="warning")
    for warning in prepared.warnings:
        err_console.print(f"[yellow]{warning}[/]", highlight=False)
    calib = _load_json(calibration, "calibration file") if calibration else None
    with _progress(runs, "Forecasting", as_json) as bar:
        task = bar.add_task("runs", total=runs)
        fc = forecast_prepared(
            prepared,
            runs=runs,
            seed=seed,
            progress=lambda n: bar.advance(task, n),
            calibration=calib,
        )
    data = fc.as_dict()
    if html_out:
        write_output(html_out, forecast_html(data))
    if as_json:
        print_json(data)
        return
    print_forecast(data)


def print_forecast(d: dict[str, Any]) -> None:
    out = d["people_out_by_window_end"]
    console.print(
        f"[bold]{d['scenario']}[/]: {d['runs']:,} runs, seed {d['seed']}, {d['vehicles']:,} vehicles"
    )
    console.print(
        f"chance everyone is through {d['out_at']} by the window's end ({d['window']['end']}): "
        f"[bold]{d['p_window_suffices']:.0%}[/]"
    )
    console.print(
        f"people through by the window's end: P50 {out['p50']:,} (P10 {out['p10']:,}, P90 {out['p90']:,}); "
        f"the plan says {d['plan_people_out_by_window_end']}"
    )
    table = Table(title="Arrival times: P10 / P50 / P90")
    for col in ("station", "first vehicle", "median vehicle", "last vehicle"):
        table.add_column(col)
    for s in d["stations"]:
        if s["kind"] == "checkpoint" and s is not d["stations"][0]:
            continue
        table.add_row(
            s["id"],
            *(
                f"{s[w]['p10'][5:16]} / {s[w]['p50'][5:16]} / {s[w]['p90'][5:16]}"
                for w in ("first", "median", "last")
            ),
        )
    console.print(table)
    days = Table(title=f"People arriving per day at {d['people_per_day']['station']}")
    for col in ("date", "mean", "P10", "P90"):
        days.add_column(col)
    for row in d["people_per_day"]["days"]:
        days.add_row(row["date"], f"{row['mean']:,}", f"{row['p10']:,}", f"{row['p90']:,}")
    console.print(days)
    worst = sorted(d["queues"], key=lambda q: -q["max_p90"])[:3]
    console.print(
        "longest queues (P90 of the peak): "
        + ", ".join(f"{q['id']} {q['max_p90']} vehicles" for q in worst)
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


@app.command("calibrate")
@handles_errors
def calibrate_cmd(
    scenario: Path = typer.Argument(..., help="Scenario YAML file (for the checkpoint and zone)."),
    checkpoint: str = typer.Option(..., "--checkpoint", help="Checkpoint id the counts are for."),
    opened: str = typer.Option(..., "--from", help="When counting started (it opened)."),
    counts: list[str] = typer.Option(
        ..., "--count", help="TIME=VEHICLES, cumulative since --from; repeat the option."
    ),
    hours: str | None = typer.Option(
        None, "--hours", help="Opening hours (HH:MM-HH:MM or always); default: the scenario's."
    ),
    reporting_error: float = typer.Option(
        0.1, "--error", min=0.0, max=1.0, help="Relative error of reported counts."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the calibration as JSON."),
    as_json: bool = JsonOption,
) -> None:
    """Fit a checkpoint's throughput (and inspection time per number of lanes) from counts."""
    from safepassage.forecast.calibrate import Observation, calibrate_throughput

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
        opening = parse_hours(hours if hours is not None else cp.open)
    except ValueError as exc:
        raise SafePassageError(Problem(f"--hours: {exc}")) from None
    observations = []
    for text in counts:
        when, sep, number = text.partition("=")
        try:
            vehicles = float(number.replace(",", ""))
        except ValueError:
            vehicles = -1.0
        if not sep or vehicles < 0:
            raise SafePassageError(
                Problem(
                    f"--count {text!r}: expected TIME=VEHICLES",
                    hint="for example --count 2022-03-14T15:00=160",
                )
            )
        observations.append(Observation(_parse_time(when, s.timezone, "--count"), vehicles))
    cv = cp.inspection_s.sd / cp.inspection_s.mean
    cal = calibrate_throughput(
        checkpoint,
        _parse_time(opened, s.timezone, "--from"),
        sorted(observations, key=lambda o: o.at),
        opening,
        cv=cv,
        reporting_error=reporting_error,
    )
    data = cal.as_dict()
    data["scenario_lanes"] = cp.lanes
    if out:
        write_output(out, json.dumps(data, indent=2))
    if as_json:
        print_json(data)
        return
    t = data["throughput_vph"]
    console.print(
        f"[bold]{checkpoint}[/] (hours {data['hours']}): {t['mean']} vehicles per open hour "
        f"(90%: {t['p5']}-{t['p95']})"
    )
    per = data["inspection_mean_s_by_lanes"][str(cp.lanes)]
    console.print(
        f"with the scenario's {cp.lanes} lane(s): mean inspection {per['mean']} s (90%: {per['p5']}-{per['p95']} s)"
    )
    table = Table(title="Observations against the fit")
    for col in ("time", "observed", "open hours", "expected", "z", "implied veh/h"):
        table.add_column(col)
    for r in data["observations"]:
        table.add_row(
            r["at"],
            f"{r['observed']:,.0f}",
            str(r["open_hours"]),
            f"{r['expected']:,}",
            str(r["z"]),
            str(r["implied_vph"]),
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
