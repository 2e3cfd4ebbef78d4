"""Cron schedules for APScheduler 3: each partner's ``schedule`` (five cron fields,
read in the partner's ``timezone``) as a trigger, and the next runs it gives.

Two differences of APScheduler 3 with cron are taken care of here: its weekday
numbers start at Monday (cron's 0 and 7 are Sunday), and a fixed time met twice
when clocks go back would run twice. A schedule restricting both the day of the
month and the weekday is refused: cron runs it on either, APScheduler only on
days matching both.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from exchange.config import ISWC_JOB, ConfigError, NodeConfig
from exchange.identifiers import digits_value
from exchange.model import Partner
from exchange.store.rows import now

# cron numbers weekdays from Sunday (0, and 7 as well); APScheduler 3 from Monday
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_APS_ORDER = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# -- schedules ------------------------------------------------------------------------


class CrontabTrigger(CronTrigger):
    """A cron trigger that fires a fixed time of day once when clocks go back.

    In the hour that occurs twice, APScheduler 3 fires a time such as 02:00 in
    both passes. Like cron, this trigger skips the second pass, unless the hour
    field is a wildcard (``*``, ``*/2``...): hourly schedules run in both passes.
    Fire times are given in the trigger's zone, normalised (a time that does not
    exist when clocks go forward is the instant they jump: 03:00, not 02:00).
    """

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        fire = super().get_next_fire_time(previous_fire_time, now)
        while fire is not None and self._second_pass(fire):
            fire = super().get_next_fire_time(fire, fire)
        return None if fire is None else fire.astimezone(UTC).astimezone(self.timezone)

    def _second_pass(self, fire: datetime) -> bool:
        hour = next(f for f in self.fields if f.name == "hour")
        if str(hour).startswith("*"):
            return False
        local = fire.astimezone(UTC).astimezone(self.timezone)
        return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def _weekday(text: str, end_of_range: bool = False) -> int:
    value = text.strip().lower()
    number = digits_value(value)
    if number is not None and number <= 7:
        return number
    if value in _CRON_DAYS:
        day = _CRON_DAYS.index(value)
        return 7 if day == 0 and end_of_range else day
    raise ValueError(f"{text!r} is not a weekday (0-7 or sun-sat)")


def crontab_weekdays(expression: str) -> str:
    """A crontab weekday field in APScheduler 3's terms: day names, Sunday being 0 or 7.

    >>> crontab_weekdays("1-5")
    'mon,tue,wed,thu,fri'
    >>> crontab_weekdays("0,7")
    'sun'
    >>> crontab_weekdays("*/2")
    'tue,thu,sat,sun'
    """
    if expression == "*":
        return "*"
    days: set[int] = set()
    for item in expression.split(","):
        span, slash, step_text = item.partition("/")
        if slash and not (digits_value(step_text) or 0) > 0:
            raise ValueError(f"{item!r}: the step must be a whole number above 0")
        step = int(step_text) if slash else 1
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            start, end = span.split("-", 1)
            first, last = _weekday(start), _weekday(end, end_of_range=True)
        else:
            first = _weekday(span)
            last = 6 if slash else first
        if first > last:
            raise ValueError(f"{item!r}: the range goes backwards")
        days.update(day % 7 for day in range(first, last + 1, step))
    if len(days) == 7:
        return "*"
    names = {_CRON_DAYS[day] for day in days}
    return ",".join(name for name in _APS_ORDER if name in names)


def crontab_trigger(schedule: str, timezone: str | tzinfo) -> CrontabTrigger:
    """The trigger of a five-field cron expression (minute hour day month weekday).

    ValueError says what is wrong with the expression.
    """
    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError(f"five fields expected (minute hour day month weekday), not {len(fields)}")
    minute, hour, day, month, weekday = fields
    if not day.startswith("*") and not weekday.startswith("*"):
        raise ValueError(
            "it restricts both the day of the month and the weekday: cron would run on "
            "either, this scheduler only on days matching both; give one of them as *"
        )
    return CrontabTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=crontab_weekdays(weekday),
        timezone=timezone,
    )


def partner_trigger(config: NodeConfig, partner: Partner) -> CrontabTrigger:
    """The trigger of a partner's schedule; ConfigError names the partner when it is unusable."""
    if partner.schedule is None:
        raise ConfigError(f"partner {partner.code} has no schedule")
    try:
        return crontab_trigger(partner.schedule, partner.timezone)
    except ValueError as exc:
        where = f"{config.path}: " if config.path else ""
        raise ConfigError(
            f"{where}partner {partner.code}: schedule {partner.schedule!r} cannot be used: {exc}"
        ) from None


def iswc_trigger(config: NodeConfig) -> CrontabTrigger | None:
    """The trigger of ``[iswc] schedule`` (None: the round with the ISWC database is not
    scheduled); ConfigError when it is unusable."""
    settings = config.iswc
    if settings is None or settings.schedule is None:
        return None
    try:
        return crontab_trigger(settings.schedule, settings.timezone)
    except ValueError as exc:
        where = f"{config.path}: " if config.path else ""
        raise ConfigError(f"{where}[iswc] schedule {settings.schedule!r}: {exc}") from None


def scheduled_partners(config: NodeConfig) -> list[Partner]:
    """The partners that have a schedule, in code order."""
    return [
        config.partners[code] for code in sorted(config.partners) if config.partners[code].schedule
    ]


def next_runs(config: NodeConfig, at: datetime | None = None) -> list[dict[str, Any]]:
    """When each scheduled partner's next exchange is due after ``at`` (default: now).

    Computed from the configuration alone, whether a scheduler runs or not.
    """
    moment = at or now()
    jobs = []
    for partner in scheduled_partners(config):
        fire = partner_trigger(config, partner).get_next_fire_time(None, moment)
        jobs.append(
            {
                "partner": partner.code,
                "schedule": partner.schedule,
                "timezone": partner.timezone,
                "next_run": None if fire is None else fire.isoformat(),
                "next_run_utc": None if fire is None else fire.astimezone(UTC).isoformat(),
            }
        )
    iswc = iswc_trigger(config)
    if iswc is not None and config.iswc is not None:
        fire = iswc.get_next_fire_time(None, moment)
        jobs.append(
            {
                "partner": ISWC_JOB,  # the round with the ISWC database
                "schedule": config.iswc.schedule,
                "timezone": config.iswc.timezone,
                "next_run": None if fire is None else fire.isoformat(),
                "next_run_utc": None if fire is None else fire.astimezone(UTC).isoformat(),
            }
        )
    return jobs
