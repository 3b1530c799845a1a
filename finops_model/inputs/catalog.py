"""The model price catalog: models, dated list prices, provider discounts.

File format (``assumptions/catalog/models.yaml``)
-------------------------------------------------
Prices are written **in USD per 1 million tokens** (``*_per_mtok``), the way providers list
them, so that the file is readable. Once loaded, a :class:`ModelPrice` holds **USD per token**
(``*_usd_per_token``), the unit every formula of the package uses; display code multiplies by
10⁶ again (ARCHITECTURE §2: "stored per token in USD and shown per million tokens").

.. code-block:: yaml

    catalog_version: "2026-08-01"
    currency: USD
    provider_discounts:            # negotiated discount on list price, per provider
      openai: 0.15                 # a fraction, or {discount: 0.15, note: "EA 2026"}
    models:
      gpt-4o:
        provider: openai
        tier: mid                  # small | mid | frontier | reasoning | embedding | rerank
        context_window: 128000     # [tokens]
        max_output_tokens: 16384   # [tokens]
        modality: text+image
        open_weights: false
        aliases: [openai/gpt-4o]
        prices:                    # one entry per price change: price history
          - effective_date: 2024-05-13
            source: "..."          # URL or citation, required
            input_per_mtok: 5.0
            output_per_mtok: 15.0
          - effective_date: 2024-10-02
            source: "..."
            input_per_mtok: 2.5
            output_per_mtok: 10.0
            cache_read_per_mtok: 1.25
            batch_input_per_mtok: 1.25
            batch_output_per_mtok: 5.0
            long_context:          # whole request at these rates when input > threshold
              threshold_tokens: 200000
              input_per_mtok: 5.0
              output_per_mtok: 15.0
            # several tiers: a list, e.g. [{threshold_tokens: 32000, …}, {threshold_tokens: 128000, …}];
            # the request is priced at the highest tier whose threshold its prompt exceeds

Optional per entry: ``cache_read_per_mtok``, ``cache_write_per_mtok``, ``reasoning_per_mtok``,
``batch_input_per_mtok``, ``batch_output_per_mtok``, ``long_context`` and, for rerank models
priced per query, ``per_query`` [USD/query]. Missing optional rates follow the conventions of
:mod:`finops_model.pricing` (cache → input rate with a warning, reasoning → output rate, batch →
a discount).

Rules checked on load (each a :class:`~finops_model.errors.CatalogError` naming file, field path,
expected and found): unknown fields (with a did-you-mean), wrong types, negative or non-finite
prices, every price with a ``source`` and an ISO ``effective_date``, no date twice per model,
long-context rates never below the base rates (crossing the threshold must never make a call
cheaper), aliases unique, discounts in [0, 1) for providers that exist in the catalog.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from finops_model.errors import AssumptionError, CatalogError, Problem, did_you_mean
from finops_model.inputs.validation import (
    describe_value,
    problems_from_validation_error,
    rule_error,
)
from finops_model.util import paths, yamlio

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "DEFAULT_BATCH_DISCOUNT",
    "TIERS",
    "check_discount",
    "resolve_rates",
    "Catalog",
    "LongContextPrice",
    "LongContextTier",
    "ModelEntry",
    "ModelPrice",
    "PriceEntry",
    "ProviderDiscount",
    "Tier",
    "catalog_from_data",
    "load_catalog",
    "parse_iso_date",
]

#: Tokens per "mtok" (the unit of prices in the YAML file).
TOKENS_PER_MTOK = 1_000_000

Tier = Literal["small", "mid", "frontier", "reasoning", "embedding", "rerank"]
#: The valid tier labels.
TIERS: tuple[str, ...] = typing.get_args(Tier)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_iso_date(value: Any) -> _dt.date:
    """A date from a `datetime.date` or an ISO text ``YYYY-MM-DD``; ValueError otherwise."""
    if isinstance(value, _dt.datetime):
        raise ValueError(f"expected a date (YYYY-MM-DD), found a date and time {value.isoformat()}")
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date (YYYY-MM-DD), found {describe_value(value)}")


IsoDate = Annotated[_dt.date, BeforeValidator(parse_iso_date)]
#: A price in USD per 1M tokens as written in the file: a finite number ≥ 0.
PerMTok = Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)]
UsdAmount = Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)]
TokenCount = Annotated[int, Field(gt=0, strict=True)]
NonEmptyText = Annotated[str, Field(min_length=1, strict=True)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ------------------------------------------------------------------------------------------
# in-memory prices: USD per token
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LongContextPrice:
    """Rates of a long-context tier [USD/token]; they apply to the whole request when the
    prompt (``input_tokens``) exceeds ``threshold_tokens`` [tokens]. ``None`` = not listed."""

    threshold_tokens: int
    input_usd_per_token: float
    output_usd_per_token: float
    cache_read_usd_per_token: float | None = None
    cache_write_usd_per_token: float | None = None
    reasoning_usd_per_token: float | None = None
    batch_input_usd_per_token: float | None = None
    batch_output_usd_per_token: float | None = None


_RATE_FIELDS = (
    "input",
    "output",
    "cache_read",
    "cache_write",
    "reasoning",
    "batch_input",
    "batch_output",
)


@dataclass(frozen=True)
class ModelPrice:
    """The price of one model on one date, in USD per token, ready for
    :func:`finops_model.pricing.call_cost`.

    Rates are list prices times ``1 - discount`` (the provider's negotiated discount, 0 when
    none was applied). ``None`` means the provider lists no such rate; see
    :mod:`finops_model.pricing` for the fallbacks.

    Attributes
    ----------
    model_id : str
        Catalog id (aliases are resolved to it).
    provider, tier : str
        Provider name and tier label.
    effective_date : datetime.date
        First day this price applies.
    source : str
        Where the price comes from.
    input_usd_per_token, output_usd_per_token : float
        [USD/token].
    cache_read_usd_per_token, cache_write_usd_per_token, reasoning_usd_per_token : float or None
        [USD/token].
    batch_input_usd_per_token, batch_output_usd_per_token : float or None
        Listed batch rates [USD/token].
    long_context : LongContextPrice or None
        The first long-context tier (lowest threshold).
    long_context_tiers : tuple of LongContextPrice
        Every long-context tier, ascending threshold (the request is priced at the highest
        tier whose threshold its prompt exceeds); ``(long_context,)`` when one tier is set.
    per_query_usd : float or None
        Price per query/search for rerank models [USD/query].
    discount : float
        Fraction taken off the list price [-].
    context_window, max_output_tokens : int or None
        [tokens].
    """

    model_id: str
    provider: str
    tier: str
    effective_date: _dt.date
    source: str
    input_usd_per_token: float
    output_usd_per_token: float
    cache_read_usd_per_token: float | None = None
    cache_write_usd_per_token: float | None = None
    reasoning_usd_per_token: float | None = None
    batch_input_usd_per_token: float | None = None
    batch_output_usd_per_token: float | None = None
    long_context: LongContextPrice | None = None
    per_query_usd: float | None = None
    discount: float = 0.0
    long_context_tiers: tuple[LongContextPrice, ...] = ()
    context_window: int | None = None
    max_output_tokens: int | None = None
    note: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        tiers = tuple(sorted(self.long_context_tiers, key=lambda t: t.threshold_tokens))
        if not tiers and self.long_context is not None:
            tiers = (self.long_context,)
        object.__setattr__(self, "long_context_tiers", tiers)
        object.__setattr__(self, "long_context", tiers[0] if tiers else None)
        rates = {f"{n}_usd_per_token": getattr(self, f"{n}_usd_per_token") for n in _RATE_FIELDS}
        for i, tier in enumerate(tiers):
            where = "long_context" if len(tiers) == 1 else f"long_context.{i}"
            rates.update({f"{where}.{n}_usd_per_token": getattr(tier, f"{n}_usd_per_token") for n in _RATE_FIELDS})
        rates["per_query_usd"] = self.per_query_usd
        for name, value in rates.items():
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name}: expected a finite number ≥ 0, found {value!r}")

    def with_discount(self, discount: float) -> ModelPrice:
        """A copy with every rate multiplied by ``1 - discount`` (on top of any discount
        already applied).

        Parameters
        ----------
        discount : float
            Fraction in [0, 1) [-].
        """
        if not (0.0 <= discount < 1.0) or math.isnan(discount):
            raise ValueError(f"discount: expected a fraction in [0, 1), found {discount!r}")
        keep = 1.0 - discount

        def scale(x: float | None) -> float | None:
            return None if x is None else x * keep

        tiers = tuple(
            replace(lc, **{f"{name}_usd_per_token": scale(getattr(lc, f"{name}_usd_per_token")) for name in _RATE_FIELDS})
            for lc in self.long_context_tiers
        )
        return replace(
            self,
            long_context=tiers[0] if tiers else None,
            long_context_tiers=tiers,
            per_query_usd=scale(self.per_query_usd),
            discount=1.0 - (1.0 - self.discount) * keep,
            **{
                f"{name}_usd_per_token": scale(getattr(self, f"{name}_usd_per_token"))
                for name in _RATE_FIELDS
            },
        )

    def per_mtok(self) -> dict[str, float | None]:
        """The base rates in USD per 1M tokens, for display [USD/1M tokens]."""
        return {name: _per_mtok(getattr(self, f"{name}_usd_per_token")) for name in _RATE_FIELDS}


def _per_token(x: float | None) -> float | None:
    return None if x is None else x / TOKENS_PER_MTOK


def _per_mtok(x: float | None) -> float | None:
    return None if x is None else float(f"{x * TOKENS_PER_MTOK:.12g}")


# ------------------------------------------------------------------------------------------
# file schema: USD per 1M tokens
# ------------------------------------------------------------------------------------------


class LongContextTier(_Frozen):
    """Long-context tier in the file [USD/1M tokens]."""

    threshold_tokens: TokenCount
    input_per_mtok: PerMTok
    output_per_mtok: PerMTok
    cache_read_per_mtok: PerMTok | None = None
    cache_write_per_mtok: PerMTok | None = None
    reasoning_per_mtok: PerMTok | None = None
    batch_input_per_mtok: PerMTok | None = None
    batch_output_per_mtok: PerMTok | None = None


class PriceEntry(_Frozen):
    """One dated list price of a model in the file [USD/1M tokens]."""

    effective_date: IsoDate
    source: NonEmptyText
    input_per_mtok: PerMTok
    output_per_mtok: PerMTok
    cache_read_per_mtok: PerMTok | None = None
    cache_write_per_mtok: PerMTok | None = None
    reasoning_per_mtok: PerMTok | None = None
    batch_input_per_mtok: PerMTok | None = None
    batch_output_per_mtok: PerMTok | None = None
    long_context: LongContextTier | list[LongContextTier] | None = None
    per_query: UsdAmount | None = None
    note: str | None = None

    def long_context_tiers(self) -> list[LongContextTier]:
        """Every long-context tier of the entry, ascending threshold (one tier or a list)."""
        lc = self.long_context
        tiers = [] if lc is None else list(lc) if isinstance(lc, list) else [lc]
        return sorted(tiers, key=lambda t: t.threshold_tokens)

    @field_validator("source")
    @classmethod
    def _source_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("expected a URL or citation, found blank text")
        return v

    def to_price(
        self,
        model_id: str,
        provider: str = "",
        tier: str = "",
        context_window: int | None = None,
        max_output_tokens: int | None = None,
    ) -> ModelPrice:
        """This entry as a :class:`ModelPrice` [USD/token], without discount."""
        tiers = tuple(
            LongContextPrice(
                threshold_tokens=lc.threshold_tokens,
                **{f"{name}_usd_per_token": _per_token(getattr(lc, f"{name}_per_mtok")) for name in _RATE_FIELDS},
            )
            for lc in self.long_context_tiers()
        )
        long_price = tiers[0] if tiers else None
        return ModelPrice(
            long_context_tiers=tiers,
            model_id=model_id,
            provider=provider,
            tier=tier,
            effective_date=self.effective_date,
            source=self.source,
            long_context=long_price,
            per_query_usd=self.per_query,
            context_window=context_window,
            max_output_tokens=max_output_tokens,
            note=self.note,
            **{
                f"{name}_usd_per_token": _per_token(getattr(self, f"{name}_per_mtok"))
                for name in _RATE_FIELDS
            },
        )

    @model_validator(mode="after")
    def _long_context_never_cheaper(self) -> PriceEntry:
        tiers = self.long_context_tiers()
        if not tiers:
            return self
        thresholds = [t.threshold_tokens for t in tiers]
        if len(set(thresholds)) < len(thresholds):
            raise rule_error("long_context", f"expected each threshold_tokens once, found {thresholds}")
        price = self.to_price("?")
        for level in range(1, len(tiers) + 1):
            self._tier_never_cheaper(price, level, len(tiers), resolve_rates)
        return self

    def _tier_never_cheaper(self, price: ModelPrice, level: int, count: int, resolve_rates: Any) -> None:
        """Tier ``level`` (1-based) is never cheaper than the level below it."""
        where = "long_context" if count == 1 else f"long_context.{level - 1}"
        below = "the base rate" if level == 1 else f"the rate of tier {level - 2}"
        labels = {
            "input": "input_per_mtok",
            "cache_read": "cache_read_per_mtok",
            "cache_write": "cache_write_per_mtok",
            "output": "output_per_mtok",
            "reasoning": "reasoning_per_mtok",
        }
        for batch in (False, True):
            base, _ = resolve_rates(price, long_context=level - 1, batch=batch)
            tier, _ = resolve_rates(price, long_context=level, batch=batch)
            for component, name in labels.items():
                if tier[component] < base[component] * (1 - 1e-12):
                    if batch and component in ("input", "output"):
                        name = "batch_" + name
                    kind = "batch " if batch else ""
                    raise rule_error(
                        f"{where}.{name}",
                        f"expected a {kind}{component.replace('_', ' ')} rate ≥ {below} "
                        f"({_per_mtok(base[component]):g} USD/1M tokens), found "
                        f"{_per_mtok(tier[component]):g}: crossing the long-context threshold "
                        "must never make a call cheaper",
                    )


class ModelEntry(_Frozen):
    """One model of the catalog."""

    provider: NonEmptyText
    tier: Tier
    context_window: TokenCount | None = None
    max_output_tokens: TokenCount | None = None
    modality: NonEmptyText = "text"
    open_weights: StrictBool = False
    aliases: list[NonEmptyText] = Field(default_factory=list)
    description: str | None = None
    prices: list[PriceEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _dates_unique(self) -> ModelEntry:
        first: dict[_dt.date, int] = {}
        for i, entry in enumerate(self.prices):
            if entry.effective_date in first:
                earlier = first[entry.effective_date]
                raise rule_error(
                    f"prices.{i}.effective_date",
                    "expected each effective date once per model, found "
                    f"{entry.effective_date.isoformat()} again (first at prices.{earlier})",
                )
            first[entry.effective_date] = i
        return self

    def sorted_prices(self) -> list[PriceEntry]:
        """Price entries, oldest first."""
        return sorted(self.prices, key=lambda e: e.effective_date)


def _discount_shorthand(value: Any) -> Any:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {
            k: ({"discount": v} if isinstance(v, int | float) and not isinstance(v, bool) else v)
            for k, v in value.items()
        }
    return value


class ProviderDiscount(_Frozen):
    """A negotiated discount on a provider's list prices."""

    discount: Annotated[float, Field(ge=0, lt=1, strict=True, allow_inf_nan=False)]
    note: str | None = None


def _version_text(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


class Catalog(_Frozen):
    """The validated price catalog, with lookups by model id, alias and date.

    Build it with :func:`load_catalog`.
    """

    catalog_version: Annotated[NonEmptyText, BeforeValidator(_version_text)]
    currency: Literal["USD"]
    description: str | None = None
    provider_discounts: Annotated[
        dict[str, ProviderDiscount], BeforeValidator(_discount_shorthand)
    ] = Field(default_factory=dict)
    models: dict[str, ModelEntry] = Field(min_length=1)

    _file: str = PrivateAttr(default="")
    _index: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _aliases_and_discounts(self) -> Catalog:
        owner: dict[str, str] = {mid: mid for mid in self.models}
        for mid, entry in self.models.items():
            for i, alias in enumerate(entry.aliases):
                if alias in owner and owner[alias] != mid or alias in self.models:
                    other = owner.get(alias, alias)
                    raise rule_error(
                        f"models.{mid}.aliases.{i}",
                        f"expected an alias used once in the catalog, found {alias!r}, "
                        f"which already names {other!r}",
                    )
                owner[alias] = mid
        providers = sorted({e.provider for e in self.models.values()})
        for name in self.provider_discounts:
            if name not in providers:
                raise rule_error(
                    f"provider_discounts.{name}",
                    f"expected a provider of a model in this catalog, found {name!r}"
                    f"{did_you_mean(name, providers)}",
                )
        return self

    def model_post_init(self, __context: Any) -> None:
        index: dict[str, str] = {}
        for mid, entry in self.models.items():
            index[mid] = mid
            for alias in entry.aliases:
                index[alias] = mid
        self._index = index

    # -- lookups -----------------------------------------------------------------------------

    @property
    def file(self) -> str:
        """The file the catalog was read from ("" when built in memory)."""
        return self._file

    @property
    def model_ids(self) -> list[str]:
        """Model ids, in file order."""
        return list(self.models)

    @property
    def providers(self) -> list[str]:
        """Providers of the catalog's models, sorted."""
        return sorted({e.provider for e in self.models.values()})

    def resolve(self, model_id: str) -> str:
        """The catalog id of ``model_id`` (an id or an alias; exact, else case-insensitive).

        Raises
        ------
        CatalogError
            The model is not in the catalog (with a did-you-mean).
        """
        if model_id in self._index:
            return self._index[model_id]
        folded = [k for k in self._index if k.casefold() == str(model_id).casefold()]
        if len({self._index[k] for k in folded}) == 1:
            return self._index[folded[0]]
        hint = did_you_mean(str(model_id), self._index)
        raise CatalogError(
            Problem(
                self._file,
                "models",
                f"expected a model id or alias listed in the catalog, found {model_id!r}{hint}",
            )
        )

    def entry(self, model_id: str) -> ModelEntry:
        """The catalog entry of a model (id or alias)."""
        return self.models[self.resolve(model_id)]

    def tier(self, model_id: str) -> str:
        """Tier label of a model (id or alias)."""
        return self.entry(model_id).tier

    def provider(self, model_id: str) -> str:
        """Provider of a model (id or alias)."""
        return self.entry(model_id).provider

    def discount(self, provider: str) -> float:
        """Negotiated discount of a provider [-] (0 when none is listed)."""
        d = self.provider_discounts.get(provider)
        return 0.0 if d is None else d.discount

    def price(
        self,
        model_id: str,
        on: _dt.date | str | None = None,
        apply_discount: bool = True,
    ) -> ModelPrice:
        """The price of a model on a date [USD/token].

        Parameters
        ----------
        model_id : str
            Catalog id or alias.
        on : datetime.date or ISO date str, optional
            Date of the calls; the latest entry with ``effective_date <= on`` applies. Default:
            today.
        apply_discount : bool
            Apply the provider's negotiated discount (``provider_discounts``).

        Raises
        ------
        CatalogError
            Unknown model (with a did-you-mean), or ``on`` before the model's first price.
        """
        mid = self.resolve(model_id)
        entry = self.models[mid]
        if on is None:
            on = _dt.date.today()
        elif isinstance(on, str):
            try:
                on = parse_iso_date(on)
            except ValueError as exc:
                raise CatalogError(Problem(self._file, "", f"date: {exc}")) from None
        elif isinstance(on, _dt.datetime):
            on = on.date()
        history = entry.sorted_prices()
        applicable = [e for e in history if e.effective_date <= on]
        if not applicable:
            raise CatalogError(
                Problem(
                    self._file,
                    f"models.{mid}.prices",
                    f"expected a date on or after the first price of {mid!r} "
                    f"({history[0].effective_date.isoformat()}), found {on.isoformat()}",
                )
            )
        price = applicable[-1].to_price(
            mid, entry.provider, entry.tier, entry.context_window, entry.max_output_tokens
        )
        if apply_discount:
            d = self.discount(entry.provider)
            if d > 0:
                price = price.with_discount(d)
        return price

    def history(self, model_id: str) -> pd.DataFrame:
        """The price history of a model: one row per dated list price, oldest first.

        Columns: ``effective_date``, ``source``, the rates ``*_per_mtok`` [USD/1M tokens],
        ``long_context_threshold_tokens`` [tokens], ``long_context_*_per_mtok``
        [USD/1M tokens], ``per_query`` [USD/query] and ``note``. List prices (no discount).
        """
        import pandas as pd

        mid = self.resolve(model_id)
        rows = []
        for e in self.models[mid].sorted_prices():
            row: dict[str, Any] = {
                "model_id": mid,
                "effective_date": e.effective_date,
                "source": e.source,
            }
            for name in _RATE_FIELDS:
                row[f"{name}_per_mtok"] = getattr(e, f"{name}_per_mtok")
            tiers = e.long_context_tiers()
            lc = tiers[0] if tiers else None
            row["long_context_threshold_tokens"] = lc.threshold_tokens if lc else None
            for name in _RATE_FIELDS:
                row[f"long_context_{name}_per_mtok"] = (
                    getattr(lc, f"{name}_per_mtok") if lc else None
                )
            row["long_context_tiers"] = len(tiers)
            row["per_query"] = e.per_query
            row["note"] = e.note
            rows.append(row)
        return pd.DataFrame(rows)


def load_catalog(path: str | os.PathLike[str] | None = None) -> Catalog:
    """Read and validate a price catalog.

    Parameters
    ----------
    path : path-like, optional
        The YAML file. Default: ``<project root>/assumptions/catalog/models.yaml``
        (:data:`finops_model.paths.DEFAULT_MODEL_CATALOG`).

    Returns
    -------
    Catalog

    Raises
    ------
    CatalogError
        Missing file, malformed YAML, or any invalid field; the error holds one
        :class:`~finops_model.errors.Problem` per problem found.
    """
    file = Path(path) if path is not None else paths.DEFAULT_MODEL_CATALOG
    try:
        data = yamlio.load(file)
    except AssumptionError as exc:
        raise CatalogError(exc.problems) from None
    return catalog_from_data(data, str(file))


def catalog_from_data(data: Any, file: str = "") -> Catalog:
    """Validate already-parsed catalog data (see :func:`load_catalog`)."""
    if not isinstance(data, dict):
        raise CatalogError(
            Problem(file, "", f"expected a mapping at the top level, found {describe_value(data)}")
        )
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(problems_from_validation_error(exc, file, Catalog)) from None
    catalog._file = file
    return catalog


#: Discount of batch calls when a model lists no batch rates [-].
DEFAULT_BATCH_DISCOUNT = 0.5

def check_discount(batch_discount: float) -> float:
    """The batch discount as a float, checked to be a fraction in [0, 1) [-]."""
    d = float(batch_discount)
    if not (0.0 <= d < 1.0):
        raise ValueError(f"batch_discount: expected a fraction in [0, 1), found {batch_discount!r}")
    return d


def resolve_rates(
    price: ModelPrice,
    *,
    long_context: bool | int = False,
    batch: bool = False,
    batch_discount: float = DEFAULT_BATCH_DISCOUNT,
) -> tuple[dict[str, float], list[str]]:
    """The five per-token rates that apply to one case of a model's price.

    Parameters
    ----------
    price : ModelPrice
        The model's price [USD/token].
    long_context : bool or int
        Use a long-context tier (the caller has checked that the prompt exceeds its threshold):
        ``True`` or 1 the first tier, k the k-th (ascending threshold); 0 / ``False`` the base
        rates. Ignored when the model has no such tier.
    batch : bool
        Batch rates.
    batch_discount : float
        Fraction off list price for batch calls when no batch rates are listed [-].

    Returns
    -------
    rates : dict of str to float
        ``input`` (uncached input), ``cache_read``, ``cache_write``, ``output`` (visible output),
        ``reasoning`` [USD/token].
    fallbacks : list of str
        Components whose price is missing and fell back to the input rate
        (``cache_read``, ``cache_write``).
    """
    d = check_discount(batch_discount)
    tiers = price.long_context_tiers
    level = min(int(long_context), len(tiers))
    tier: Any = tiers[level - 1] if level > 0 else price
    input_rate = tier.input_usd_per_token
    output_rate = tier.output_usd_per_token
    fallbacks: list[str] = []
    cache = {}
    for name in ("cache_read", "cache_write"):
        rate = getattr(tier, f"{name}_usd_per_token")
        if rate is None and tier is not price:
            rate = getattr(price, f"{name}_usd_per_token")
        if rate is None:
            rate = input_rate
            fallbacks.append(name)
        cache[name] = rate
    reasoning = tier.reasoning_usd_per_token
    if reasoning is None:
        reasoning = output_rate
    rates = {
        "input": input_rate,
        "cache_read": cache["cache_read"],
        "cache_write": cache["cache_write"],
        "output": output_rate,
        "reasoning": reasoning,
    }
    if not batch:
        return rates, fallbacks
    # fraction kept in batch: the listed batch/list ratio of the base tier, else 1 - d
    keep_in = 1.0 - d
    if price.batch_input_usd_per_token is not None and price.input_usd_per_token > 0:
        keep_in = price.batch_input_usd_per_token / price.input_usd_per_token
    keep_out = 1.0 - d
    if price.batch_output_usd_per_token is not None and price.output_usd_per_token > 0:
        keep_out = price.batch_output_usd_per_token / price.output_usd_per_token
    listed_in = tier.batch_input_usd_per_token
    listed_out = tier.batch_output_usd_per_token
    return {
        "input": listed_in if listed_in is not None else input_rate * keep_in,
        "cache_read": rates["cache_read"] * keep_in,
        "cache_write": rates["cache_write"] * keep_in,
        "output": listed_out if listed_out is not None else output_rate * keep_out,
        "reasoning": reasoning * keep_out,
    }, fallbacks
