"""The tariff in force on a day, the next one, and its activities (R4, R9)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Subquery
from django.utils.translation import gettext as _

from ..models import ActivityRate, Tariff, name_in_language


def tariff_in_force(*, on: date) -> Tariff:
    """The tariff in force on ``on``: the latest one whose start is not after that day."""
    tariff = (
        Tariff.objects.filter(valid_from__lte=on)
        .order_by("-valid_from")
        .prefetch_related("credit_allowances", "activities")
        .first()
    )
    if tariff is None:
        raise ValidationError(
            _("No tariff is in force on %(day)s; an administrator must enter one.")
            % {"day": f"{on:%d.%m.%Y}"}
        )
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
