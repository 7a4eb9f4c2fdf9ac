"""The edition file: what is published, from which framework, with which methods (frozen models)."""

from __future__ import annotations

import copy
import difflib
import logging
import math
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from reportgen.analysis.findings import FindingsSpec
from reportgen.analysis.stages import StagesSpec
from reportgen.errors import InputError, MethodError, Problem, UsageError
from reportgen.index.build import Build, parse_override
from reportgen.index.steps import (
    AggregateSpec,
    DenominateSpec,
    ImputeSpec,
    NormaliseSpec,
    ScreenSpec,
    TreatSpec,
)
from reportgen.index.uncertainty import UncertaintySpec

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"  # same rule as city and indicator ids (reportgen.data.load)
DIMENSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _weight() -> Any:
    return Field(default=1.0, ge=0, allow_inf_nan=False)


class DimensionSpec(Frozen):
    id: str = Field(pattern=DIMENSION_PATTERN)  # "TDP" or "ECC"
    name: str
    description: str = ""
    weight: float = _weight()


class PillarSpec(Frozen):
    id: str = Field(pattern=ID_PATTERN)
    dimension: str
    name: str
    description: str = ""
    weight: float = _weight()


class FrameworkSpec(Frozen):
    """Levels above the indicators; indicator weights live in indicators.csv."""

    index_name: str = "Overall"
    dimensions: tuple[DimensionSpec, ...] = Field(min_length=1)
    pillars: tuple[PillarSpec, ...] = Field(min_length=1)


class EditionTranslation(Frozen):
    """The edition's own texts in another language: its titles and the names of its levels,
    stages and peer groups by id, so every printed label stays data (reportgen/locale/README)."""

    title: str
    subtitle: str = ""
    publisher: str = ""
    author: str = ""
    keywords: tuple[str, ...] = ()
    names: dict[str, str] = Field(default_factory=dict)
    descriptions: dict[str, str] = Field(default_factory=dict)
    # Other texts of the edition file by their key path, e.g. findings.unmeasured.capital.
    texts: dict[str, str] = Field(default_factory=dict)


class Edition(Frozen):
    """One edition of the report as edition.yaml declares it (validated, frozen)."""

    title: str
    subtitle: str = ""
    year: int = Field(ge=1800, le=2200)
    previous_year: int | None = Field(default=None, ge=1800, le=2200)
    previous_data: Literal["previous_vintage", "calendar"] = Field(
        default="previous_vintage",
        description=(
            "how the previous edition's data is chosen: each city-indicator pair's previous "
            "vintage where it has two (sources publish yearly under their own dates), or the "
            "observations dated up to previous_year"
        ),
    )
    publisher: str
    author: str
    language: str = "en"
    languages: tuple[str, ...] = Field(
        default=("en",), min_length=1, description="languages every publication is printed in"
    )
    translations: dict[str, EditionTranslation] = Field(default_factory=dict)
    keywords: tuple[str, ...] = ()
    spotlight_city: str | None = Field(default=None, pattern=ID_PATTERN)
    max_data_age: int = Field(
        default=10, ge=0, description="oldest observation used, in years before `year`"
    )
    shared_values: Literal["whole", "split", "drop"] = Field(
        default="split",
        description=(
            "values of a multi-city unit (observations.csv shared_with): each city keeps the "
            "whole total, gets a population share of it (an estimate), or is treated as missing"
        ),
    )
    framework: FrameworkSpec
    build: Build
    stages: StagesSpec
    findings: FindingsSpec = FindingsSpec()
    uncertainty: UncertaintySpec = UncertaintySpec()

    @model_validator(mode="after")
    def _translated(self) -> Edition:
        # Every language printed besides the edition's own (and English, the language of the
        # code's messages) needs its names; names for ids the edition lacks are reported.
        missing = [
            t
            for t in self.languages
            if t not in (self.language, "en") and t not in self.translations
        ]
        if missing:
            raise ValueError(f"languages {', '.join(missing)} have no entry under translations")
        known = {self.framework.index_name, *(d.id for d in self.framework.dimensions)}
        known |= {p.id for p in self.framework.pillars} | {s.id for s in self.stages.stages}
        known |= set(self.findings.named)
        for tag, texts in self.translations.items():
            unknown = sorted(set(texts.names) - known)
            if unknown:
                # A warning, not an error: an edition that renames its levels still builds; its
                # translation then prints the source names for the new ids until updated.
                logging.getLogger("reportgen").warning(
                    "%s: translations.%s.names has unknown ids: %s",
                    self.source,
                    tag,
                    ", ".join(unknown),
                )
        return self

    # Where the edition came from, so later checks can point at a line (not part of the content).
    _source: str | None = PrivateAttr(default=None)
    _lines: dict[str, int] = PrivateAttr(default_factory=dict)

    @property
    def source(self) -> str:
        """The file this edition was read from, as problems name it."""
        return self._source or "edition.yaml"

    def line_of(self, path: str) -> int | None:
        """Line of a dotted key path (``framework.pillars[2]``) in the file, when read from one."""
        return self._lines.get(path)

    def parts(self) -> EditionParts:
        """What the cross-file checks read of this edition."""
        return EditionParts(
            source=self.source,
            framework=self.framework,
            year=self.year,
            previous_year=self.previous_year,
            max_data_age=self.max_data_age,
            spotlight_city=self.spotlight_city,
            lines=self._lines,
        )


@dataclass(frozen=True)
class EditionParts:
    """What the cross-file checks need of an edition, and where it came from. Taken from a valid
    Edition, or salvaged piece by piece from a file that failed validation (a piece that is
    itself invalid is None and the checks needing it are skipped), so one run reports all."""

    source: str
    framework: FrameworkSpec | None
    year: int | None
    previous_year: int | None = None
    max_data_age: int | None = 10
    spotlight_city: str | None = None
    lines: Mapping[str, int] = field(default_factory=dict)

    def line_of(self, path: str) -> int | None:
        return self.lines.get(path)


def load_edition(path: Path) -> Edition:
    """Read and validate an edition file; raises InputError listing every problem found."""
    edition, _, problems = read_edition_parts(path)
    if problems or edition is None:
        raise InputError(problems)
    return edition


def read_edition(path: Path) -> tuple[Edition | None, list[Problem]]:
    """Like load_edition, but returns the problems (the edition when its schema is valid)."""
    edition, _, problems = read_edition_parts(path)
    return edition, problems


def read_edition_parts(path: Path) -> tuple[Edition | None, EditionParts | None, list[Problem]]:
    """The edition (None unless its schema is valid), the parts the cross-file checks can use
    (None when the file can't be parsed), and every problem found in the file."""
    path = Path(path)
    file = str(path)
    if not path.is_file():
        hint = (
            f"edition file not found (looked for {path.resolve()}; by default it is edition.yaml "
            "beside the data folder or workbook: pass another with --edition PATH)"
        )
        return None, None, [Problem(file, hint, expected="a YAML edition file")]
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        return None, None, [Problem(file, "not valid UTF-8", row=line, expected="UTF-8 text")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        content = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = err.problem or err.context or "invalid YAML"
        row = mark.line + 1 if mark else None
        return None, None, [Problem(file, f"YAML syntax error{where}: {reason}", row=row)]
    except yaml.YAMLError as err:
        return None, None, [Problem(file, f"YAML error: {err}")]
    if root is None or not isinstance(content, dict):
        message = "the edition file is empty" if root is None else "the file is not a mapping"
        expected = "keys such as title, year, publisher, framework, build, stages"
        return None, None, [Problem(file, message, expected=expected)]
    lines = _key_lines(root)
    problems = _duplicate_keys(file, root)
    try:
        edition = Edition.model_validate(content)
    except ValidationError as err:
        errors = err.errors()
        # A misspelt key is reported once, as unknown with a suggestion, not also as missing.
        renames = {
            tuple(e["loc"]): close[0]
            for e in errors
            if e["type"] == "extra_forbidden" and (close := _close_fields(tuple(e["loc"])))
        }
        suggested = {(loc[:-1], new) for loc, new in renames.items()}
        problems += [
            _problem(file, root, e)
            for e in errors
            if not (e["type"] == "missing" and (tuple(e["loc"][:-1]), e["loc"][-1]) in suggested)
        ]
        parts = _salvage(_without_unknown_keys(content, errors, renames), file, lines)
        return None, parts, problems + edition_problems(parts)
    edition._source = file
    edition._lines = lines
    parts = edition.parts()
    return edition, parts, problems + edition_problems(parts)


def _without_unknown_keys(
    content: dict[str, Any], errors: Sequence[Any], renames: dict[tuple[Any, ...], str]
) -> dict[str, Any]:
    """A copy of the content with its unknown keys dropped, or renamed to the missing key they
    resemble."""
    repaired = copy.deepcopy(content)
    for error in errors:
        if error["type"] != "extra_forbidden":
            continue
        loc = tuple(error["loc"])
        node: Any = repaired
        for part in loc[:-1]:  # parts with no node in the file (Build.steps, union tags) skipped
            if (isinstance(node, dict) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and part < len(node)
            ):
                node = node[part]
        if isinstance(node, dict) and loc[-1] in node:
            value = node.pop(loc[-1])
            if loc in renames and renames[loc] not in node:
                node[renames[loc]] = value
    return repaired


def _salvage(content: dict[str, Any], file: str, lines: Mapping[str, int]) -> EditionParts:
    """The parts of an invalid edition that are valid on their own."""
    try:
        edition = Edition.model_validate(content)
    except ValidationError:
        pass
    else:
        edition._source, edition._lines = file, dict(lines)
        return edition.parts()

    def piece(name: str) -> Any:
        info = Edition.model_fields[name]
        if name not in content:
            return None if info.is_required() else info.default
        kind: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        try:
            return TypeAdapter(kind).validate_python(content[name])
        except ValidationError:
            return None

    return EditionParts(
        source=file,
        framework=piece("framework"),
        year=piece("year"),
        previous_year=piece("previous_year"),
        max_data_age=piece("max_data_age"),
        spotlight_city=piece("spotlight_city"),
        lines=dict(lines),
    )


def edition_problems(parts: EditionParts) -> list[Problem]:
    """Checks within the edition's framework: ids, dimension references, empty groups, weights."""
    problems: list[Problem] = []

    def at(path: str, message: str, **kw: str) -> Problem:
        return Problem(parts.source, message, row=parts.line_of(path), column=path, **kw)

    if (
        parts.previous_year is not None
        and parts.year is not None
        and parts.previous_year >= parts.year
    ):
        problems.append(
            at(
                "previous_year",
                "previous_year is not before year",
                found=str(parts.previous_year),
                expected=f"a year before {parts.year}",
            )
        )
    framework = parts.framework
    if framework is None:
        return problems
    dimension_ids = [d.id for d in framework.dimensions]
    pillar_ids = [p.id for p in framework.pillars]
    for kind, ids in (("dimensions", dimension_ids), ("pillars", pillar_ids)):
        for i, id_ in enumerate(ids):
            if id_ in ids[:i]:
                problems.append(
                    at(f"framework.{kind}[{i}].id", f"{kind[:-1]} id declared twice", found=id_)
                )
    for i, pillar in enumerate(framework.pillars):
        if pillar.dimension not in dimension_ids:
            problems.append(
                at(
                    f"framework.pillars[{i}].dimension",
                    f"pillar {pillar.id!r} belongs to an undeclared dimension"
                    + did_you_mean(pillar.dimension, dimension_ids),
                    found=pillar.dimension,
                    expected="one of " + ", ".join(dimension_ids),
                )
            )
    for i, dimension in enumerate(framework.dimensions):
        pillars = [p for p in framework.pillars if p.dimension == dimension.id]
        if not pillars:
            problems.append(
                at(
                    f"framework.dimensions[{i}]",
                    f"dimension {dimension.id!r} has no pillars",
                    expected="at least one pillar with dimension: " + dimension.id,
                )
            )
        elif all(p.weight == 0 for p in pillars):
            problems.append(
                at(
                    f"framework.dimensions[{i}]",
                    f"the pillar weights of dimension {dimension.id!r} are all zero",
                    expected="at least one positive pillar weight",
                )
            )
    if framework.dimensions and all(d.weight == 0 for d in framework.dimensions):
        problems.append(
            at(
                "framework.dimensions",
                "the dimension weights are all zero",
                expected="at least one positive weight",
            )
        )
    return problems


def closest(word: str, choices: Sequence[str]) -> list[str]:
    """The choice nearest to word (difflib, or the same word in other case), as a 0/1-item list."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return close


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """'; did you mean 'x'?' when a choice is close to word, else ''."""
    close = closest(word, choices)
    return f"; did you mean {close[0]!r}?" if close else ""


def _close_fields(loc: tuple[str | int, ...]) -> list[str]:
    """For an unknown key at loc: the nearest field name of the model that holds it."""
    model = _model_at(loc[:-1])
    return closest(str(loc[-1]), list(model.model_fields)) if model is not None and loc else []


# --------------------------------------------------------------------------- YAML locations


def _format_path(parts: Sequence[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _key_lines(root: yaml.Node) -> dict[str, int]:
    """Line (1-based) of every key path in the document, e.g. ``framework.pillars[1].weight``."""
    lines: dict[str, int] = {}
    visited: set[int] = set()  # an aliased node is walked once (no "billion laughs" blow-up)

    def walk(node: yaml.Node, parts: list[str | int]) -> None:
        if id(node) in visited:
            return
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    here = [*parts, str(key.value)]
                    lines.setdefault(_format_path(here), key.start_mark.line + 1)
                    walk(value, here)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                here = [*parts, i]
                lines.setdefault(_format_path(here), item.start_mark.line + 1)
                walk(item, here)

    walk(root, [])
    return lines


def _duplicate_keys(file: str, root: yaml.Node) -> list[Problem]:
    """YAML silently keeps the last of two equal keys; a hand-edited file usually means neither."""
    problems: list[Problem] = []
    visited: set[int] = set()

    def walk(node: yaml.Node, parts: list[str | int]) -> None:
        if id(node) in visited:
            return
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                name, line = str(key.value), key.start_mark.line + 1
                if name in seen:
                    problems.append(
                        Problem(
                            file,
                            f"key {name!r} appears twice (first at line {seen[name]})",
                            row=line,
                            column=_format_path([*parts, name]),
                        )
                    )
                seen.setdefault(name, line)
                walk(value, [*parts, name])
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, [*parts, i])

    walk(root, [])
    return problems


def _locate(root: yaml.Node, loc: Sequence[str | int]) -> tuple[list[str | int], int | None]:
    """Follow a pydantic error location through the YAML nodes: the path as the file spells it
    and the line of the deepest key found. Location parts the file has no node for (a wrapper
    such as Build.steps, or a union tag) are skipped, except a missing last key."""
    node: yaml.Node | None = root
    parts: list[str | int] = []
    line: int | None = None
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and str(key.value) == str(part):
                    parts.append(part)
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                if last:
                    parts.append(part)
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            node = node.value[part]
            parts.append(part)
            line = node.start_mark.line + 1
        elif last and not isinstance(node, yaml.SequenceNode):
            parts.append(part)
    return parts, line


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at a location, when it can be followed."""
    annotation: Any = Edition
    for part in loc:
        annotation = _unwrap(annotation)
        if _is_model(annotation):
            fields = annotation.model_fields
            if isinstance(part, str) and part in fields:
                annotation = fields[part].annotation
                continue
            return None
        if get_origin(annotation) in (tuple, list) and isinstance(part, int):
            annotation = get_args(annotation)[0]
            continue
        if get_origin(annotation) in (Union, types.UnionType) and isinstance(part, str):
            # a discriminated union: pydantic puts the tag (e.g. "normalise") in the location
            tagged = [m for m in get_args(annotation) if _is_model(m) and _has_tag(m, part)]
            if len(tagged) == 1:
                annotation = tagged[0]
                continue
        return None
    annotation = _unwrap(annotation)
    return annotation if _is_model(annotation) else None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _has_tag(model: type[BaseModel], tag: str) -> bool:
    return any(
        get_origin(f.annotation) is Literal and tag in get_args(f.annotation)
        for f in model.model_fields.values()
    )


def _unwrap(annotation: Any) -> Any:
    """Annotated[X, ...] -> X; `X | None` -> X (when exactly one non-None type remains)."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


_EXPECTED = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "string_type": "text",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "dict_type": "a mapping of keys (key: value lines)",
    "model_type": "a mapping of keys (key: value lines)",
    "model_attributes_type": "a mapping of keys (key: value lines)",
    "tuple_type": "a list (lines starting with '- ')",
    "list_type": "a list (lines starting with '- ')",
}


def _problem(file: str, root: yaml.Node, error: Any) -> Problem:
    """Translate one pydantic error into a Problem naming the key path and its line."""
    loc: tuple[str | int, ...] = tuple(error["loc"])
    parts, line = _locate(root, loc)
    path = _format_path(parts) or None
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    found = _show(value)
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        model = _model_at(loc[:-1])
        allowed = list(model.model_fields) if model is not None else []
        return Problem(
            file,
            f"unknown key {key!r}" + did_you_mean(key, allowed),
            row=line,
            column=path,
            expected=("one of " + ", ".join(allowed)) if allowed else None,
        )
    if kind == "missing":
        return Problem(
            file, f"missing key {str(loc[-1])!r}" if loc else "missing key", row=line, column=path
        )
    message: str = str(error["msg"]).removeprefix("Value error, ")
    expected = _EXPECTED.get(kind)
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        message = "unknown value" + did_you_mean(str(value), choices)
        expected = "one of " + ", ".join(repr(c) for c in choices) if choices else None
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {
            "greater_than_equal": ">=",
            "greater_than": ">",
            "less_than_equal": "<=",
            "less_than": "<",
        }[kind]
        bound = next(iter(ctx.values()), "")
        shown = f"{bound:g}" if isinstance(bound, int | float) else str(bound)
        message, expected = "value out of range", f"a number {sign} {shown}"
    elif kind == "string_pattern_mismatch":
        message = "invalid id"
        expected = f"lower-case letters, digits, '_' or '-' ({ctx.get('pattern', '')})"
    elif kind == "too_short":
        message, expected = "empty list", "at least one item"
    return Problem(file, message, row=line, column=path, found=found, expected=expected)


def _show(value: Any) -> str | None:
    """A scalar input as the user wrote it; None for mappings and lists (the path locates them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str | int | float):
        return str(value)
    return None


# --------------------------------------------------------------------------- --set overrides


class OverrideError(UsageError):
    """A --set the user typed cannot apply: a usage error (the CLI exits 2), in the user's words."""


# Step parameters whose values are city ids: checked against the data, with a suggestion.
CITY_PARAMETERS = ("screen.force_include", "screen.force_exclude")

_STEP_SPECS: dict[str, type[BaseModel]] = {
    spec.model_fields["step"].default: spec
    for spec in (DenominateSpec, ImputeSpec, ScreenSpec, TreatSpec, NormaliseSpec, AggregateSpec)
}
_INTERNAL_PATH = re.compile(r"steps\.\d+\.(\w+)\.")
_UNKNOWN_METHOD = re.compile(r"unknown \w+ method '([^']*)'; valid: (.*)$")


def override_build(
    build: Build, overrides: Sequence[str], city_ids: Sequence[str] | None = None
) -> Build:
    """The build with each ``STEP.PARAM=VALUE`` applied, checked as the user typed it.

    A list parameter takes a single value as a one-item list (``screen.force_include=x``); city
    ids are checked against ``city_ids`` when given. Raises OverrideError naming the --set, its
    key as typed (never the engine's internal path) and, where one is close, a suggestion.
    """
    for text in overrides:
        try:
            key, value = parse_override(text)
        except MethodError as err:
            raise OverrideError(_user_words(text, str(err))) from None
        value = _as_list_if_expected(key, value)
        if city_ids is not None and key in CITY_PARAMETERS:
            _check_cities(text, value, city_ids)
        try:
            build = build.with_overrides({key: value})
        except MethodError as err:
            raise OverrideError(_user_words(text, str(err))) from None
    return build


def _user_words(text: str, message: str) -> str:
    """An engine message about one override, rephrased with the user's key and a suggestion."""
    key = text.partition("=")[0].strip()
    message = re.sub(r"^(invalid override: |override '[^']*':? ?)", "", message)
    message = _INTERNAL_PATH.sub(r"\1.", message).removeprefix(f"{key}: ")
    unknown = _UNKNOWN_METHOD.search(message)
    if unknown and "did you mean" not in message:
        choices = unknown.group(2).split(", ")
        hint = did_you_mean(unknown.group(1), choices)
        message = (
            message[: unknown.start()]
            + f"unknown {key.split('.')[0]} method {unknown.group(1)!r}{hint} "
            + f"(valid: {', '.join(choices)})"
        )
    return f"--set {text}: {message}"


def _field(key: str) -> Any:
    """The pydantic field a ``STEP.PARAM`` key sets, or None (the engine reports unknown keys)."""
    step, _, param = key.partition(".")
    spec = _STEP_SPECS.get(step)
    if spec is None or "." in param:
        return None
    return next(
        (f for name, f in spec.model_fields.items() if param in (name, f.alias)),
        None,
    )


def _as_list_if_expected(key: str, value: Any) -> Any:
    """``x`` -> ``[x]`` for a parameter that takes a list of any length (ids, exclusions)."""
    info = _field(key)
    if info is None or not isinstance(value, str | int | float) or isinstance(value, bool):
        return value
    annotation = _unwrap(info.annotation)
    args = get_args(annotation)
    variable_tuple = get_origin(annotation) is tuple and len(args) == 2 and args[1] is Ellipsis
    return [value] if variable_tuple or get_origin(annotation) is list else value


def _check_cities(text: str, value: Any, city_ids: Sequence[str]) -> None:
    names = value if isinstance(value, list | tuple) else [value]
    unknown = [str(n) for n in names if str(n) not in city_ids]
    if unknown:
        raise OverrideError(
            f"--set {text}: unknown city "
            + ", ".join(f"{u!r}{did_you_mean(u, city_ids)}" for u in unknown)
            + " (city ids are the city_id column of cities.csv)"
        )


def what_if_changes(official: Build, build: Build) -> tuple[str, ...]:
    """``STEP.PARAM=VALUE`` for every parameter where the build departs from the edition's:
    empty for the official build (an override that repeats the edition changes nothing)."""
    before = {s["step"]: s for s in official.to_list()}
    changes = []
    for step in build.to_list():
        base = before.get(step["step"], {})
        for param, value in step.items():
            if param != "step" and base.get(param) != value:
                changes.append(f"{step['step']}.{param}={_flow(value)}")
    return tuple(changes)


def _flow(value: Any) -> str:
    """A parameter value as a user types it after --set (YAML flow style)."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
