"""Directory commands: `user`, `tenant`, `shop` — add, list, show, import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mallctl.cli.options import AsOfOpt, ByOpt, JsonOpt, actor, use
from mallctl.cli.output import Messages, emit, table
from mallctl.directory import selectors, service
from mallctl.directory.models import Role
from mallctl.directory.schemas import (
    ShopDraft,
    ShopView,
    TenantDraft,
    TenantView,
    UserDraft,
    UserView,
)
from mallctl.errors import InvalidInput, PartialFailure
from mallctl.leasing import leased_shop_ids
from mallctl.money import display_money
from mallctl.textfiles import EXTRA_CELLS, read_csv
from mallctl.validation import parse_draft

user_app = typer.Typer(help="Staff users and their roles.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants (商户).", no_args_is_help=True)
shop_app = typer.Typer(help="Shops (铺位).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(tenant_app, name="tenant")
    app.add_typer(shop_app, name="shop")


SkipInvalidOpt = Annotated[
    bool,
    typer.Option(
        "--skip-invalid",
        help="Import the good rows anyway; write the bad ones to a rejects file and exit 3.",
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="File encoding (utf-8, gbk, …); detected when not given."),
]
RejectsOpt = Annotated[
    Path | None,
    typer.Option(
        "--rejects",
        metavar="FILE",
        help="Where --skip-invalid writes bad rows (default: FILE.rejected.csv beside the input).",
    ),
]

# Header spellings people use, mapped to ours (Excel sheets are often in Chinese).
SHOP_ALIASES = {
    "编号": "code",
    "铺位编号": "code",
    "名称": "name",
    "铺位名称": "name",
    "面积": "area",
    "面积(m²)": "area",
    "楼层": "floor",
    "业态": "category",
    "类别": "category",
}
TENANT_ALIASES = {
    "编号": "code",
    "商户编号": "code",
    "名称": "name",
    "商户名称": "name",
    "联系人": "contact",
    "电话": "phone",
    "手机": "phone",
    "邮箱": "email",
}
REJECT_REASON_COLUMN = "error"


def _import(
    ctx: typer.Context,
    file: Path,
    model: Any,
    import_rows: Any,
    aliases: dict[str, str],
    *,
    skip_invalid: bool,
    encoding: str | None,
    rejects: Path | None,
    by: str | None,
    json_: bool,
) -> None:
    app = use(ctx, by=by)
    messages = Messages(quiet=app.quiet)
    fields = set(model.model_fields)
    required = [n for n, f in model.model_fields.items() if f.is_required()]
    rows = list(read_csv(file, required=required, aliases=aliases, encoding=encoding))
    ignored = fields | {REJECT_REASON_COLUMN, EXTRA_CELLS}
    unknown = sorted({k for _, row in rows for k in row} - ignored)
    if unknown:
        messages.warn(f"{file}: ignoring unknown columns {', '.join(unknown)}")
    # A row with more cells than the header has columns (an unquoted comma, as in
    # 1,200.50) would shift its values into the wrong fields: reject it whole.
    misshapen = [
        service.RowError(
            line,
            f"more values than the header has columns (left over: {row[EXTRA_CELLS]}); "
            "quote values that contain a comma",
            _known(row, fields),
        )
        for line, row in rows
        if EXTRA_CELLS in row
    ]
    good, bad = service.validate_rows(
        model, [(line, _known(row, fields)) for line, row in rows if EXTRA_CELLS not in row]
    )
    bad = sorted(misshapen + bad, key=lambda err: err.line)
    for err in bad:
        messages.warn(f"{file}:{err.line}: {err.reason}")
    if bad and not good:
        raise InvalidInput(f"all {len(rows)} rows in {file} are invalid; nothing imported")
    if bad and not skip_invalid:
        raise InvalidInput(
            f"{len(bad)} of {len(rows)} rows in {file} are invalid; nothing "
            "imported (fix them, or pass --skip-invalid to import the rest)"
        )
    rejects_path = (rejects or file.with_name(f"{file.stem}.rejected.csv")) if bad else None
    report = service.ImportReport(rows=len(rows), rejected=bad)
    with app.transaction(write=True) as session:
        import_rows(
            session,
            drafts=good,
            at=app.clock.recorded_now(),
            actor=actor(app, session),
            report=report,
        )
        # Written inside the transaction: if the import fails (say, an unknown --by) no
        # rejects file is left behind, and if it cannot be written nothing is imported.
        if rejects_path is not None:
            _write_rejects(rejects_path, bad, list(model.model_fields))
    summary = {
        "file": str(file),
        "rows": report.rows,
        "created": len(report.created),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
        "rejected": len(report.rejected),
        "errors": [{"line": e.line, "reason": e.reason} for e in report.rejected],
        "rejected_file": str(rejects_path) if rejects_path else None,
    }
    emit(
        summary,
        as_json=json_,
        human=lambda out: out.print(
            f"{file}: {report.rows} rows — {len(report.created)} created, "
            f"{len(report.updated)} updated, {len(report.unchanged)} unchanged, "
            f"{len(report.rejected)} rejected"
        ),
    )
    if bad:
        raise PartialFailure(
            f"{len(bad)} rows rejected; fix them in {rejects_path} and import that file again"
        )


def _known(row: dict[str, str], fields: set[str]) -> dict[str, str]:
    return {k: v for k, v in row.items() if k in fields}


def _write_rejects(path: Path, bad: list[service.RowError], order: list[str]) -> None:
    import csv

    present = {k for e in bad for k in e.row}
    columns = [*(f for f in order if f in present), REJECT_REASON_COLUMN]
    try:
        # utf-8-sig so Excel opens it with the Chinese intact.
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for err in bad:
                writer.writerow({**err.row, REJECT_REASON_COLUMN: f"line {err.line}: {err.reason}"})
    except OSError as exc:
        raise InvalidInput(
            f"cannot write the rejects file {path}: {exc.strerror}; nothing imported"
        ) from None


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _card(values: dict[str, Any]) -> Any:
    return table(
        None,
        ["field", "value"],
        [(k, v.value if hasattr(v, "value") else v) for k, v in values.items()],
    )


# --- users -------------------------------------------------------------------------------


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name, e.g. wang.")],
    name: Annotated[str, typer.Option("--name", help="Display name, e.g. 王芳.")],
    role: Annotated[Role, typer.Option("--role", help="admin, reviewer, finance or operator.")],
    phone: Annotated[str | None, typer.Option(help="Mobile number for SMS.")] = None,
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Add a staff user.

    Example: mallctl user add wang --name 王芳 --role reviewer --phone 13800000001
    """
    app = use(ctx, by=by)
    draft = parse_draft(
        UserDraft,
        {"username": username, "name": name, "role": role, "phone": phone, "email": email},
    )
    with app.transaction(write=True) as session:
        # The very first user (the bootstrap admin) has nobody to act as.
        by_whom = actor(app, session) if selectors.user_list(session) else None
        user = service.user_create(session, draft=draft, at=app.clock.recorded_now(), actor=by_whom)
        view = UserView.model_validate(user)
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(f"added user {view.username} ({view.name}, {view.role.value})"),
    )


@user_app.command("show")
def user_show(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Username or id.")],
    json_: JsonOpt = False,
) -> None:
    """Show one staff user.

    Example: mallctl user show wang
    """
    with use(ctx).transaction() as session:
        view = UserView.model_validate(selectors.user_get(session, username))
    emit(view, as_json=json_, human=lambda out: out.print(_card(view.model_dump())))


def _set_active(
    ctx: typer.Context,
    username: str,
    active: bool,
    by: str | None,
    comment: str | None,
    json_: bool,
) -> None:
    app = use(ctx, by=by)
    with app.transaction(write=True) as session:
        acting = selectors.user_acting(session, app.actor_name)
        user = service.user_set_active(
            session,
            user=selectors.user_get(session, username),
            active=active,
            at=app.clock.recorded_now(),
            actor=acting,
            comment=comment,
        )
        view = UserView.model_validate(user)
    state = "active" if active else "inactive"
    emit(view, as_json=json_, human=lambda out: out.print(f"user {view.username} is now {state}"))


CommentOpt = Annotated[str | None, typer.Option("--comment", help="Why (kept in the audit log).")]


@user_app.command("deactivate")
def user_deactivate(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Username or id.")],
    by: ByOpt = None,
    comment: CommentOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Deactivate a staff user: they can no longer act, and receive no staff alerts.
    Admins only; the last active admin cannot be deactivated.

    Example: mallctl user deactivate sun.ops --by admin --comment 离职
    """
    _set_active(ctx, username, False, by, comment, json_)


@user_app.command("activate")
def user_activate(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Username or id.")],
    by: ByOpt = None,
    comment: CommentOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Reactivate a staff user. Admins only.

    Example: mallctl user activate sun.ops --by admin
    """
    _set_active(ctx, username, True, by, comment, json_)


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    role: Annotated[Role | None, typer.Option(help="Only this role.")] = None,
    json_: JsonOpt = False,
) -> None:
    """List staff users.

    Example: mallctl user list --role finance
    """
    with use(ctx).transaction() as session:
        views = [UserView.model_validate(u) for u in selectors.user_list(session, role=role)]
    emit(
        views,
        as_json=json_,
        human=lambda out: out.print(
            table(
                f"{len(views)} users",
                ["username", "name", "role", "phone", "email", "active"],
                [
                    (v.username, v.name, v.role.value, v.phone, v.email, _yes(v.active))
                    for v in views
                ],
            )
        ),
    )


# --- tenants -----------------------------------------------------------------------------


@tenant_app.command("add")
def tenant_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Tenant code, e.g. T001.")],
    name: Annotated[str, typer.Option("--name", help="Company or brand name.")],
    contact: Annotated[str | None, typer.Option(help="Contact person.")] = None,
    phone: Annotated[str | None, typer.Option(help="Contact mobile number.")] = None,
    email: Annotated[str | None, typer.Option(help="Contact email.")] = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Add a tenant (商户).

    Example: mallctl tenant add T001 --name 星巴克咖啡 --contact 李雷 --phone 13900000001
    """
    app = use(ctx, by=by)
    draft = parse_draft(
        TenantDraft,
        {"code": code, "name": name, "contact": contact, "phone": phone, "email": email},
    )
    with app.transaction(write=True) as session:
        tenant = service.tenant_create(
            session, draft=draft, at=app.clock.recorded_now(), actor=actor(app, session)
        )
        view = TenantView.model_validate(tenant)
    emit(view, as_json=json_, human=lambda out: out.print(f"added tenant {view.code} {view.name}"))


@tenant_app.command("list")
def tenant_list(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List tenants.

    Example: mallctl tenant list --json
    """
    with use(ctx).transaction() as session:
        views = [TenantView.model_validate(t) for t in selectors.tenant_list(session)]
    emit(
        views,
        as_json=json_,
        human=lambda out: out.print(
            table(
                f"{len(views)} tenants",
                ["code", "name", "contact", "phone", "email", "active"],
                [(v.code, v.name, v.contact, v.phone, v.email, _yes(v.active)) for v in views],
            )
        ),
    )


@tenant_app.command("show")
def tenant_show(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Tenant code or id.")],
    json_: JsonOpt = False,
) -> None:
    """Show one tenant.

    Example: mallctl tenant show T001
    """
    with use(ctx).transaction() as session:
        view = TenantView.model_validate(selectors.tenant_get(session, code))
    emit(view, as_json=json_, human=lambda out: out.print(_card(view.model_dump())))


@tenant_app.command("import")
def tenant_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with code,name[,contact,phone,email].")],
    skip_invalid: SkipInvalidOpt = False,
    encoding: EncodingOpt = None,
    rejects: RejectsOpt = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Import tenants from CSV (UTF-8, UTF-8 with BOM, or GBK as Excel saves it).

    Every row is checked first; with any bad row nothing is imported unless
    --skip-invalid. Existing codes are updated, so importing again is safe.

    Example: mallctl tenant import tenants.csv
    """
    _import(
        ctx,
        file,
        TenantDraft,
        service.tenants_import,
        TENANT_ALIASES,
        skip_invalid=skip_invalid,
        encoding=encoding,
        rejects=rejects,
        by=by,
        json_=json_,
    )


# --- shops -------------------------------------------------------------------------------


@shop_app.command("add")
def shop_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Shop code, e.g. L1-023.")],
    name: Annotated[str, typer.Option("--name", help="Unit name, e.g. 一楼23号铺.")],
    area: Annotated[str, typer.Option("--area", metavar="SQM", help="Area in m².")],
    floor: Annotated[str | None, typer.Option(help="Floor, e.g. L1 or B1.")] = None,
    category: Annotated[str | None, typer.Option(help="Category, e.g. 餐饮.")] = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Add a shop unit.

    Example: mallctl shop add L1-023 --name 一楼23号铺 --area 120.5 --floor L1 --category 餐饮
    """
    app = use(ctx, by=by)
    draft = parse_draft(
        ShopDraft, {"code": code, "name": name, "area": area, "floor": floor, "category": category}
    )
    with app.transaction(write=True) as session:
        shop = service.shop_create(
            session, draft=draft, at=app.clock.recorded_now(), actor=actor(app, session)
        )
        view = ShopView.model_validate(shop)
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(f"added shop {view.code} {view.name} ({view.area} m²)"),
    )


@shop_app.command("list")
def shop_list(
    ctx: typer.Context,
    vacant: Annotated[bool, typer.Option("--vacant", help="Only shops not leased today.")] = False,
    floor: Annotated[str | None, typer.Option(help="Only this floor.")] = None,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List shops.

    Example: mallctl shop list --vacant --floor L2
    """
    app = use(ctx, as_of=as_of)
    with app.transaction() as session:
        leased = leased_shop_ids(session, on=app.clock.today()) if vacant else None
        views = [
            ShopView.model_validate(s)
            for s in selectors.shop_list(session, floor=floor, exclude_ids=leased)
        ]
    emit(
        views,
        as_json=json_,
        human=lambda out: out.print(
            table(
                f"{len(views)} shops",
                ["code", "name", "floor", "area m²", "category"],
                [(v.code, v.name, v.floor, display_money(v.area), v.category) for v in views],
                right=["area m²"],
            )
        ),
    )


@shop_app.command("show")
def shop_show(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Shop code or id.")],
    json_: JsonOpt = False,
) -> None:
    """Show one shop.

    Example: mallctl shop show L1-023
    """
    with use(ctx).transaction() as session:
        view = ShopView.model_validate(selectors.shop_get(session, code))
    emit(view, as_json=json_, human=lambda out: out.print(_card(view.model_dump())))


@shop_app.command("import")
def shop_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with code,name,area[,floor,category].")],
    skip_invalid: SkipInvalidOpt = False,
    encoding: EncodingOpt = None,
    rejects: RejectsOpt = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Import shops from CSV (UTF-8, UTF-8 with BOM, or GBK as Excel saves it).

    Every row is checked first; with any bad row nothing is imported unless
    --skip-invalid. Existing codes are updated, so importing again is safe.

    Example: mallctl shop import shops.csv --skip-invalid
    """
    _import(
        ctx,
        file,
        ShopDraft,
        service.shops_import,
        SHOP_ALIASES,
        skip_invalid=skip_invalid,
        encoding=encoding,
        rejects=rejects,
        by=by,
        json_=json_,
    )
