"""The tariff in force on a day, the next one, and its activities (R4, R9)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Subquery, prefetch_related_objects
from django.utils.translation import gettext as _

from ..models import ActivityRate, Tariff, name_in_language
from ..scope import known_tariff, remember_tariff

# A tariff that has charged work never changes again: the admin refuses to change or
# delete it and its rows (``billing.admin``), because past charges and grants were computed
# from it. Once a posting with it has committed, this process keeps its credit allowances
# and activities (by the tariff's values, which a change would not match), and
# ``tariff_in_force`` reads only the tariff's own row: 1 query instead of 3. Saving a
# tariff or one of its rows (the admin, a test's fixtures) empties it.
ROWS = ("credit_allowances", "activities")
_used_rows: dict[tuple, dict[str, list]] = {}


def _values(tariff: Tariff) -> tuple:
    return tuple(f.value_from_object(tariff) for f in Tariff._meta.concrete_fields)


def tariff_used(tariff: Tariff) -> None:
    """``tariff``, read with its rows by :func:`tariff_in_force`, has charged work (the
    ledger calls this once its posting is committed): keep its rows."""
    cache = getattr(tariff, "_prefetched_objects_cache", {})
    if all(name in cache for name in ROWS):
        _used_rows[_values(tariff)] = {name: list(cache[name]) for name in ROWS}


def tariff_kept(tariff: Tariff) -> bool:
    """Whether this process keeps ``tariff``'s rows already."""
    return _values(tariff) in _used_rows


def tariffs_changed(**_kwargs) -> None:
    """A tariff or one of its rows was saved or deleted: forget the kept rows."""
    _used_rows.clear()


def _with_kept_rows(tariff: Tariff) -> bool:
    rows = _used_rows.get(_values(tariff))
    if rows is None:
        return False
    # What prefetch_related leaves on an instance: a queryset per relation, already read.
    cache: dict[str, Any] = {}
    for name in ROWS:
        queryset = getattr(tariff, name).all()
        queryset._result_cache = list(rows[name])
        queryset._prefetch_done = True
        cache[name] = queryset
    vars(tariff)["_prefetched_objects_cache"] = cache
    return True


def tariff_in_force(*, on: date) -> Tariff:
    """The tariff in force on ``on``: the latest one whose start is not after that day,
    with its credit allowances and activities (read once per
    :func:`billing.scope.posting_scope`)."""
    tariff = known_tariff(on)
    if tariff is not None:
        return tariff
    tariff = Tariff.objects.filter(valid_from__lte=on).order_by("-valid_from").first()
    if tariff is not None and not _with_kept_rows(tariff):
        prefetch_related_objects([tariff], *ROWS)
    if tariff is None:
        raise ValidationError(
            _("No tariff is in force on %(day)s; an administrator must enter one.")
            % {"day": f"{on:%d.%m.%Y}"}
        )
    remember_tariff(on, tariff)
    return tariff


def free_on_verified_error(*, activity: str, on: date) -> bool:
    """R9: whether ``activity`` done on ``on`` is free on a case marked as a verified
    software error (its row in the tariff in force that day says so)."""
    return tariff_in_force(on=on).activity(activity).free_on_verified_error


def posted_free_on_verified_error(
    *, activity: str = "activity", tariff: str = "usage__tariff"
) -> Exists:
    """The same rule for work already posted, as a query condition: the activity (the
    field path ``activity``) is free on a verified error in the tariff its posting used."""
    return Exists(
        ActivityRate.objects.filter(
            tariff=OuterRef(tariff), code=OuterRef(activity), free_on_verified_error=True
        )
    )


def activity_choices(*, on: date) -> list[tuple[str, str]]:
    """The activities of the tariff in force on ``on``, as (code, name) in its order (one
    query; none without a tariff)."""
    in_force = Tariff.objects.filter(valid_from__lte=on).order_by("-valid_from").values("pk")
    rows = ActivityRate.objects.filter(tariff=Subquery(in_force[:1])).order_by("position", "code")
    return [(row.code, row.name) for row in rows]


def activity_names() -> dict[str, str]:
    """Every activity code of every tariff with its name in the page's language, in the
    order of the tariffs' activity lists (one query); a code keeps its latest name."""
    rows = ActivityRate.objects.order_by("tariff__valid_from").values_list(
        "code", "position", "name_fr", "name_de", "name_en"
    )
    latest = {code: (position, name_in_language(fr, de, en)) for code, position, fr, de, en in rows}
    return {
        code: name
        for code, (_position, name) in sorted(latest.items(), key=lambda i: (i[1][0], i[0]))
    }


def activity_filter_choices() -> list[tuple[str, str]]:
    """The activities for a filter over the ledger: every code that any tariff has."""
    return sorted(activity_names().items(), key=lambda item: item[1].lower())


def support_plus_capacity(*, on: date) -> int:
    """How many Support+ subscriptions may run at once, per the tariff in force on ``on``."""
    return tariff_in_force(on=on).support_plus_capacity


def tariff_upcoming(*, on: date) -> Tariff | None:
    """The next tariff entered to come into force after ``on``, if there is one."""
    return (
        Tariff.objects.filter(valid_from__gt=on)
        .order_by("valid_from")
        .prefetch_related("activities")
        .first()
    )
