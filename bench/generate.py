"""Seeded generator of realistic multilingual support tickets, for throughput and quality benchmarks.

Why it exists: a benchmark needs many tickets that look like a real helpdesk's day (six languages, four channels
with their own rhythm, 50 agents in 5 teams, customers who come back) and that carry known problems at realistic
rates, so one run measures both speed and whether the scorer finds what was planted. Texts are composed from
per-language phrase pools in `bench/corpus/<lang>.yaml` (written for this purpose, no external data) by slot filling
and sentence combination; the agent and team roster is `bench/corpus/roster.yaml`.

Guarantees:
- one seeded random stream: the same n, seed and start give byte-identical output (on the same Python minor
  version, whose `random` algorithms are stable), and the first k tickets of n are those of k;
- tickets are made one at a time; the only state kept is a 7-day window of recent customers, so memory does not
  grow with n;
- each ticket's `metadata.bench` holds the ground truth: contact reason, planted problems, start and end mood,
  and the ticket a repeat contact follows up.

CLI: `python bench/generate.py --tickets N --seed S --format jsonl|csv|parquet --out PATH`
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import re
import string
import sys
import time
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from qa_engine.errors import QAError

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"

LANGUAGE_WEIGHTS: dict[str, float] = {"en": 30, "zh": 20, "de": 15, "ja": 10, "es": 15, "fr": 10}
CHANNEL_WEIGHTS: dict[str, float] = {"chat": 50, "email": 25, "social": 15, "phone": 10}
# Contact reasons, named as CONTRACT.md section 3 names them, so `metadata.bench.contact_reason` is a label.
TOPIC_WEIGHTS: dict[str, float] = {
    "logistics": 30, "returns": 20, "order": 14, "payment": 10, "account": 8, "presales": 8, "complaint": 7, "other": 3,
}  # fmt: skip
TOPICS: tuple[str, ...] = tuple(TOPIC_WEIGHTS)
# Topics whose resolution refunds money or changes the account: the agent must verify the customer first.
VERIFIED_TOPICS: tuple[str, ...] = ("returns", "payment", "account")
ORDERLESS_TOPICS: frozenset[str] = frozenset({"presales", "account", "other"})

# First-response SLAs (CONTRACT.md section 5 defaults); phone has none.
SLA_SECONDS: dict[str, int] = {"chat": 120, "social": 3_600, "email": 86_400}

# Planted problems: probability per eligible ticket (eligibility in `_plant`), scaled per agent by a seeded
# quality factor whose load-weighted mean is 1, so some agents need more coaching than others.
PLANTED_RATES: dict[str, float] = {
    "missing_greeting": 0.10,  # every ticket
    "no_empathy": 0.15,  # tickets whose customer starts upset
    "late_reply": 0.10,  # tickets with a first-response SLA (not phone)
    "rude_wording": 0.02,  # every ticket
    "pii_disclosure": 0.01,  # every ticket
    "refund_before_verification": 0.03,  # tickets that end in a refund or account change (VERIFIED_TOPICS)
}
PLANTED: tuple[str, ...] = tuple(PLANTED_RATES)

MOODS: tuple[str, ...] = ("furious", "angry", "upset", "worried", "neutral", "happy")
UPSET_MOODS: frozenset[str] = frozenset({"furious", "angry", "upset", "worried"})
MOOD_SCORE: dict[str, float] = {
    "furious": -3,
    "angry": -2,
    "upset": -1.5,
    "worried": -1,
    "neutral": 0,
    "happy": 1,
}
WORSE: dict[str, str] = {
    "happy": "neutral", "neutral": "worried", "worried": "upset", "upset": "angry", "angry": "furious",
    "furious": "furious",
}  # fmt: skip
END_MOODS: tuple[str, ...] = ("angry", "disappointed", "neutral", "satisfied", "delighted")
START_MOODS: dict[str, dict[str, float]] = {
    "logistics": {"furious": 8, "angry": 15, "upset": 15, "worried": 22, "neutral": 40},
    "returns": {"furious": 5, "angry": 12, "upset": 23, "worried": 5, "neutral": 55},
    "order": {"angry": 8, "upset": 10, "worried": 20, "neutral": 57, "happy": 5},
    "payment": {"furious": 5, "angry": 15, "upset": 12, "worried": 33, "neutral": 35},
    "account": {"angry": 10, "upset": 12, "worried": 30, "neutral": 48},
    "presales": {"neutral": 60, "happy": 40},
    "complaint": {"furious": 25, "angry": 35, "upset": 25, "worried": 5, "neutral": 10},
    "other": {"upset": 10, "neutral": 70, "happy": 20},
}
# How much each planted problem spoils the customer's mood by the end (0 = the customer does not notice).
MOOD_PENALTY: dict[str, float] = {
    "missing_greeting": 0.2, "no_empathy": 1.0, "late_reply": 0.7, "rude_wording": 3.5, "pii_disclosure": 0.0,
    "refund_before_verification": -0.3,  # a quick refund pleases the customer: that is why agents skip the check
}  # fmt: skip
CSAT_RATE: dict[str, float] = {"chat": 0.35, "email": 0.30, "social": 0.15, "phone": 0.20}
CSAT_BY_END: dict[str, dict[int, float]] = {
    "delighted": {5: 85, 4: 15},
    "satisfied": {5: 30, 4: 60, 3: 10},
    "neutral": {4: 20, 3: 55, 2: 25},
    "disappointed": {3: 20, 2: 55, 1: 25},
    "angry": {1: 85, 2: 15},
}

REPEAT_RATE = 0.10  # share of tickets from a customer who contacted us within the last 7 days
REPEAT_WINDOW_S = 7 * 86_400
RECENT_CAP = 100_000  # hard bound on the recent-customer window, whatever the arrival rate
# Turns per ticket: offset + gamma(shape, scale), clipped to [2, 40]; about 10 on average over the channel mix.
TURN_SHAPE: dict[str, tuple[int, float, float]] = {
    "chat": (2, 4.5, 1.95), "email": (2, 2.0, 2.0), "social": (2, 3.0, 2.0), "phone": (4, 5.0, 2.4),
}  # fmt: skip
MIN_TURNS, MAX_TURNS = 2, 40
HANDOFF_RATE = 0.05
BOT_RATE = 0.30  # chats that start with the virtual assistant
DEFAULT_START = datetime(2026, 11, 2, tzinfo=UTC)
MEAN_ARRIVAL_S = 45.0  # about 1,900 tickets a day: 50 agents, ~40 tickets each
# Relative arrival rate per UTC hour (a global helpdesk: quiet at night, busy in the working day).
HOURLY_LOAD = (
    0.5, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.5, 1.5, 1.4,
    1.3, 1.4, 1.4, 1.3, 1.2, 1.1, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5,
)  # fmt: skip

FORMATS: tuple[str, ...] = ("jsonl", "csv", "parquet")
# The contract's flat form (one row per turn), plus the ticket's csat and metadata (JSON text) so nothing is lost.
FLAT_COLUMNS: tuple[str, ...] = (
    "ticket_id", "turn_index", "speaker", "text", "ts", "agent_id", "channel", "language", "team", "customer_id",
    "created_at", "csat", "metadata",
)  # fmt: skip

# Slots a template may use; a few are only filled where their pool needs them.
COMMON_SLOTS: frozenset[str] = frozenset(
    {
        "agent", "customer", "customer_formal", "customer_full", "brand", "order", "product", "date", "date2",
        "days", "eta_days", "hours", "amount", "amount2", "carrier", "tracking", "email", "email_masked",
        "postcode", "card_last4",
    }
)  # fmt: skip
POOL_EXTRA_SLOTS: dict[str, frozenset[str]] = {
    "customer.repeat": frozenset({"prev_date"}),
    "agent.pii_card": frozenset({"card", "cvv"}),
    "agent.pii_password": frozenset({"password"}),
    "agent.handoff": frozenset({"agent2"}),
}

# Slots some pools must use, so that a planted problem and its absence stay true to the label: a greeting that
# names the agent, a disclosure that discloses; and pools that must not name the agent (the planted missing greeting).
POOL_REQUIRED_SLOTS: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        ("agent.greet", "agent.phone_greet", "agent.email_intro", "agent.email_sign", "agent.handoff_greet",
         "system.join", "system.transfer"),
        frozenset({"agent"}),
    ),
    "agent.handoff": frozenset({"agent2"}),
    "agent.pii_card": frozenset({"card"}),
    "agent.pii_password": frozenset({"password"}),
}  # fmt: skip
POOL_FORBIDDEN_SLOTS: dict[str, frozenset[str]] = {
    "agent.phone_nogreet": frozenset({"agent"}),
    "agent.email_sign_noname": frozenset({"agent"}),
}
_GENDERED = re.compile(r"\[([^\[\]|]*)\|([^\[\]|]*)\]")
_LIST = "list"
_PAIRS = "pairs"
_BY_TOPIC = dict.fromkeys(TOPICS, _LIST)
_PAIRS_BY_TOPIC = dict.fromkeys(TOPICS, _PAIRS)
# The shape every language file must have: a leaf "list" is a non-empty list of templates, "pairs" a non-empty
# list of [question, answer] templates.
POOL_SPEC: dict[str, Any] = {
    "customer": {
        "hello": _LIST, "repeat": _LIST, "problem": _BY_TOPIC, "detail": _BY_TOPIC,
        "mood": dict.fromkeys(("furious", "angry", "upset", "worried", "happy"), _LIST),
        "verify_answer": _LIST, "pushback": _LIST, "ack": _LIST, "end": dict.fromkeys(END_MOODS, _LIST),
        "email_open": _LIST, "email_reply_open": _LIST, "email_request": _LIST, "email_close": _LIST,
    },
    "inquiry": _PAIRS_BY_TOPIC,
    "faq": {**_PAIRS_BY_TOPIC, "general": _PAIRS},
    "agent": {
        **dict.fromkeys(
            (
                "greet", "phone_greet", "phone_nogreet", "thanks", "empathy", "verify", "next_after_verify",
                "check", "recover", "anything_else", "goodbye", "rude", "pii_card", "pii_password", "email_open",
                "email_thanks", "email_reply", "email_intro", "email_sign", "email_sign_noname", "handoff",
                "handoff_greet",
            ),
            _LIST,
        ),
        "finding": _BY_TOPIC, "reassure": _BY_TOPIC, "act_now": dict.fromkeys(VERIFIED_TOPICS, _LIST),
    },
    "bot": {"welcome": _LIST, "handoff": _LIST},
    "system": {"join": _LIST, "transfer": _LIST},
}  # fmt: skip
LANGUAGE_FIELDS: tuple[str, ...] = (
    "language", "joiner", "script", "months", "date_format", "fillers", "emoji", "names", "address",
    "email_domains", "products", "markets",
)  # fmt: skip
MARKET_FIELDS: tuple[str, ...] = (
    "code", "weight", "currency", "rate", "decimals", "decimal_mark", "thousands_mark", "postcode", "platforms",
    "carriers",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# The corpus: phrase pools and roster, validated once when loaded.


@dataclass(frozen=True)
class Market:
    """Where a customer buys: currency format, postcode shape, marketplaces and carriers (with tracking formats)."""

    code: str
    currency: str
    rate: float
    decimals: int
    decimal_mark: str
    thousands_mark: str
    postcode: str
    platforms: tuple[str, ...]
    platform_weights: tuple[float, ...]
    carriers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LanguagePack:
    """One language's phrase pools and the facts that localise a ticket (names, dates, money, markets)."""

    language: str
    joiner: str
    cjk: bool
    months: tuple[str, ...]
    date_format: str
    fillers: tuple[str, ...]
    emoji: tuple[str, ...]
    names: dict[str, tuple[str, ...]]
    address: dict[str, str]
    email_domains: tuple[str, ...]
    products: tuple[str, ...]
    markets: tuple[Market, ...]
    market_weights: tuple[float, ...]
    pools: dict[str, Any]

    def pool(self, path: str) -> Any:
        node = self.pools
        for key in path.split("."):
            node = node[key]
        return node


@dataclass(frozen=True)
class Agent:
    agent_id: str
    team: str
    name: str
    name_cjk: str | None

    def name_in(self, pack: LanguagePack) -> str:
        return self.name_cjk if pack.cjk and self.name_cjk else self.name


@dataclass(frozen=True)
class Corpus:
    languages: dict[str, LanguagePack]
    agents: tuple[Agent, ...]
    routes: dict[str, dict[str, float]]  # language -> team -> share of all tickets
    brands: tuple[str, ...]
    order_formats: dict[str, str]


def _fail(file: Path, where: str, detail: str) -> QAError:
    return QAError("Q903", file=file, where=where, detail=detail)


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise QAError("Q902", path=path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _fail(path, "file", str(exc).replace("\n", " ")) from exc
    if not isinstance(data, dict):
        raise _fail(path, "file", "expected a mapping at the top level")
    return data


def _slots_of(template: str, file: Path, where: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise _fail(file, where, f"bad braces in {template!r}: {exc}") from exc


def _check_templates(templates: Any, shape: str, file: Path, where: str, pool: str) -> None:
    if not isinstance(templates, list) or not templates:
        raise _fail(file, where, "expected a non-empty list")
    allowed = COMMON_SLOTS | POOL_EXTRA_SLOTS.get(pool, frozenset())
    for i, item in enumerate(templates):
        texts = item if shape == _PAIRS else [item]
        if shape == _PAIRS and (not isinstance(item, list) or len(item) != 2):
            raise _fail(file, f"{where}[{i}]", "expected a [question, answer] pair")
        for text in texts:
            if not isinstance(text, str) or not text.strip():
                raise _fail(file, f"{where}[{i}]", f"expected non-empty text, got {text!r}")
            used = _slots_of(text, file, f"{where}[{i}]")
            if unknown := used - allowed:
                raise _fail(
                    file, f"{where}[{i}]", f"unknown slots {sorted(unknown)} (allowed: {sorted(allowed)})"
                )
            if missing := POOL_REQUIRED_SLOTS.get(pool, frozenset()) - used:
                raise _fail(file, f"{where}[{i}]", f"must use the slots {sorted(missing)}: {text!r}")
            if forbidden := POOL_FORBIDDEN_SLOTS.get(pool, frozenset()) & used:
                raise _fail(file, f"{where}[{i}]", f"must not use the slots {sorted(forbidden)}: {text!r}")


def _check_pools(node: Any, spec: Any, file: Path, where: str) -> None:
    """Walk POOL_SPEC: every key present, every leaf a non-empty list of templates with known slots."""
    if isinstance(spec, str):
        _check_templates(node, spec, file, where, ".".join(where.split(".")[:2]))
        return
    if not isinstance(node, dict):
        raise _fail(file, where, "expected a mapping")
    for key, sub in spec.items():
        if key not in node:
            raise _fail(file, f"{where}.{key}".lstrip("."), "missing")
        _check_pools(node[key], sub, file, f"{where}.{key}".lstrip("."))


def _texts(values: Any, file: Path, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise _fail(file, where, "expected a non-empty list of texts")
    return tuple(values)


def _market(raw: Any, file: Path, where: str) -> tuple[Market, float]:
    if not isinstance(raw, dict) or (missing := [f for f in MARKET_FIELDS if f not in raw]):
        raise _fail(file, where, f"a market needs {list(MARKET_FIELDS)}; missing {missing if raw else 'all'}")
    platforms, carriers = raw["platforms"], raw["carriers"]
    if not isinstance(platforms, dict) or not platforms or not isinstance(carriers, dict) or not carriers:
        raise _fail(file, where, "platforms and carriers must be non-empty mappings")
    if "{amount}" not in str(raw["currency"]):
        raise _fail(file, f"{where}.currency", "must contain {amount}")
    market = Market(
        code=str(raw["code"]),
        currency=str(raw["currency"]),
        rate=float(raw["rate"]),
        decimals=int(raw["decimals"]),
        decimal_mark=str(raw["decimal_mark"]),
        thousands_mark=str(raw["thousands_mark"]),
        postcode=str(raw["postcode"]),
        platforms=tuple(platforms),
        platform_weights=tuple(float(w) for w in platforms.values()),
        carriers=tuple((str(k), str(v)) for k, v in carriers.items()),
    )
    return market, float(raw["weight"])


def load_language(path: Path) -> LanguagePack:
    """Read and validate one language file; a mistake is a Q903 naming the file and the key."""
    data = _read_yaml(path)
    if missing := [f for f in LANGUAGE_FIELDS if f not in data]:
        raise _fail(path, "top level", f"missing fields {missing}")
    _check_pools(data, POOL_SPEC, path, "")
    names = data["names"]
    if not isinstance(names, dict):
        raise _fail(path, "names", "expected a mapping with female, male and family")
    address = data["address"]
    for key in ("informal_f", "informal_m", "formal_f", "formal_m", "full"):
        if not isinstance(address, dict) or not isinstance(address.get(key), str):
            raise _fail(path, f"address.{key}", "missing")
        if _slots_of(address[key], path, f"address.{key}") - {"given", "family"}:
            raise _fail(path, f"address.{key}", "may only use {given} and {family}")
    months = _texts(data["months"], path, "months")
    if len(months) != 12:
        raise _fail(path, "months", f"expected 12 month names, got {len(months)}")
    if _slots_of(data["date_format"], path, "date_format") - {"month", "month_name", "day"}:
        raise _fail(path, "date_format", "may only use {month}, {month_name} and {day}")
    if not isinstance(data["markets"], list) or not data["markets"]:
        raise _fail(path, "markets", "expected a non-empty list")
    markets = [_market(m, path, f"markets[{i}]") for i, m in enumerate(data["markets"])]
    return LanguagePack(
        language=str(data["language"]),
        joiner=str(data["joiner"]),
        cjk=data["script"] == "cjk",
        months=months,
        date_format=str(data["date_format"]),
        fillers=_texts(data["fillers"], path, "fillers"),
        emoji=_texts(data["emoji"], path, "emoji"),
        names={k: _texts(names.get(k), path, f"names.{k}") for k in ("female", "male", "family")},
        address={k: address[k] for k in ("informal_f", "informal_m", "formal_f", "formal_m", "full")},
        email_domains=_texts(data["email_domains"], path, "email_domains"),
        products=_texts(data["products"], path, "products"),
        markets=tuple(m for m, _ in markets),
        market_weights=tuple(w for _, w in markets),
        pools={k: data[k] for k in POOL_SPEC},
    )


@cache
def load_corpus(corpus_dir: Path = CORPUS_DIR) -> Corpus:
    """The roster and one validated pack per language of LANGUAGE_WEIGHTS (cached: loading costs ~0.1 s)."""
    roster_path = corpus_dir / "roster.yaml"
    roster = _read_yaml(roster_path)
    for key in ("teams", "agents", "brands", "order_formats"):
        if key not in roster:
            raise _fail(roster_path, key, "missing")
    teams = roster["teams"]
    routes: dict[str, dict[str, float]] = {}
    for team, spec in teams.items():
        for language, weight in (spec or {}).get("route", {}).items():
            routes.setdefault(language, {})[team] = float(weight)
    agents = []
    for i, raw in enumerate(roster["agents"]):
        if (
            not isinstance(raw, dict)
            or raw.get("team") not in teams
            or not raw.get("id")
            or not raw.get("name")
        ):
            raise _fail(roster_path, f"agents[{i}]", f"needs id, name and a team of {sorted(teams)}")
        agents.append(Agent(str(raw["id"]), str(raw["team"]), str(raw["name"]), raw.get("name_cjk")))
    for team in teams:
        if not any(a.team == team for a in agents):
            raise _fail(roster_path, f"teams.{team}", "has no agents")
    languages = {}
    for language in LANGUAGE_WEIGHTS:
        if language not in routes:
            raise _fail(roster_path, "teams", f"no team serves language '{language}'")
        languages[language] = load_language(corpus_dir / f"{language}.yaml")
    order_formats = {str(k): str(v) for k, v in roster["order_formats"].items()}
    for pack in languages.values():
        for market in pack.markets:
            if unknown := [p for p in market.platforms if p not in order_formats]:
                raise _fail(
                    roster_path, "order_formats", f"no format for platforms {unknown} ({pack.language})"
                )
    return Corpus(
        languages=languages,
        agents=tuple(agents),
        routes=routes,
        brands=_texts(roster["brands"], roster_path, "brands"),
        order_formats=order_formats,
    )


# ---------------------------------------------------------------------------------------------------------------
# Small value makers.


def _pattern(rng: random.Random, pattern: str) -> str:
    """Fill a format: '#' a digit, '@' an upper-case letter, anything else literal."""
    draw = rng.random
    return "".join(
        string.digits[int(draw() * 10)]
        if ch == "#"
        else string.ascii_uppercase[int(draw() * 26)]
        if ch == "@"
        else ch
        for ch in pattern
    )


def luhn_valid(digits: str) -> bool:
    """The payment-card checksum (Luhn): what makes a digit string a plausible card number."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_number(rng: random.Random) -> str:
    """A Luhn-valid number in test-card ranges (Visa 4..., Mastercard 51-55..., Amex 34/37...), grouped as
    agents paste them: spaced, dashed or solid."""
    prefix = rng.choice(("4", "4", "51", "52", "53", "54", "55", "34", "37"))
    length = 15 if prefix in ("34", "37") else 16
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    check = next(str(d) for d in range(10) if luhn_valid(body + str(d)))
    number = body + check
    style = rng.randrange(3)
    if style == 2:
        return number
    sep = " " if style == 0 else "-"
    groups = (4, 6, 5) if length == 15 else (4, 4, 4, 4)
    parts, pos = [], 0
    for g in groups:
        parts.append(number[pos : pos + g])
        pos += g
    return sep.join(parts)


def _password(rng: random.Random) -> str:
    letters = "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(5, 8)))
    return letters + rng.choice("#!$%&*") + str(rng.randint(10, 999))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


def _iso(epoch: int) -> str:
    """ISO 8601 in UTC with 'Z' (a million of these per 100k tickets: the date part is cached per day)."""
    day, seconds = divmod(epoch, 86_400)
    hours, rest = divmod(seconds, 3_600)
    return f"{_day_prefix(day)}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}Z"


@lru_cache(maxsize=64)
def _day_prefix(day: int) -> str:
    return datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%dT")


def _weighted(rng: random.Random, items: tuple[Any, ...] | list[Any], cum: list[float]) -> Any:
    return rng.choices(items, cum_weights=cum)[0]


def _cumulative(weights: Iterable[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _lognormal(rng: random.Random, median: float, sigma: float, low: float, high: float) -> int:
    return int(min(high, max(low, rng.lognormvariate(math.log(median), sigma))))


# ---------------------------------------------------------------------------------------------------------------
# One customer, one ticket.


@dataclass(slots=True)
class Customer:
    """What stays the same when a customer comes back: identity, market, shop and the order at stake."""

    customer_id: str
    language: str
    market: Market
    platform: str
    gender: str
    given: str
    family: str
    email: str
    postcode: str
    brand: str
    order_id: str
    product: str
    topic: str
    last_ticket: str = ""
    last_contact: int = 0


@dataclass(slots=True)
class Turn:
    speaker: str
    beat: str
    text: str = ""
    ts: int = 0
    agent: Agent | None = None


@dataclass(slots=True)
class Ticket:
    """The state of one conversation while it is written."""

    pack: LanguagePack
    channel: str
    topic: str
    agents: list[Agent]
    planted: set[str]
    mood_start: str
    mood_end: str
    slots: dict[str, str]
    gender: str  # the customer's: "f" or "m"
    turns: list[Turn] = field(default_factory=list)
    rude_at: int = -1
    pii_at: int = -1
    verify_asked: bool = False
    pending_answer: str = ""


class TicketGenerator:
    """Makes tickets one at a time from one seeded random stream (see the module docstring)."""

    def __init__(self, seed: int = 7, start: datetime | None = None, corpus: Corpus | None = None) -> None:
        if start is None:
            start = DEFAULT_START
        if start.tzinfo is None:
            raise QAError("Q904", value=start.isoformat())
        self.rng = random.Random(seed)
        self.corpus = corpus or load_corpus()
        self.clock = int(start.timestamp())
        self.recent: deque[tuple[int, Customer]] = deque(maxlen=RECENT_CAP)  # (contact time, customer)
        self.customers_made = 0
        self.languages = tuple(LANGUAGE_WEIGHTS)
        self.language_cum = _cumulative(LANGUAGE_WEIGHTS.values())
        self.channels = tuple(CHANNEL_WEIGHTS)
        self.channel_cum = _cumulative(CHANNEL_WEIGHTS.values())
        self.topic_cum = _cumulative(TOPIC_WEIGHTS.values())
        self.mood_tables = {
            t: (tuple(w), _cumulative(w.values())) for t, w in START_MOODS.items()
        }  # topic -> (moods, cum)
        self._setup_agents()

    def _setup_agents(self) -> None:
        """Seeded per-agent workload and quality: load-weighted quality averages 1, so overall planted rates hold."""
        rng, corpus = self.rng, self.corpus
        load = {a.agent_id: rng.uniform(0.6, 1.4) for a in corpus.agents}
        quality = {a.agent_id: rng.lognormvariate(0.0, 0.5) for a in corpus.agents}
        team_share: dict[str, float] = {}
        for route in corpus.routes.values():
            for team, share in route.items():
                team_share[team] = team_share.get(team, 0.0) + share
        self.team_agents: dict[str, tuple[tuple[Agent, ...], list[float]]] = {}
        mean_quality = 0.0
        total_share = sum(team_share.values())
        for team, share in team_share.items():
            members = tuple(a for a in corpus.agents if a.team == team)
            team_load = sum(load[a.agent_id] for a in members)
            self.team_agents[team] = (members, _cumulative(load[a.agent_id] for a in members))
            mean_quality += sum(
                share / total_share * load[a.agent_id] / team_load * quality[a.agent_id] for a in members
            )
        self.quality = {agent_id: q / mean_quality for agent_id, q in quality.items()}
        self.routes = {
            lang: (tuple(teams), _cumulative(teams.values())) for lang, teams in corpus.routes.items()
        }

    # -- arrivals and customers -------------------------------------------------------------------------------

    def _advance_clock(self) -> int:
        hour = (self.clock // 3600) % 24
        self.clock += max(1, round(self.rng.expovariate(1.0 / MEAN_ARRIVAL_S) / HOURLY_LOAD[hour]))
        return self.clock

    def _customer(self, now: int) -> tuple[Customer, bool]:
        """A returning customer (about REPEAT_RATE of tickets, seen in the last 7 days) or a new one."""
        rng, recent = self.rng, self.recent
        while recent and recent[0][0] < now - REPEAT_WINDOW_S:
            recent.popleft()
        if recent and rng.random() < REPEAT_RATE:
            # Most follow-ups come within a day or two: pick recent contacts more often than old ones.
            back = min(len(recent) - 1, int(rng.expovariate(1.0) * len(recent) / 4))
            return recent[len(recent) - 1 - back][1], True
        return self._new_customer(), False

    def _new_customer(self) -> Customer:
        rng, corpus = self.rng, self.corpus
        self.customers_made += 1
        language = _weighted(rng, self.languages, self.language_cum)
        pack = corpus.languages[language]
        market = _weighted(rng, pack.markets, _cumulative(pack.market_weights))
        platform = _weighted(rng, market.platforms, _cumulative(market.platform_weights))
        gender = "f" if rng.random() < 0.55 else "m"
        given = rng.choice(pack.names["female" if gender == "f" else "male"])
        family = rng.choice(pack.names["family"])
        if pack.cjk:
            local = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 9)))
            local += str(rng.randint(1, 999))
        else:
            local = f"{_ascii(given)}{rng.choice(('.', '_', ''))}{_ascii(family)}"
            local += str(rng.randint(1, 99)) if rng.random() < 0.5 else ""
        return Customer(
            customer_id=f"c-{100_000 + self.customers_made}",
            language=language,
            market=market,
            platform=platform,
            gender=gender,
            given=given,
            family=family,
            email=f"{local}@{rng.choice(pack.email_domains)}",
            postcode=_pattern(rng, market.postcode),
            brand=rng.choice(corpus.brands),
            order_id=_pattern(rng, corpus.order_formats[platform]),
            product=rng.choice(pack.products),
            topic=_weighted(rng, TOPICS, self.topic_cum),
        )

    # -- the ticket -------------------------------------------------------------------------------------------

    def ticket(self, index: int) -> dict[str, Any]:
        """The next ticket, as CONTRACT.md section 1's canonical JSON object."""
        rng = self.rng
        created = self._advance_clock()
        customer, repeat = self._customer(created)
        pack = self.corpus.languages[customer.language]
        channel = _weighted(rng, self.channels, self.channel_cum)
        if not repeat:
            topic = customer.topic
        else:
            topic = customer.topic if rng.random() < 0.75 else _weighted(rng, TOPICS, self.topic_cum)
        teams, team_cum = self.routes[customer.language]
        team = _weighted(rng, teams, team_cum)
        members, member_cum = self.team_agents[team]
        agent = _weighted(rng, members, member_cum)
        agents = [agent]
        planted = self._plant(agent, channel, topic)
        mood_start, mood_end = self._moods(topic, repeat, planted)
        slots = self._slots(pack, customer, agent, created, repeat)
        conv = Ticket(pack, channel, topic, agents, planted, mood_start, mood_end, slots, customer.gender)
        n_turns = self._turn_count(channel)
        handoff = channel in ("chat", "phone") and n_turns >= 9 and rng.random() < HANDOFF_RATE
        if handoff:
            agent2 = rng.choice([a for a in members if a is not agent])
            agents.append(agent2)
            slots["agent2"] = agent2.name_in(pack)
        if "pii_disclosure" in planted:
            slots.update(card=_card_number(rng), cvv=f"{rng.randint(100, 999)}", password=_password(rng))
        self._plan(conv, n_turns, handoff)
        _Writer(rng, conv).write()
        self._time(conv, created)

        ticket_id = f"T-{1_000_001 + index}"
        owner = self._owner(conv)
        csat = None
        if rng.random() < CSAT_RATE[channel]:
            scores = CSAT_BY_END[mood_end]
            csat = _weighted(rng, tuple(scores), _cumulative(scores.values()))
        ticket: dict[str, Any] = {
            "ticket_id": ticket_id,
            "channel": channel,
            "language": customer.language,
            "agent_id": owner.agent_id,
            "team": team,
            "customer_id": customer.customer_id,
            "created_at": _iso(conv.turns[0].ts),
            "metadata": {
                "platform": customer.platform,
                "market": customer.market.code,
                "order_id": None if topic in ORDERLESS_TOPICS else customer.order_id,
                "bench": {
                    "contact_reason": topic,
                    "planted": [p for p in PLANTED if p in planted],
                    "mood_start": mood_start,
                    "mood_end": mood_end,
                    "follow_up_to": customer.last_ticket if repeat else None,
                },
            },
        }
        if csat is not None:
            ticket["csat"] = csat
        ticket["turns"] = [
            {"speaker": t.speaker, "text": t.text, "ts": _iso(t.ts), "agent_id": t.agent.agent_id}
            if t.agent is not None
            else {"speaker": t.speaker, "text": t.text, "ts": _iso(t.ts)}
            for t in conv.turns
        ]
        customer.last_ticket, customer.last_contact, customer.topic = ticket_id, created, topic
        self.recent.append((created, customer))
        return ticket

    def _plant(self, agent: Agent, channel: str, topic: str) -> set[str]:
        """Which problems this ticket carries: each at its rate on the tickets it can happen to."""
        rng, q = self.rng, self.quality[agent.agent_id]
        eligible = {
            "missing_greeting": True,
            "no_empathy": True,  # decided again once the start mood is known (`_moods`)
            "late_reply": channel in SLA_SECONDS,
            "rude_wording": True,
            "pii_disclosure": True,
            "refund_before_verification": topic in VERIFIED_TOPICS,
        }
        return {p for p, rate in PLANTED_RATES.items() if eligible[p] and rng.random() < min(0.9, rate * q)}

    def _moods(self, topic: str, repeat: bool, planted: set[str]) -> tuple[str, str]:
        rng = self.rng
        moods, cum = self.mood_tables[topic]
        start = _weighted(rng, moods, cum)
        if repeat:  # a customer who has to come back is rarely happier for it
            start = WORSE[start]
        if start not in UPSET_MOODS:
            planted.discard("no_empathy")
        score = 1.1 + 0.3 * MOOD_SCORE[start] + rng.gauss(0.0, 0.9)
        score -= sum(MOOD_PENALTY[p] for p in planted)
        if score >= 1.6:
            end = "delighted"
        elif score >= 0.5:
            end = "satisfied"
        elif score >= -0.2:
            end = "neutral"
        elif score >= -1.2:
            end = "disappointed"
        else:
            end = "angry"
        return start, end

    def _slots(
        self, pack: LanguagePack, c: Customer, agent: Agent, created: int, repeat: bool
    ) -> dict[str, str]:
        rng, market = self.rng, c.market
        address = pack.address
        names = {"given": c.given, "family": c.family}
        carrier, tracking_format = rng.choice(market.carriers)
        amount = min(1500.0, max(4.0, rng.lognormvariate(math.log(45.0), 0.8)))
        slots = {
            "agent": agent.name_in(pack),
            "customer": address[f"informal_{c.gender}"].format(**names),
            "customer_formal": address[f"formal_{c.gender}"].format(**names),
            "customer_full": address["full"].format(**names),
            "brand": c.brand,
            "order": c.order_id,
            "product": c.product,
            "date": _local_date(pack, created - rng.randint(2, 25) * 86_400),
            "date2": _local_date(pack, created + rng.randint(1, 10) * 86_400),
            "days": str(rng.randint(3, 14)),
            "eta_days": str(rng.choice((2, 3, 3, 5, 5, 7, 10))),
            "hours": str(rng.choice((24, 24, 48, 48, 72))),
            "amount": _money(market, amount),
            "amount2": _money(market, rng.choice((5, 10, 10, 15, 20, 25))),
            "carrier": carrier,
            "tracking": _pattern(rng, tracking_format),
            "email": c.email,
            "email_masked": c.email[0] + "***@" + c.email.split("@", 1)[1],
            "postcode": c.postcode,
            "card_last4": f"{rng.randrange(10_000):04d}",
        }
        if repeat:
            slots["prev_date"] = _local_date(pack, c.last_contact)
        return slots

    def _turn_count(self, channel: str) -> int:
        offset, shape, scale = TURN_SHAPE[channel]
        return max(MIN_TURNS, min(MAX_TURNS, offset + round(self.rng.gammavariate(shape, scale))))

    def _plan(self, conv: Ticket, n_turns: int, handoff: bool) -> None:
        """Lay out the beats (who says what kind of thing) so the ticket has exactly `n_turns` turns."""
        rng, channel = self.rng, conv.channel
        head: list[tuple[str, str]] = []
        if channel == "phone":
            head.append(("agent", "a_phone_greet"))
        bot = channel == "chat" and n_turns >= 8 and rng.random() < BOT_RATE
        if bot:
            head.append(("bot", "bot_welcome"))
        if channel == "chat" and n_turns >= 6 and rng.random() < 0.2:
            head.append(("customer", "c_hello"))  # "hi" first, the problem in the next message
        head.append(("customer", "c_open"))
        if bot:
            head += [("bot", "bot_handoff"), ("system", "system_join")]
        left = n_turns - len(head)
        body: list[tuple[str, str]]
        if left <= 1:
            body = [("agent", "a_first_full")]
        elif left == 2:
            body = [("agent", "a_first_full"), ("customer", "c_end")]
        elif left == 3:
            body = [("agent", "a_first"), ("customer", "c_answer"), ("agent", "a_resolve_full")]
        elif left == 4:
            body = [
                ("agent", "a_first"),
                ("customer", "c_answer"),
                ("agent", "a_resolve"),
                ("customer", "c_end"),
            ]
        else:
            if channel == "email":
                # The agent's e-mail already offers more help; the customer may just thank (and keeps parity).
                closing = [("customer", "c_end")]
                if left % 2:
                    closing.append(("agent", "a_goodbye"))
            elif left >= 6 and rng.random() < 0.7:
                closing = [("agent", "a_anything_else"), ("customer", "c_end"), ("agent", "a_goodbye")]
            else:
                closing = [("customer", "c_end"), ("agent", "a_goodbye")]
            room = left - 3 - len(closing)
            before: list[tuple[str, str]] = []
            if handoff and room >= 3:
                before = [("agent", "a_handoff"), ("agent", "a_handoff_greet")]
                if channel == "chat":
                    before.insert(1, ("system", "system_transfer"))
                room -= len(before)
            if room and channel in ("chat", "phone") and rng.random() < 0.6:
                before.append(("agent", "a_check"))
                room -= 1
            after: list[tuple[str, str]] = []
            upset = conv.mood_start in UPSET_MOODS or conv.mood_end in ("disappointed", "angry")
            while room >= 2:
                if upset and rng.random() < 0.45:
                    after += [("customer", "c_pushback"), ("agent", "a_recover")]
                else:
                    after += [("customer", "c_followup"), ("agent", "a_followup")]
                room -= 2
            if room:
                after.append(("customer", "c_ack") if channel != "email" else ("agent", "a_followup_more"))
            body = [("agent", "a_first"), ("customer", "c_answer"), *before, ("agent", "a_resolve"), *after]
            body += closing
        conv.turns = [Turn(speaker, beat) for speaker, beat in head + body]
        # Where the planted wording goes: an agent turn with content, preferably after the first reply.
        content = [
            i
            for i, t in enumerate(conv.turns)
            if t.beat in ("a_first", "a_first_full", "a_resolve", "a_resolve_full", "a_followup", "a_recover")
        ]
        later = content[1:] or content
        if "rude_wording" in conv.planted:
            conv.rude_at = rng.choice(later)
        if "pii_disclosure" in conv.planted:
            conv.pii_at = rng.choice(later)

    def _time(self, conv: Ticket, created: int) -> None:
        """Channel-typical timestamps; the first agent reply meets its SLA unless `late_reply` is planted."""
        rng, channel = self.rng, conv.channel
        late = "late_reply" in conv.planted
        first_customer = None
        prev: Turn | None = None
        for turn in conv.turns:
            if prev is None:
                turn.ts = created
            elif turn.beat in ("a_first", "a_first_full") and channel in SLA_SECONDS:
                sla = SLA_SECONDS[channel]
                wait = _first_response(rng, channel, sla, late)
                turn.ts = max(prev.ts + 1, first_customer + wait)
            elif turn.beat == "system_join":
                turn.ts = prev.ts + rng.randint(1, 3)
            else:
                turn.ts = prev.ts + _gap(rng, channel, prev, turn)
            if first_customer is None and turn.speaker == "customer":
                first_customer = turn.ts
            prev = turn

    @staticmethod
    def _owner(conv: Ticket) -> Agent:
        """The ticket's agent: the one with the most turns (ties go to the agent who finished the conversation)."""
        counts: dict[str, int] = {}
        last = conv.agents[0]
        for t in conv.turns:
            if t.agent is not None:
                counts[t.agent.agent_id] = counts.get(t.agent.agent_id, 0) + 1
                last = t.agent
        best = max(counts.values(), default=0)
        if counts.get(last.agent_id) == best:
            return last
        return next(a for a in conv.agents if counts.get(a.agent_id) == best)


def _first_response(rng: random.Random, channel: str, sla: int, late: bool) -> int:
    """Seconds from the first customer message to the first agent reply."""
    if late:
        return rng.randint(int(sla * 1.1) + 1, sla * {"chat": 12, "social": 6, "email": 3}[channel])
    median = {"chat": 40, "social": 900, "email": 5 * 3600}[channel]
    # Stay clear of the SLA by a margin: the bot and split-message turns before the reply take up to ~30 s.
    return _lognormal(rng, median, 0.8, 5, sla - 10 if channel == "chat" else sla * 0.95)


def _gap(rng: random.Random, channel: str, prev: Turn, turn: Turn) -> int:
    """Seconds between two turns: chat seconds to minutes, e-mail hours, social minutes to hours, phone speech."""
    if turn.speaker in ("bot", "system") or prev.speaker == "bot":
        return rng.randint(1, 4) if turn.speaker != "customer" else rng.randint(5, 40)
    if channel == "phone":
        if prev.beat == "a_check":
            return rng.randint(20, 150)  # on hold while the agent looks it up
        return 1 + int(len(prev.text) / 15 * rng.uniform(0.8, 1.2)) + rng.randint(0, 3)
    if prev.speaker == turn.speaker:
        if prev.beat == "a_check":
            return _lognormal(rng, 90, 0.6, 20, 420)
        return rng.randint(4, 30) if channel != "email" else _lognormal(rng, 2 * 3600, 0.8, 600, 86_400)
    to_agent = turn.speaker == "agent"
    if channel == "chat":
        return _lognormal(rng, 50, 0.7, 8, 600) if to_agent else _lognormal(rng, 45, 0.8, 5, 900)
    if channel == "social":
        return (
            _lognormal(rng, 1200, 0.9, 60, 6 * 3600)
            if to_agent
            else _lognormal(rng, 1500, 1.0, 60, 12 * 3600)
        )
    return (
        _lognormal(rng, 5 * 3600, 0.8, 900, 40 * 3600)
        if to_agent
        else _lognormal(rng, 6 * 3600, 1.0, 300, 96 * 3600)
    )


def _local_date(pack: LanguagePack, epoch: int) -> str:
    day = datetime.fromtimestamp(epoch, UTC)
    return pack.date_format.format(month=day.month, month_name=pack.months[day.month - 1], day=day.day)


def _money(market: Market, usd: float) -> str:
    value = usd * market.rate
    if market.decimals == 0:
        value = round(value, -1) if value > 100 else round(value)
        whole, frac = f"{int(value):,}", ""
    else:
        whole_part, frac = f"{value:,.{market.decimals}f}".split(".")
        whole = whole_part
    whole = whole.replace(",", market.thousands_mark)
    return market.currency.format(amount=whole + (market.decimal_mark + frac if frac else ""))


# ---------------------------------------------------------------------------------------------------------------
# Turning beats into text.


class _Writer:
    """Fills each planned turn with text: pools, slots, channel shape (chat lines, e-mails, phone speech)."""

    def __init__(self, rng: random.Random, conv: Ticket) -> None:
        self.rng = rng
        self.conv = conv
        self.pack = conv.pack
        self.slots = conv.slots
        self.agent = conv.agents[0]
        self.upset = conv.mood_start in UPSET_MOODS
        self.empathy = self.upset and "no_empathy" not in conv.planted
        self.greeting = "missing_greeting" not in conv.planted
        self.verify = conv.topic in VERIFIED_TOPICS and "refund_before_verification" not in conv.planted
        self.kept: dict[tuple[str, str], str] = {}
        self.used: dict[str, set[int]] = {}

    def fresh(self, path: str) -> Any:
        """A pool entry this ticket has not used yet (people do not repeat themselves word for word), or, once
        the pool is spent, any entry."""
        pool = self.pack.pool(path)
        used = self.used.setdefault(path, set())
        if len(used) >= len(pool):
            used.clear()
        index = self.rng.choice([k for k in range(len(pool)) if k not in used])
        used.add(index)
        return pool[index]

    def pick(self, path: str, slots: dict[str, str] | None = None) -> str:
        return self.fresh(path).format_map(slots or self.slots)

    def pick_once(self, path: str, slots: dict[str, str] | None = None) -> str:
        """The same choice for the whole ticket (per agent): people keep their salutation and sign-off."""
        key = (path, self.agent.agent_id if path.startswith("agent.") else "")
        if key not in self.kept:
            self.kept[key] = self.pick(path, slots)
        return self.kept[key]

    def join(self, parts: Iterable[str]) -> str:
        return self.pack.joiner.join(p for p in parts if p)

    def write(self) -> None:
        for i, turn in enumerate(self.conv.turns):
            if turn.speaker == "agent":
                if turn.beat == "a_handoff_greet":
                    self.agent = self.conv.agents[1]
                turn.agent = self.agent
            text = getattr(self, turn.beat)(i)
            if "[" in text:  # "[m|f]": the form that fits the customer (French and Spanish agree in gender)
                text = _GENDERED.sub(self.gender_form, text)
            turn.text = text

    def gender_form(self, match: re.Match[str]) -> str:
        return match.group(1 if self.conv.gender == "m" else 2)

    # -- helpers ---------------------------------------------------------------------------------------------

    def casual(self, text: str) -> str:
        """Customers type fast on chat and social: case, punctuation, typos, emoji (agents do not)."""
        rng, channel = self.rng, self.conv.channel
        if channel == "phone":  # a transcript: hesitations, no typing noise
            if rng.random() >= 0.4:
                return text
            if self.pack.cjk:
                return rng.choice(self.pack.fillers) + text
            lower = text[:1].lower() + text[1:] if text[1:2].islower() else text  # "Non, ..." but "I'd ..."
            return rng.choice(self.pack.fillers) + " " + lower
        if channel not in ("chat", "social"):
            return text
        if self.pack.cjk:
            if rng.random() < 0.3:
                text = text.rstrip("。")
            if rng.random() < 0.12:
                text = text.replace("？", "？？")
        else:
            if rng.random() < 0.2:
                text = text.lower()
            elif rng.random() < 0.15:
                text = text[:1].lower() + text[1:]
            if rng.random() < 0.25:
                text = text.rstrip(".")
            if rng.random() < 0.1:
                text = text.replace("'", "").replace("’", "")
            if rng.random() < 0.12:
                text = self._typo(text)
        if rng.random() < (0.2 if channel == "social" else 0.08):
            text += " " + rng.choice(self.pack.emoji)
        return text

    def _typo(self, text: str) -> str:
        words = text.split(" ")
        long_words = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if not long_words:
            return text
        i = self.rng.choice(long_words)
        w = words[i]
        j = self.rng.randrange(1, len(w) - 2)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        return " ".join(words)

    def customer_text(self, body: list[str], first: bool = False) -> str:
        """A customer's message in the channel's shape (an e-mail gets salutation, paragraphs and a sign-off)."""
        if self.conv.channel != "email":
            return self.casual(self.join(body))
        opening = self.pick("customer.email_open") if first else self.pick_once("customer.email_reply_open")
        paragraphs = [opening, *self._paragraphs(body)]
        if first:
            paragraphs.append(self.pick("customer.email_request"))
        paragraphs.append(self.pick_once("customer.email_close"))
        return "\n\n".join(paragraphs)

    def agent_text(self, body: list[str], i: int, first: bool = False, closing: bool = False) -> str:
        """An agent's message: planted wording placed, e-mails framed (salutation, intro, sign-off)."""
        if i == self.conv.rude_at:
            body = [self.pick("agent.rude"), *body]
        if i == self.conv.pii_at:
            body = [*body, self.pick("agent.pii_card" if self.rng.random() < 0.75 else "agent.pii_password")]
        if self.conv.channel != "email":
            if closing:
                body = [*body, self.pick("agent.anything_else")]
            return self.join(body)
        slots = self._agent_slots()
        named = self.greeting or not first
        paragraphs = []
        if named:
            paragraphs.append(self.pick_once("agent.email_open", slots))
        lead = [self.pick("agent.email_thanks" if first else "agent.email_reply", slots)]
        if first and named:
            lead.append(self.pick("agent.email_intro", slots))
        paragraphs.append(self.join(lead))
        paragraphs += self._paragraphs(body)
        if closing:
            paragraphs.append(self.pick("agent.anything_else"))
        paragraphs.append(self.pick_once("agent.email_sign" if named else "agent.email_sign_noname", slots))
        return "\n\n".join(paragraphs)

    def _paragraphs(self, sentences: list[str]) -> list[str]:
        sentences = [s for s in sentences if s]
        if len(sentences) <= 2:
            return [self.join(sentences)] if sentences else []
        cut = self.rng.randint(1, len(sentences) - 1)
        return [self.join(sentences[:cut]), self.join(sentences[cut:])]

    def _agent_slots(self) -> dict[str, str]:
        if self.agent is self.conv.agents[0]:
            return self.slots
        return {**self.slots, "agent": self.agent.name_in(self.pack)}

    def _mood_line(self, mood: str, chance: float) -> str:
        if mood == "neutral" or self.rng.random() >= chance:
            return ""
        return self.pick(f"customer.mood.{mood}")

    def _empathy(self) -> str:
        return self.pick("agent.empathy") if self.empathy else ""

    # -- beats -----------------------------------------------------------------------------------------------

    def bot_welcome(self, i: int) -> str:
        return self.pick("bot.welcome")

    def bot_handoff(self, i: int) -> str:
        return self.pick("bot.handoff")

    def system_join(self, i: int) -> str:
        return self.pick("system.join")

    def system_transfer(self, i: int) -> str:
        return self.pick("system.transfer", {**self.slots, "agent": self.slots["agent2"]})

    def c_hello(self, i: int) -> str:
        return self.casual(self.pick("customer.hello"))

    def c_open(self, i: int) -> str:
        rng, conv, topic = self.rng, self.conv, self.conv.topic
        repeat = self.pick("customer.repeat") if "prev_date" in self.slots else ""
        problem = self.pick(f"customer.problem.{topic}")
        mood = self._mood_line(conv.mood_start, 0.85)
        if conv.channel == "email":
            details = [self.pick(f"customer.detail.{topic}") for _ in range(rng.randint(1, 3))]
            details = list(dict.fromkeys(details))  # the same sentence twice reads like a bug
            more = self._mood_line(conv.mood_start, 0.5)
            return self.customer_text(
                [repeat, problem, *details, mood, more if more != mood else ""], first=True
            )
        if conv.channel == "social":
            return self.casual(self.join([problem, mood]))
        hello = ""
        if conv.channel == "chat" and conv.turns[max(0, i - 1)].beat != "c_hello" and rng.random() < 0.55:
            hello = self.pick("customer.hello")
            if hello[-1].isalnum():  # "Hi" -> "Hi!", "你好" -> "你好，"; "hello?" stays
                hello += "，" if self.pack.cjk else self.rng.choice(("!", ".", " -"))
        detail = self.pick(f"customer.detail.{topic}") if rng.random() < 0.55 else ""
        text = self.join([repeat, problem, detail, mood])
        return self.casual(f"{hello} {text}" if hello and not self.pack.cjk else hello + text)

    def a_phone_greet(self, i: int) -> str:
        return self.pick("agent.phone_greet" if self.greeting else "agent.phone_nogreet")

    def _greet(self) -> list[str]:
        """The opening lines of the first agent reply on chat and social (on e-mail the frame greets)."""
        if not self.greeting or self.conv.channel in ("email", "phone"):
            return []
        lines = [self.pick("agent.greet")]
        if self.rng.random() < 0.4:
            lines.append(self.pick("agent.thanks"))
        return lines

    def _action_lines(self) -> list[str]:
        """Verification first where the topic needs it, or the planted refund/account change without it."""
        topic = self.conv.topic
        if topic not in VERIFIED_TOPICS:
            return []
        if not self.verify:
            return [self.pick(f"agent.act_now.{topic}")]
        self.conv.verify_asked = True
        return [self.pick("agent.verify")]

    def a_first(self, i: int) -> str:
        question, answer = self.fresh(f"inquiry.{self.conv.topic}")
        self.conv.pending_answer = answer.format_map(self.slots)
        body = [*self._greet(), self._empathy(), *self._action_lines(), question.format_map(self.slots)]
        return self.agent_text(body, i, first=True)

    def a_first_full(self, i: int) -> str:
        """A first reply that is also the last: it must resolve (or, when verifying, say what happens next)."""
        topic = self.conv.topic
        body = [*self._greet(), self._empathy(), *self._action_lines()]
        if self.conv.verify_asked:
            body.append(self.pick("agent.next_after_verify"))
        else:
            body += [self.pick(f"agent.finding.{topic}"), self.pick(f"agent.reassure.{topic}")]
        return self.agent_text(body, i, first=True, closing=True)

    def c_answer(self, i: int) -> str:
        body = [self.conv.pending_answer]
        if self.conv.verify_asked:
            body.append(self.pick("customer.verify_answer"))
        if self.rng.random() < 0.3:
            body.append(self.pick(f"customer.detail.{self.conv.topic}"))
        return self.customer_text(body)

    def a_check(self, i: int) -> str:
        return self.pick("agent.check")

    def a_handoff(self, i: int) -> str:
        return self.agent_text([self.pick("agent.handoff")], i)

    def a_handoff_greet(self, i: int) -> str:
        return self.agent_text([self.pick("agent.handoff_greet", self._agent_slots())], i)

    def a_resolve(self, i: int, closing: bool = False) -> str:
        topic = self.conv.topic
        body = [self.pick(f"agent.finding.{topic}"), self.pick(f"agent.reassure.{topic}")]
        # A resolving e-mail usually ends by offering more help; a chat line does not need to.
        offer = closing or (self.conv.channel == "email" and self.rng.random() < 0.6)
        return self.agent_text(body, i, closing=offer)

    def a_resolve_full(self, i: int) -> str:
        return self.a_resolve(i, closing=True)

    def c_followup(self, i: int) -> str:
        # The topic's own follow-ups first; when a long conversation has used them all, general ones.
        topic_path = f"faq.{self.conv.topic}"
        spent = len(self.used.get(topic_path, ())) >= len(self.pack.pool(topic_path))
        general_left = len(self.used.get("faq.general", ())) < len(self.pack.pool("faq.general"))
        question, answer = self.fresh("faq.general" if spent and general_left else topic_path)
        self.conv.pending_answer = answer.format_map(self.slots)
        return self.customer_text([question.format_map(self.slots)])

    def a_followup(self, i: int) -> str:
        return self.agent_text([self.conv.pending_answer], i)

    def a_followup_more(self, i: int) -> str:
        """An e-mail the agent sends unasked: a status update that repeats the next step."""
        return self.agent_text([self.pick(f"agent.reassure.{self.conv.topic}")], i)

    def c_pushback(self, i: int) -> str:
        return self.customer_text(
            [self.pick("customer.pushback"), self._mood_line(self.conv.mood_start, 0.4)]
        )

    def a_recover(self, i: int) -> str:
        return self.agent_text([self._empathy(), self.pick("agent.recover")], i)

    def c_ack(self, i: int) -> str:
        return self.casual(self.pick("customer.ack"))

    def a_anything_else(self, i: int) -> str:
        return self.pick("agent.anything_else")

    def c_end(self, i: int) -> str:
        return self.customer_text([self.pick(f"customer.end.{self.conv.mood_end}")])

    def a_goodbye(self, i: int) -> str:
        return self.agent_text([self.pick("agent.goodbye")], i)


# ---------------------------------------------------------------------------------------------------------------
# Public API.


def generate_tickets(n: int, seed: int = 7, start: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Yield `n` canonical tickets (CONTRACT.md section 1), made one at a time from `seed`.

    `start` (timezone-aware; default 2026-11-02T00:00Z, fixed so output is reproducible) is when the first
    ticket arrives; tickets then arrive about every 45 s, busier by day than by night.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise QAError("Q901", value=n)
    return _generate(n, seed, start)


def _generate(n: int, seed: int, start: datetime | None) -> Iterator[dict[str, Any]]:
    generator = TicketGenerator(seed=seed, start=start)
    for index in range(n):
        yield generator.ticket(index)


def flatten_ticket(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    """The contract's flat form of one ticket: one row per turn (turn_index from 0), ticket fields repeated."""
    metadata = json.dumps(ticket["metadata"], ensure_ascii=False, separators=(",", ":"))
    return [
        {
            "ticket_id": ticket["ticket_id"],
            "turn_index": index,
            "speaker": turn["speaker"],
            "text": turn["text"],
            "ts": turn["ts"],
            "agent_id": turn.get("agent_id"),
            "channel": ticket["channel"],
            "language": ticket["language"],
            "team": ticket["team"],
            "customer_id": ticket["customer_id"],
            "created_at": ticket["created_at"],
            "csat": ticket.get("csat"),
            "metadata": metadata,
        }
        for index, turn in enumerate(ticket["turns"])
    ]


@dataclass
class WriteStats:
    tickets: int = 0
    turns: int = 0
    seconds: float = 0.0


def write_tickets(
    tickets: Iterable[dict[str, Any]], out: str | Path, fmt: str, chunk_tickets: int = 5_000
) -> WriteStats:
    """Stream tickets to `out` as JSON Lines or the flat CSV/Parquet form; memory stays bounded whatever the count
    (JSON Lines and CSV are written ticket by ticket, Parquet one row group per `chunk_tickets` tickets)."""
    if fmt not in FORMATS:
        raise QAError("Q905", format=fmt, path=out)
    path = Path(out)
    stats = WriteStats()
    began = time.perf_counter()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = {"jsonl": _write_jsonl, "csv": _write_csv, "parquet": _write_parquet}[fmt]
        writer(_counted(tickets, stats), path, chunk_tickets)
    except OSError as exc:
        raise QAError("Q906", path=path, detail=exc.strerror or str(exc)) from exc
    stats.seconds = time.perf_counter() - began
    return stats


def _counted(tickets: Iterable[dict[str, Any]], stats: WriteStats) -> Iterator[dict[str, Any]]:
    for ticket in tickets:
        stats.tickets += 1
        stats.turns += len(ticket["turns"])
        yield ticket


def _chunks(tickets: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for ticket in tickets:
        chunk.append(ticket)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_jsonl(tickets: Iterable[dict[str, Any]], path: Path, chunk_tickets: int) -> None:
    # Line by line: the file object's buffer batches the writes, and only one ticket is held at a time.
    with path.open("w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        for ticket in tickets:
            out.write(json.dumps(ticket, ensure_ascii=False, separators=(",", ":")) + "\n")


def _write_csv(tickets: Iterable[dict[str, Any]], path: Path, chunk_tickets: int) -> None:
    with path.open("w", encoding="utf-8", newline="", buffering=1 << 20) as out:
        writer = csv.DictWriter(out, fieldnames=FLAT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for ticket in tickets:
            writer.writerows(flatten_ticket(ticket))


def _write_parquet(tickets: Iterable[dict[str, Any]], path: Path, chunk_tickets: int) -> None:
    import pyarrow as pa  # only the Parquet path needs it
    import pyarrow.parquet as pq

    # Timestamps stay ISO 8601 text, exactly as in JSON Lines: the contract's flat columns mean the same thing.
    schema = pa.schema(
        [(name, pa.int64() if name in ("turn_index", "csat") else pa.string()) for name in FLAT_COLUMNS]
    )
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for chunk in _chunks(tickets, chunk_tickets):
            rows = [row for ticket in chunk for row in flatten_ticket(ticket)]
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
        # A run with no tickets still leaves a readable file with the columns.


def main(argv: list[str] | None = None) -> int:
    """`python bench/generate.py --tickets N --seed S --format jsonl|csv|parquet --out PATH`."""
    parser = argparse.ArgumentParser(
        prog="bench/generate.py", description="Write seeded, realistic support tickets for benchmarks."
    )
    parser.add_argument("--tickets", type=int, required=True, help="how many tickets")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--format", choices=FORMATS, help="output format (default: from --out's suffix, else jsonl)"
    )
    parser.add_argument("--out", required=True, help="output file")
    parser.add_argument(
        "--start", help="arrival of the first ticket, ISO 8601 with zone (default 2026-11-02T00:00Z)"
    )
    parser.add_argument(
        "--chunk", type=int, default=5_000, help="tickets per Parquet row group (bounds memory)"
    )
    args = parser.parse_args(argv)
    fmt = args.format or {".csv": "csv", ".parquet": "parquet"}.get(Path(args.out).suffix.lower(), "jsonl")
    try:
        start = _parse_start(args.start) if args.start else None
        if args.chunk < 1:
            raise QAError("Q901", value=f"--chunk {args.chunk}")
        stats = write_tickets(generate_tickets(args.tickets, args.seed, start), args.out, fmt, args.chunk)
    except QAError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(
        f"wrote {stats.tickets} tickets, {stats.turns} turns to {args.out} ({fmt}, "
        f"{Path(args.out).stat().st_size / 1e6:.1f} MB) in {stats.seconds:.1f} s",
        file=sys.stderr,
    )
    return 0


def _parse_start(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise QAError("Q904", value=text) from exc
    if value.tzinfo is None:
        raise QAError("Q904", value=text)
    return value.astimezone(UTC)


if __name__ == "__main__":
    sys.exit(main())
