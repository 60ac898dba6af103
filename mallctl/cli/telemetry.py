"""`mallctl telemetry`: import device files and readings, and look after the devices."""

from __future__ import annotations

import enum
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select

from mallctl.cli.notify import queue_and_deliver
from mallctl.cli.options import AsOfOpt, DryRunOpt, JsonOpt, use
from mallctl.cli.output import Messages, emit, table
from mallctl.directory import selectors as directory
from mallctl.errors import InvalidInput, NotFound, PartialFailure
from mallctl.flows import telemetry as flows
from mallctl.telemetry import aggregate, ingest, selectors
from mallctl.telemetry.models import CountsMode, Device, DeviceStatus

telemetry_app = typer.Typer(
    help="Device readings (运营数据): import, devices, status.", no_args_is_help=True
)
device_app = typer.Typer(help="One device.", no_args_is_help=True)
telemetry_app.add_typer(device_app, name="device")


def register(app: typer.Typer) -> None:
    app.add_typer(telemetry_app, name="telemetry")


QuarantineOpt = Annotated[
    Path | None,
    typer.Option(
        "--quarantine",
        metavar="DIR",
        help="Where rejected rows go (default: $MALLCTL_HOME/quarantine).",
    ),
]


def _finish(app: Any, summary: ingest.ImportSummary, *, json_: bool) -> None:
    view = summary.view()
    messages = Messages(quiet=app.quiet)

    def human(out: Any) -> None:
        out.print(
            table(
                None,
                ["file", "rows", "inserted", "duplicates", "rejected", "new devices"],
                [
                    (
                        f["file"],
                        f["rows"],
                        f["inserted"],
                        f["duplicates"],
                        f["rejected"],
                        f["devices_created"],
                    )
                    for f in view["per_file"]
                ],
                right=["rows", "inserted", "duplicates", "rejected", "new devices"],
            )
        )
        out.print(
            f"{view['files']} files, {view['rows']} rows: {view['inserted']} inserted, "
            f"{view['duplicates']} duplicates, {view['rejected']} rejected",
            soft_wrap=True,
        )
        for fix, n in view["fixes"].items():
            out.print(f"  cleaned: {n} × {fix} (set to NULL, original kept)", soft_wrap=True)

    emit(view, as_json=json_, human=human)
    if view["rejected"]:
        messages.warn(
            f"rejected rows (fix them and import this file again): {view['rejected_file']}"
        )
        raise PartialFailure(f"{view['rejected']} of {view['rows']} rows rejected")


@telemetry_app.command("import")
def import_(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Files or directories.")],
    format_: Annotated[
        str, typer.Option("--format", metavar="auto|ndjson|json|csv", help="Default: detected.")
    ] = "auto",
    archive: Annotated[
        Path | None,
        typer.Option("--archive", metavar="DIR", help="Move each fully processed file here."),
    ] = None,
    quarantine: QuarantineOpt = None,
    counts: Annotated[
        str | None,
        typer.Option(
            "--counts",
            metavar="interval|cumulative",
            help="cumulative: counts are running totals (since midnight or boot); store the "
            "difference from the previous reading (default: each device's own setting).",
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Import device files (NDJSON, JSON arrays, CSV), streaming, a chunk per transaction.
    Re-importing a file inserts nothing; rejected rows go to a quarantine file (exit 3).

    Example: mallctl telemetry import /var/spool/mallctl --archive /var/spool/mallctl-done
    """
    app = use(ctx)
    engine = app.engine()
    summary = ingest.import_files(
        engine,
        paths,
        fmt=format_.strip().lower(),
        tz=app.settings.tz,
        now=app.clock.now(),
        received_at=app.clock.recorded_now(),
        quarantine_dir=quarantine or app.settings.home / "quarantine",
        archive_dir=archive,
        counts=_counts(counts),
    )
    _finish(app, summary, json_=json_)


@telemetry_app.command("ingest")
def ingest_(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="A file, or - for stdin.")] = "-",
    quarantine: QuarantineOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Ingest one JSON reading, or a JSON array of them, from a file or stdin (-), in the
    device API's record shape; e.g. `echo '{"device_id": …}' | mallctl telemetry ingest -`.

    Example: mallctl telemetry ingest reading.json
    """
    app = use(ctx)
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text("utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read {source}: {exc.strerror}") from None
    try:
        loaded = json.loads(text, parse_float=ingest.Decimal)
    except ValueError as exc:
        raise InvalidInput(f"{source} is not valid JSON: {exc}") from None
    records = loaded if isinstance(loaded, list) else [loaded]
    summary = ingest.ingest_records(
        app.engine(),
        records,
        source="stdin" if source == "-" else source,
        tz=app.settings.tz,
        now=app.clock.now(),
        received_at=app.clock.recorded_now(),
        quarantine_dir=quarantine or app.settings.home / "quarantine",
    )
    _finish(app, summary, json_=json_)


def _counts(text: str | None) -> CountsMode | None:
    if text is None:
        return None
    try:
        return CountsMode(text.strip().lower())
    except ValueError:
        raise InvalidInput(f"--counts '{text}' is not interval or cumulative") from None


def device_view(device: Device, shop_code: str | None) -> dict[str, Any]:
    return {
        "device_id": device.device_id,
        "device_type": device.device_type.value,
        "shop": shop_code,
        "status": device.status.value,
        "ip": device.ip,
        "counts": device.counts.value,
        "last_seen_at": device.last_seen_at,
        "status_changed_at": device.status_changed_at,
        "created_at": device.created_at,
    }


def _status(text: str | None) -> DeviceStatus | None:
    if text is None:
        return None
    try:
        return DeviceStatus(text.strip().upper())
    except ValueError:
        raise InvalidInput(
            f"--status '{text}' is not one of online, offline, maintenance"
        ) from None


@telemetry_app.command("devices")
def devices(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="online, offline or maintenance.")
    ] = None,
    shop: Annotated[str | None, typer.Option("--shop", metavar="CODE")] = None,
    json_: JsonOpt = False,
) -> None:
    """List devices.

    Example: mallctl telemetry devices --status offline
    """
    app = use(ctx)
    wanted = _status(status)
    with app.transaction() as session:
        from mallctl.directory.models import Shop

        query = select(Device, Shop.code).outerjoin(Shop, Shop.id == Device.shop_id)
        if wanted is not None:
            query = query.where(Device.status == wanted)
        if shop is not None:
            query = query.where(Device.shop_id == directory.shop_get(session, shop).id)
        views = [
            device_view(d, code) for d, code in session.execute(query.order_by(Device.device_id))
        ]

    def human(out: Any) -> None:
        out.print(
            table(
                f"{len(views)} devices",
                ["device", "type", "shop", "status", "last seen", "ip"],
                [
                    (
                        v["device_id"],
                        v["device_type"],
                        v["shop"] or "",
                        v["status"],
                        app.clock.local(v["last_seen_at"]).strftime("%Y-%m-%d %H:%M")
                        if v["last_seen_at"]
                        else "",
                        v["ip"] or "",
                    )
                    for v in views
                ],
            )
        )

    emit(views, as_json=json_, human=human)


def _device(session: Any, key: str, *, for_update: bool = False) -> Device:
    query = select(Device).where(Device.device_id == key.strip())
    if for_update:
        query = query.with_for_update()
    found = session.scalars(query).one_or_none()
    if found is None:
        raise NotFound("device", key)
    return found


@device_app.command("show")
def device_show(
    ctx: typer.Context,
    device_id: Annotated[str, typer.Argument(metavar="ID", help="The device_id.")],
    json_: JsonOpt = False,
) -> None:
    """Show a device.

    Example: mallctl telemetry device show FT-L1-023-A
    """
    app = use(ctx)
    with app.transaction() as session:
        from mallctl.directory.models import Shop

        device = _device(session, device_id)
        shop = session.get(Shop, device.shop_id) if device.shop_id else None
        view = device_view(device, shop.code if shop else None)
    emit(
        view,
        as_json=json_,
        human=lambda out: [
            out.print(f"{k}: {v if v is not None else ''}") for k, v in view.items()
        ],
    )


@device_app.command("set-status")
def device_set_status(
    ctx: typer.Context,
    device_id: Annotated[str, typer.Argument(metavar="ID", help="The device_id.")],
    status: Annotated[str, typer.Option("--status", help="online, offline or maintenance.")],
    ip: Annotated[str | None, typer.Option("--ip", help="The device's address.")] = None,
    counts: Annotated[
        str | None,
        typer.Option(
            "--counts", metavar="interval|cumulative", help="How the device reports counts."
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Set a device's status by hand (MAINTENANCE keeps the status check away from it).

    Example: mallctl telemetry device set-status FT-L1-023-A --status maintenance
    """
    app = use(ctx)
    wanted = _status(status)
    assert wanted is not None
    with app.transaction(write=True) as session:
        from mallctl.audit import audit_record
        from mallctl.directory.models import Shop

        device = _device(session, device_id, for_update=True)
        before = device.status
        at = app.clock.recorded_now()
        if before is not wanted:
            device.status = wanted
            device.status_changed_at = at
        if ip is not None:
            device.ip = ip.strip()[:45] or None
        mode = _counts(counts)
        if mode is not None:
            device.counts = mode
        audit_record(
            session,
            at=at,
            actor=app.actor_name,
            entity_kind="device",
            entity_key=device.device_id,
            action="set_status",
            from_state=before.value,
            to_state=wanted.value,
            details={"ip": ip} if ip is not None else None,
        )
        shop = session.get(Shop, device.shop_id) if device.shop_id else None
        view = device_view(device, shop.code if shop else None)
    emit(view, as_json=json_, human=lambda out: out.print(f"{view['device_id']}: {view['status']}"))


@telemetry_app.command("check-status")
def check_status(
    ctx: typer.Context,
    offline_after: Annotated[
        int,
        typer.Option("--offline-after", metavar="MINUTES", min=1, help="Silence before OFFLINE."),
    ] = 15,
    dry_run: DryRunOpt = False,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Mark devices OFFLINE that sent nothing for --offline-after minutes, ONLINE again when
    data returns (MAINTENANCE left alone); operators hear of each change once.

    Example: mallctl telemetry check-status --offline-after 15
    """
    app = use(ctx, as_of=as_of)
    with app.transaction(write=not dry_run) as session:
        report = flows.devices_check_status(
            session,
            settings=app.settings,
            now=app.clock.now(),
            offline_after=timedelta(minutes=offline_after),
            at=app.clock.recorded_now(),
            dry_run=dry_run,
        )
    view = report.view()
    if not dry_run:
        queue_and_deliver(app, report.queued, Messages(quiet=app.quiet))
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(
            f"checked {view['checked']} devices: {view['offline']} offline; went offline: "
            f"{', '.join(view['went_offline']) or '-'}; back online: "
            f"{', '.join(view['came_online']) or '-'}",
            soft_wrap=True,
        ),
    )


class Level(enum.StrEnum):
    hourly = "hourly"
    daily = "daily"
    monthly = "monthly"


_RUNS = {
    "hourly": aggregate.aggregate_hourly,
    "daily": aggregate.aggregate_daily,
    "monthly": aggregate.aggregate_monthly,
}


@telemetry_app.command("aggregate")
def aggregate_(
    ctx: typer.Context,
    level: Annotated[Level, typer.Argument(help="hourly, daily or monthly.")],
    shop: Annotated[str | None, typer.Option("--shop", metavar="CODE")] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE|INSTANT", help="Recompute from here.")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", metavar="DATE|INSTANT", help="…up to here (a date: through it)."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Roll readings up per shop in mall time: hourly from readings, daily from hours,
    monthly from days. Without bounds, every bucket with new or late data; --since/--until
    recompute a range.

    Example: mallctl telemetry aggregate hourly
    """
    app = use(ctx)
    tz = app.settings.tz
    with app.transaction(write=True) as session:
        marked = 0
        if since is not None or until is not None:
            start = _instant(since, tz) if since else datetime(1970, 1, 1, tzinfo=UTC)
            end = _instant(until, tz, end_of_day=True) if until else app.clock.now()
            shop_id = directory.shop_get(session, shop).id if shop else None
            marked = aggregate.mark_range(
                session, level=level.value, since=start, until=end, shop_id=shop_id, tz=tz
            )
        elif shop is not None:
            raise InvalidInput("--shop goes with --since/--until (a range to recompute)")
        report = _RUNS[level.value](session, tz=tz, at=app.clock.recorded_now())
    view = {**report.view(), "marked_by_range": marked}
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(
            f"{level.value}: {view['buckets']} buckets of {view['shops']} shops recomputed"
            + (
                f"; {view['marked_for_next_level']} marked for the next level"
                if view["marked_for_next_level"]
                else ""
            )
        ),
    )


def _instant(text: str, tz: Any, *, end_of_day: bool = False) -> datetime:
    """An ISO instant, or a date: its local midnight — or, as the end of a range, the
    midnight after it, so `--until 2026-11-30` includes the 30th."""
    from mallctl.clock import parse_date, parse_instant

    stripped = text.strip()
    if len(stripped) == 10:
        day = parse_date(stripped, "--until" if end_of_day else "--since")
        if end_of_day:
            day += timedelta(days=1)
        return parse_instant(f"{day.isoformat()}T00:00:00", tz)
    return parse_instant(stripped, tz)


@telemetry_app.command("stats")
def stats(
    ctx: typer.Context,
    granularity: Annotated[
        str, typer.Option("--granularity", metavar="hour|day|month", help="Bucket size.")
    ],
    start: Annotated[str, typer.Option("--from", metavar="DATE|MONTH", help="First bucket.")],
    end: Annotated[str, typer.Option("--to", metavar="DATE|MONTH", help="Last bucket.")],
    shop: Annotated[str | None, typer.Option("--shop", metavar="CODE")] = None,
    json_: JsonOpt = False,
) -> None:
    """Show the rollups: traffic, sales, transactions, climate, readings and data quality.

    Example: mallctl telemetry stats --granularity day --from 2026-11-01 --to 2026-11-30
    """
    app = use(ctx)
    tz = app.settings.tz
    level = _level_name(granularity)
    with app.transaction() as session:
        shop_id = directory.shop_get(session, shop).id if shop else None
        rows = selectors.rollups(
            session,
            level=level,
            first=start.strip(),
            last=end.strip(),
            shop_id=shop_id,
            tz=tz,
        )
    emit(
        rows,
        as_json=json_,
        human=lambda out: out.print(
            table(
                f"{len(rows)} {level} buckets",
                [
                    "bucket",
                    "shop",
                    "traffic",
                    "sales",
                    "transactions",
                    "temp",
                    "humidity",
                    "readings",
                    "quality",
                ],
                [
                    (
                        r["bucket"],
                        r["shop"],
                        r["traffic_count"],
                        r["sales_amount"],
                        r["transaction_count"],
                        r["avg_temperature"],
                        r["avg_humidity"],
                        r["reading_count"],
                        r["data_quality"],
                    )
                    for r in rows
                ],
                right=[
                    "traffic",
                    "sales",
                    "transactions",
                    "temp",
                    "humidity",
                    "readings",
                    "quality",
                ],
            )
        ),
    )


def _level_name(value: str) -> str:
    names = {"hour": "hourly", "day": "daily", "month": "monthly"}
    text = value.strip().lower()
    if text in names:
        return names[text]
    if text in names.values():
        return text
    raise InvalidInput(f"--granularity '{value}' is not hour, day or month")


@telemetry_app.command("clean")
def clean(
    ctx: typer.Context,
    retention_days: Annotated[
        int, typer.Option("--retention-days", min=1, help="Keep raw readings this many days.")
    ] = 30,
    dry_run: DryRunOpt = False,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Delete raw readings older than the retention once their hours are aggregated (the
    rollups keep them). Out-of-range values are set to NULL as they are imported.

    Example: mallctl telemetry clean --retention-days 30 --dry-run
    """
    from mallctl.telemetry import service

    app = use(ctx, as_of=as_of)
    with app.transaction(write=not dry_run) as session:
        report = service.readings_clean(
            session, now=app.clock.now(), retention_days=retention_days, dry_run=dry_run
        )
    view = report.view()
    verb = "would delete" if dry_run else "deleted"
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(
            f"{verb} {view['deleted']} readings older than {retention_days} days; kept "
            f"{view['kept_unaggregated']} whose hours wait for aggregation"
        ),
    )
