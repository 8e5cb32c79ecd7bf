"""Tests for the working-day deadline calculator.

The independent reference is ``workalendar.europe.Belgium`` (its own holiday rules, its
own day-by-day arithmetic) plus a day-by-day "stop the clock" simulator written here.
No Django, no database.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workalendar.europe import Belgium

from midoffice.dossiers.deadlines import (
    DayUnit,
    DeadlineResult,
    DeadlineStatus,
    Suspension,
    TownCalendar,
    add_days,
    compute_deadline,
    deadline_state,
    working_day_calendar_table,
    working_days_between,
)

BELGIUM = Belgium()
PLAIN = TownCalendar()
YEARS = range(2020, 2036)
FIRST = date(2020, 1, 1)
LAST = date(2035, 12, 31)

# Hypothesis must neither write a database into the work tree nor judge by wall time.
FAST = settings(max_examples=150, deadline=None, database=None, derandomize=True)

# A town that closes on the Flemish Community holiday, 2 January and 26 December.
CLOSING = frozenset(d for y in YEARS for d in (date(y, 7, 11), date(y, 1, 2), date(y, 12, 26)))
TOWN = TownCalendar(CLOSING)

starts = st.dates(min_value=FIRST, max_value=date(2033, 12, 31))
periods = st.integers(min_value=1, max_value=450)


def d(iso: str) -> date:
    return date.fromisoformat(iso)


# --- the two holiday sources -------------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
def test_holidays_package_and_workalendar_agree_on_weekdays(year: int) -> None:
    ours = set(holidays.country_holidays("BE", years=year))
    theirs = {day for day, _ in BELGIUM.holidays(year)}
    assert {x for x in ours if x.weekday() < 5} == {x for x in theirs if x.weekday() < 5}
    # The only difference: `holidays` also lists Easter Sunday and Whit Sunday, which are
    # Sundays and so change no deadline.
    only_ours = ours - theirs
    assert len(only_ours) == 2
    assert all(x.weekday() == 6 for x in only_ours)
    assert theirs <= ours


@pytest.mark.parametrize("year", YEARS)
def test_flemish_community_day_is_not_a_public_holiday(year: int) -> None:
    july_11 = date(year, 7, 11)
    assert july_11 not in holidays.country_holidays("BE", years=year)
    assert july_11 not in {day for day, _ in BELGIUM.holidays(year)}
    if july_11.weekday() < 5:
        assert PLAIN.is_working_day(july_11)
        assert not TOWN.is_working_day(july_11)


# --- add_days against workalendar ----------------------------------------------------------


@FAST
@given(start=starts, n=periods)
def test_add_working_days_matches_workalendar(start: date, n: int) -> None:
    assert add_days(start, n, DayUnit.WORKING, PLAIN) == BELGIUM.add_working_days(start, n)


@FAST
@given(start=starts, n=periods)
def test_add_working_days_with_closing_days_matches_workalendar(start: date, n: int) -> None:
    expected = BELGIUM.add_working_days(start, n, extra_holidays=tuple(CLOSING))
    assert add_days(start, n, DayUnit.WORKING, TOWN) == expected


@pytest.mark.parametrize("n", [1, 2, 5, 10, 20, 30, 45, 60, 105])
def test_add_working_days_grid_matches_workalendar(n: int) -> None:
    start = FIRST
    while start <= date(2035, 6, 30):
        expected = BELGIUM.add_working_days(start, n)
        assert add_days(start, n, DayUnit.WORKING, PLAIN) == expected, start
        start += timedelta(days=5)  # steps through every weekday over the years


def test_large_period_matches_workalendar() -> None:
    start = d("2020-01-01")
    expected = BELGIUM.add_working_days(start, 3000, extra_holidays=tuple(CLOSING))
    due = add_days(start, 3000, DayUnit.WORKING, TOWN)
    assert due == expected
    assert working_days_between(start, due, TOWN) == 3000


@FAST
@given(a=st.dates(min_value=FIRST, max_value=LAST), b=st.dates(min_value=FIRST, max_value=LAST))
def test_working_days_between_matches_workalendar(a: date, b: date) -> None:
    expected = BELGIUM.get_working_days_delta(a, b, extra_holidays=tuple(CLOSING))
    assert working_days_between(a, b, TOWN) == (expected if b >= a else -expected)


# --- explicit holidays, on weekends and mid-week ------------------------------------------

HOLIDAY_CASES = [
    # (holiday, its weekday, start, working days, due)
    ("2023-11-11", "Sat", "2023-11-10", 1, "2023-11-13"),  # 11 Nov on Saturday: no effect
    ("2024-11-11", "Mon", "2024-11-08", 1, "2024-11-12"),  # 11 Nov on Monday
    ("2022-12-25", "Sun", "2022-12-23", 1, "2022-12-26"),  # 26 Dec is no public holiday
    ("2024-12-25", "Wed", "2024-12-24", 1, "2024-12-26"),
    ("2024-04-01", "Mon", "2024-03-29", 1, "2024-04-02"),  # Easter Monday
    ("2024-04-01", "Mon", "2024-03-28", 1, "2024-03-29"),  # Good Friday is a working day
    ("2024-05-09", "Thu", "2024-05-08", 1, "2024-05-10"),  # Ascension
    ("2024-05-20", "Mon", "2024-05-17", 1, "2024-05-21"),  # Whit Monday
    ("2022-01-01", "Sat", "2021-12-31", 1, "2022-01-03"),
    ("2025-01-01", "Wed", "2024-12-31", 1, "2025-01-02"),
    ("2022-05-01", "Sun", "2022-04-29", 1, "2022-05-02"),
    ("2025-05-01", "Thu", "2025-04-30", 1, "2025-05-02"),
    ("2024-07-21", "Sun", "2024-07-19", 1, "2024-07-22"),
    ("2025-07-21", "Mon", "2025-07-18", 1, "2025-07-22"),
    ("2021-08-15", "Sun", "2021-08-13", 1, "2021-08-16"),
    ("2024-08-15", "Thu", "2024-08-14", 1, "2024-08-16"),
    ("2026-11-01", "Sun", "2026-10-30", 1, "2026-11-02"),
    ("2024-11-01", "Fri", "2024-10-31", 1, "2024-11-04"),
    # 2025: Ascension Thursday 29 May, then Friday 30 May is a working day.
    ("2025-05-29", "Thu", "2025-05-27", 3, "2025-06-02"),
    # 2024: 1 Nov (Fri) and 11 Nov (Mon) in one period of 10 working days.
    ("2024-11-11", "Mon", "2024-10-31", 10, "2024-11-18"),
]


@pytest.mark.parametrize(("holiday", "weekday", "start", "n", "due"), HOLIDAY_CASES)
def test_explicit_holidays(holiday: str, weekday: str, start: str, n: int, due: str) -> None:
    assert d(holiday).strftime("%a") == weekday
    assert d(holiday) in holidays.country_holidays("BE", years=d(holiday).year)
    assert add_days(d(start), n, DayUnit.WORKING, PLAIN) == d(due)
    assert BELGIUM.add_working_days(d(start), n) == d(due)


def test_closing_days_are_skipped() -> None:
    # Friday 11 July 2025 (Flemish Community holiday) as a closing day.
    assert add_days(d("2025-07-10"), 1, DayUnit.WORKING, PLAIN) == d("2025-07-11")
    assert add_days(d("2025-07-10"), 1, DayUnit.WORKING, TOWN) == d("2025-07-14")
    # Christmas on Thursday, closed on 26 December too: 24 Dec + 1 → 29 Dec.
    assert add_days(d("2025-12-24"), 1, DayUnit.WORKING, TOWN) == d("2025-12-29")
    # A closing day on a weekend or public holiday is not counted twice.
    weekend_close = TownCalendar(frozenset({d("2025-07-12"), d("2025-07-21")}))
    assert add_days(d("2025-07-10"), 5, DayUnit.WORKING, weekend_close) == add_days(
        d("2025-07-10"), 5, DayUnit.WORKING, PLAIN
    )


# --- calendar days and the moving rule ---------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        ("2024-03-01", 30, "2024-04-02"),  # 31 Mar is Easter Sunday, 1 Apr Easter Monday
        ("2024-06-01", 30, "2024-07-01"),  # Monday 1 July: stays
        ("2024-06-01", 29, "2024-07-01"),  # Sunday 30 June → Monday 1 July
        ("2024-06-01", 28, "2024-07-01"),  # Saturday 29 June → Monday 1 July
        ("2024-06-01", 27, "2024-06-28"),  # Friday: stays
        ("2023-10-12", 30, "2023-11-13"),  # Saturday 11 Nov 2023 → Monday 13 Nov
        ("2024-10-12", 30, "2024-11-12"),  # Monday 11 Nov 2024 (holiday) → Tuesday
        ("2024-01-01", 0, "2024-01-02"),  # zero days: first working day on/after start
        ("2024-01-03", 0, "2024-01-03"),
    ],
)
def test_calendar_days_move_to_next_working_day(start: str, n: int, due: str) -> None:
    assert add_days(d(start), n, DayUnit.CALENDAR, PLAIN) == d(due)


def test_calendar_day_landing_on_a_closing_day_moves() -> None:
    # 2025-06-11 + 30 days = Friday 11 July 2025.
    assert add_days(d("2025-06-11"), 30, DayUnit.CALENDAR, PLAIN) == d("2025-07-11")
    assert add_days(d("2025-06-11"), 30, DayUnit.CALENDAR, TOWN) == d("2025-07-14")


@FAST
@given(start=starts, n=st.integers(min_value=0, max_value=400))
def test_calendar_days_property(start: date, n: int) -> None:
    due = add_days(start, n, DayUnit.CALENDAR, TOWN)
    raw = start + timedelta(days=n)
    assert due >= raw
    assert TOWN.is_working_day(due)
    assert all(not TOWN.is_working_day(raw + timedelta(days=i)) for i in range((due - raw).days))


def test_zero_working_days_and_negative_periods() -> None:
    assert add_days(d("2024-03-30"), 0, DayUnit.WORKING, PLAIN) == d("2024-04-02")
    with pytest.raises(ValueError, match="negative"):
        add_days(d("2024-03-30"), -1, DayUnit.WORKING, PLAIN)


# --- TownCalendar ------------------------------------------------------------------------


def test_town_calendar_basics() -> None:
    assert PLAIN.is_working_day(d("2024-12-26"))
    assert not PLAIN.is_working_day(d("2024-12-25"))
    assert not PLAIN.is_working_day(d("2024-12-28"))  # Saturday
    assert PLAIN.next_working_day(d("2024-12-24")) == d("2024-12-24")
    assert PLAIN.next_working_day(d("2024-12-25")) == d("2024-12-26")
    assert TOWN.next_working_day(d("2024-12-25")) == d("2024-12-27")
    assert PLAIN.next_working_day(d("2022-12-31")) == d("2023-01-02")
    # Any iterable of dates is accepted and frozen; the value is hashable.
    cal = TownCalendar({d("2024-12-24")})  # type: ignore[arg-type]
    assert isinstance(cal.closing_days, frozenset)
    assert hash(cal) == hash(TownCalendar(frozenset({d("2024-12-24")})))


def test_is_working_day_matches_workalendar_every_day() -> None:
    day = FIRST
    while day <= LAST:
        assert TOWN.is_working_day(day) == BELGIUM.is_working_day(
            day, extra_holidays=tuple(CLOSING)
        ), day
        day += timedelta(days=1)


# --- working_days_between ----------------------------------------------------------------


@FAST
@given(start=starts, n=periods)
def test_working_days_between_is_inverse_of_add_days(start: date, n: int) -> None:
    due = add_days(start, n, DayUnit.WORKING, TOWN)
    assert working_days_between(start, due, TOWN) == n
    assert working_days_between(due, start, TOWN) == -n
    # due is the earliest such day
    assert working_days_between(start, due - timedelta(days=1), TOWN) == n - 1


@FAST
@given(
    a=st.dates(min_value=FIRST, max_value=LAST),
    b=st.dates(min_value=FIRST, max_value=LAST),
    c=st.dates(min_value=FIRST, max_value=LAST),
)
def test_working_days_between_is_additive(a: date, b: date, c: date) -> None:
    ab = working_days_between(a, b, TOWN)
    assert ab + working_days_between(b, c, TOWN) == working_days_between(a, c, TOWN)
    assert working_days_between(a, a, TOWN) == 0


def test_working_days_between_explicit() -> None:
    # (Fri 29 Mar 2024, Fri 5 Apr 2024]: Easter Monday excluded → Tue..Fri = 4.
    assert working_days_between(d("2024-03-29"), d("2024-04-05"), PLAIN) == 4
    assert working_days_between(d("2024-04-05"), d("2024-03-29"), PLAIN) == -4
    # Across a year boundary with 25/26 Dec and 1/2 Jan.
    assert working_days_between(d("2024-12-20"), d("2025-01-03"), PLAIN) == 8
    assert working_days_between(d("2024-12-20"), d("2025-01-03"), TOWN) == 6


# --- compute_deadline --------------------------------------------------------------------


def simulate(
    received: date,
    total: int,
    unit: DayUnit,
    cal: TownCalendar,
    suspensions: list[Suspension],
) -> tuple[date | None, int]:
    """Day-by-day reference: stop the clock on suspended counting days.

    Returns (due, suspended counting days in (received, last counting day]).
    """

    def counting(day: date) -> bool:
        return unit is DayUnit.CALENDAR or cal.is_working_day(day)

    def suspended(day: date) -> bool:
        return any(s.start <= day and (s.end is None or day < s.end) for s in suspensions)

    day = received
    counted = 0
    skipped = 0
    while counted < total:
        day += timedelta(days=1)
        if not counting(day):
            continue
        if suspended(day):
            skipped += 1
            if day > LAST:
                return None, skipped  # an open suspension never ends
            continue
        counted += 1
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    return day, skipped


suspension_lists = st.lists(
    st.tuples(st.integers(min_value=-10, max_value=120), st.integers(min_value=0, max_value=40)),
    max_size=4,
)


@FAST
@given(
    received=st.dates(min_value=FIRST, max_value=date(2033, 1, 1)),
    days=st.integers(min_value=0, max_value=90),
    unit=st.sampled_from(DayUnit),
    raw=suspension_lists,
    extension=st.integers(min_value=0, max_value=30),
)
def test_compute_deadline_matches_day_by_day_simulation(
    received: date,
    days: int,
    unit: DayUnit,
    raw: list[tuple[int, int]],
    extension: int,
) -> None:
    suspensions = [
        Suspension(received + timedelta(days=o), received + timedelta(days=o + n)) for o, n in raw
    ]
    result = compute_deadline(
        received=received,
        days=days,
        unit=unit,
        calendar=TOWN,
        suspensions=suspensions,
        extension_days=extension,
    )
    due, skipped = simulate(received, days + extension, unit, TOWN, suspensions)
    assert result.due == due
    assert result.suspended_days == skipped
    assert result.base_due == add_days(received, days, unit, TOWN)
    assert not result.is_suspended  # no open suspension, no `today`


def test_no_suspension_no_extension_is_base_due() -> None:
    result = compute_deadline(
        received=d("2024-03-04"), days=30, unit=DayUnit.WORKING, calendar=PLAIN
    )
    assert result == DeadlineResult(
        due=d("2024-04-16"), base_due=d("2024-04-16"), suspended_days=0, is_suspended=False
    )
    assert BELGIUM.add_working_days(d("2024-03-04"), 30) == d("2024-04-16")


def test_suspension_counts_start_but_not_end_day() -> None:
    received = d("2024-03-04")  # Monday
    # Suspended Friday 8 March, counting resumes Monday 11 March: one working day.
    result = compute_deadline(
        received=received,
        days=10,
        unit=DayUnit.WORKING,
        calendar=PLAIN,
        suspensions=[Suspension(d("2024-03-08"), d("2024-03-11"))],
    )
    assert result.suspended_days == 1
    assert result.base_due == d("2024-03-18")
    assert result.due == d("2024-03-19")
    # In calendar days the same suspension is three days (Fri, Sat, Sun).
    cal_result = compute_deadline(
        received=received,
        days=10,
        unit=DayUnit.CALENDAR,
        calendar=PLAIN,
        suspensions=[Suspension(d("2024-03-08"), d("2024-03-11"))],
    )
    assert cal_result.suspended_days == 3
    assert cal_result.base_due == d("2024-03-14")
    assert cal_result.due == d("2024-03-18")  # 17 March is a Sunday → Monday


def test_overlapping_suspensions_do_not_double_count() -> None:
    received = d("2024-03-04")
    one = compute_deadline(
        received=received,
        days=20,
        unit=DayUnit.WORKING,
        calendar=PLAIN,
        suspensions=[Suspension(d("2024-03-06"), d("2024-03-15"))],
    )
    overlapping = compute_deadline(
        received=received,
        days=20,
        unit=DayUnit.WORKING,
        calendar=PLAIN,
        suspensions=[
            Suspension(d("2024-03-11"), d("2024-03-15")),
            Suspension(d("2024-03-06"), d("2024-03-13")),
            Suspension(d("2024-03-07"), d("2024-03-08")),  # nested
            Suspension(d("2024-03-06"), d("2024-03-15")),  # duplicate
        ],
    )
    assert one.suspended_days == 7
    assert overlapping == one


def test_suspension_outside_the_running_period_changes_nothing() -> None:
    base = compute_deadline(received=d("2024-03-04"), days=5, unit=DayUnit.WORKING, calendar=PLAIN)
    assert base.due == d("2024-03-11")
    for suspension in (
        Suspension(d("2024-02-01"), d("2024-03-05")),  # ends on/before the first counted day
        Suspension(d("2024-03-12"), d("2024-04-01")),  # starts after the period ended
        Suspension(d("2024-03-12"), None),  # open, but the deadline had already passed
    ):
        result = compute_deadline(
            received=d("2024-03-04"),
            days=5,
            unit=DayUnit.WORKING,
            calendar=PLAIN,
            suspensions=[suspension],
        )
        assert result.due == base.due
        assert result.suspended_days == 0


def test_suspension_starting_before_receipt_counts_from_the_first_day() -> None:
    result = compute_deadline(
        received=d("2024-03-04"),
        days=5,
        unit=DayUnit.WORKING,
        calendar=PLAIN,
        suspensions=[Suspension(d("2024-02-01"), d("2024-03-07"))],
    )
    assert result.suspended_days == 2  # Tue 5 and Wed 6 March
    assert result.due == d("2024-03-13")


def test_suspension_starting_on_the_due_day_still_counts() -> None:
    result = compute_deadline(
        received=d("2024-03-04"),
        days=5,
        unit=DayUnit.WORKING,
        calendar=PLAIN,
        suspensions=[Suspension(d("2024-03-11"), d("2024-03-13"))],
    )
    assert result.suspended_days == 2
    assert result.due == d("2024-03-13")


def test_open_suspension() -> None:
    result = compute_deadline(
        received=d("2024-03-04"),
        days=10,
        unit=DayUnit.WORKING,
        calendar=PLAIN,
        suspensions=[
            Suspension(d("2024-03-05"), d("2024-03-06")),
            Suspension(d("2024-03-11"), None),
        ],
        today=d("2024-03-14"),
    )
    assert result.due is None
    assert result.is_suspended
    assert result.base_due == d("2024-03-18")
    # 1 (5 March) + Mon 11 .. Thu 14 March (today included) = 5
    assert result.suspended_days == 5

    no_today = compute_deadline(
        received=d("2024-03-04"),
        days=10,
        unit=DayUnit.WORKING,
        calendar=PLAIN,
        suspensions=[Suspension(d("2024-03-11"), None)],
    )
    assert no_today.due is None
    assert no_today.is_suspended
    assert no_today.suspended_days == 0


def test_open_suspension_absorbs_later_ones() -> None:
    result = compute_deadline(
        received=d("2024-03-04"),
        days=10,
        unit=DayUnit.CALENDAR,
        calendar=PLAIN,
        suspensions=[
            Suspension(d("2024-03-08"), d("2024-03-20")),
            Suspension(d("2024-03-06"), None),
        ],
        today=d("2024-03-07"),
    )
    assert result.due is None
    assert result.suspended_days == 2  # 6 and 7 March


def test_is_suspended_follows_today() -> None:
    suspensions = [Suspension(d("2024-03-06"), d("2024-03-08"))]

    def on(today: str) -> bool:
        return compute_deadline(
            received=d("2024-03-04"),
            days=10,
            unit=DayUnit.WORKING,
            calendar=PLAIN,
            suspensions=suspensions,
            today=d(today),
        ).is_suspended

    assert not on("2024-03-05")
    assert on("2024-03-06")
    assert on("2024-03-07")
    assert not on("2024-03-08")  # counting resumes


def test_extension_is_added_once() -> None:
    received = d("2024-03-04")
    result = compute_deadline(
        received=received,
        days=30,
        unit=DayUnit.WORKING,
        calendar=PLAIN,
        suspensions=[
            Suspension(d("2024-03-06"), d("2024-03-08")),
            Suspension(d("2024-04-02"), d("2024-04-04")),
        ],
        extension_days=30,
    )
    assert result.suspended_days == 4
    assert result.due == add_days(received, 30 + 30 + 4, DayUnit.WORKING, PLAIN)
    assert result.base_due == add_days(received, 30, DayUnit.WORKING, PLAIN)


def test_calendar_deadline_with_extension_landing_on_sunday_moves_to_monday() -> None:
    result = compute_deadline(
        received=d("2024-05-01"),
        days=30,
        unit=DayUnit.CALENDAR,
        calendar=PLAIN,
        extension_days=30,
    )
    assert d("2024-06-30").weekday() == 6
    assert result.base_due == d("2024-05-31")
    assert result.due == d("2024-07-01")


def test_compute_deadline_rejects_negative_input() -> None:
    with pytest.raises(ValueError, match="negative"):
        compute_deadline(
            received=d("2024-03-04"),
            days=5,
            unit=DayUnit.WORKING,
            calendar=PLAIN,
            extension_days=-1,
        )
    with pytest.raises(ValueError, match="before it starts"):
        Suspension(d("2024-03-04"), d("2024-03-03"))


# --- deadline_state ----------------------------------------------------------------------

DUE = d("2024-03-18")  # 10 working days after Monday 4 March 2024


@pytest.mark.parametrize(
    ("today", "status", "days_left"),
    [
        ("2024-03-04", "on_track", 10),
        ("2024-03-13", "on_track", 3),  # 70 % elapsed
        ("2024-03-14", "at_risk", 2),  # 80 % elapsed: at the threshold
        ("2024-03-16", "at_risk", 1),  # Saturday
        ("2024-03-18", "at_risk", 0),  # due today: not yet overdue
        ("2024-03-19", "overdue", -1),
        ("2024-03-22", "overdue", -4),
        ("2024-03-23", "overdue", -4),  # Saturday: still 4 working days late
    ],
)
def test_deadline_state_fraction_threshold(today: str, status: str, days_left: int) -> None:
    state = deadline_state(
        due=DUE, total_days=10, unit=DayUnit.WORKING, calendar=PLAIN, today=d(today)
    )
    assert state.status == status
    assert state.days_left == days_left


def test_deadline_state_days_left_threshold() -> None:
    def status(today: str, **kwargs: float | int | None) -> DeadlineStatus:
        return deadline_state(
            due=DUE,
            total_days=10,
            unit=DayUnit.WORKING,
            calendar=PLAIN,
            today=d(today),
            **kwargs,  # type: ignore[arg-type]
        ).status

    assert status("2024-03-12", warn_fraction=None, warn_days_left=4) == "at_risk"
    assert status("2024-03-11", warn_fraction=None, warn_days_left=4) == "on_track"
    # Either threshold suffices.
    assert status("2024-03-12", warn_fraction=0.9, warn_days_left=4) == "at_risk"
    assert status("2024-03-15", warn_fraction=0.9, warn_days_left=0) == "at_risk"
    assert status("2024-03-14", warn_fraction=0.9, warn_days_left=1) == "on_track"
    # No thresholds: on track until overdue.
    assert status("2024-03-18", warn_fraction=None, warn_days_left=None) == "on_track"
    assert status("2024-03-19", warn_fraction=None, warn_days_left=None) == "overdue"


def test_deadline_state_calendar_days_and_suspended() -> None:
    state = deadline_state(
        due=d("2024-04-01"),
        total_days=30,
        unit=DayUnit.CALENDAR,
        calendar=PLAIN,
        today=d("2024-03-25"),
    )
    assert state.days_left == 7
    assert state.elapsed_fraction == pytest.approx(23 / 30)
    assert state.status is DeadlineStatus.ON_TRACK  # 23/30 < 0.8
    next_day = deadline_state(
        due=d("2024-04-01"),
        total_days=30,
        unit=DayUnit.CALENDAR,
        calendar=PLAIN,
        today=d("2024-03-26"),
    )
    assert next_day.days_left == 6
    assert next_day.status is DeadlineStatus.AT_RISK  # 24/30 = 0.8

    suspended = deadline_state(
        due=None, total_days=30, unit=DayUnit.CALENDAR, calendar=PLAIN, today=d("2024-03-25")
    )
    assert suspended.status == "suspended"
    assert suspended.days_left is None


# --- the SQL-friendly table --------------------------------------------------------------


def test_working_day_calendar_table() -> None:
    start, end = d("2024-01-01"), d("2026-12-31")
    table = working_day_calendar_table(start, end, TOWN)
    assert [day for day, _ in table] == [start + timedelta(days=i) for i in range(len(table))]
    assert table[-1][0] == end
    ordinal = dict(table)
    previous = 0
    for day, value in table:
        assert value - previous == (1 if TOWN.is_working_day(day) else 0)
        previous = value
    # Differences are working days in (a, b]; the earliest date with ord(a) + n is add_days.
    for a, n in [(d("2024-03-29"), 1), (d("2024-12-20"), 10), (d("2025-07-10"), 60)]:
        due = add_days(a, n, DayUnit.WORKING, TOWN)
        assert ordinal[due] - ordinal[a] == n
        assert min(day for day, value in table if value == ordinal[a] + n) == due
    for a, b in [(d("2024-01-01"), d("2026-12-31")), (d("2025-05-01"), d("2025-06-15"))]:
        assert ordinal[b] - ordinal[a] == working_days_between(a, b, TOWN)
    assert working_day_calendar_table(end, start, TOWN) == []


def test_unit_may_be_given_as_its_plain_string_value() -> None:
    # A model field hands over "calendar", not DayUnit.CALENDAR.
    start = d("2024-06-01")
    as_calendar: Any = "calendar"
    as_working: Any = "working"
    assert add_days(start, 29, as_calendar, PLAIN) == d("2024-07-01")
    assert add_days(start, 29, as_working, PLAIN) == add_days(start, 29, DayUnit.WORKING, PLAIN)
