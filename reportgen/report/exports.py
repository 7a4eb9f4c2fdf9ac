"""Tables for analysts: index scores and ranks, findings, audit, as CSV, XLSX or JSON."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl.styles import Font

from reportgen.analysis.findings import findings_frame
from reportgen.errors import OutputError
from reportgen.files import write_bytes_atomic
from reportgen.pipeline import EditionResult

FORMATS = ("csv", "xlsx", "json")


def infer_format(path: Path | None, fmt: str | None, default: str = "csv") -> str:
    """The format to write: --format if given, else the --out file's extension when it names
    one, else ``default``. ValueError when the two disagree (``--format csv --out x.xlsx``)."""
    name = path.name if path is not None else ""
    suffix = Path(name).suffix.lower().lstrip(".")
    named = suffix if suffix in FORMATS else None
    if fmt is not None and named is not None and fmt != named:
        raise ValueError(
            f"--format {fmt} disagrees with the file name {name!r} (an .{named} file); "
            f"drop --format or name the file .{fmt}"
        )
    return fmt or named or default


def _level_table(result: EditionResult, codes: list[str]) -> pd.DataFrame:
    scores, ranks = result.scores, result.ranks
    table = pd.DataFrame(index=scores.index)
    table.index.name = "city_id"
    table["name"] = result.panel.cities["name"].reindex(scores.index)
    for code in codes:
        table[code] = scores[code]
        table[f"{code}_rank"] = ranks[code].astype("Int64")
        summary = result.rank_interval(code)
        if summary is not None:
            for column in result.interval_columns:  # p05, p95 unless the edition says otherwise
                table[f"{code}_rank_{column}"] = summary[column].reindex(scores.index)
    return table


def index_tables(result: EditionResult) -> dict[str, pd.DataFrame]:
    """One table per level: overall and dimensions, pillars, indicators (raw, flags, normalised)."""
    framework = result.index.framework
    top = [framework.top, *framework.codes_at(framework.n_levels - 1)]
    overall = _level_table(result, top)
    overall.insert(1, "stage", result.stages["stage_name"].reindex(overall.index))
    pillars = _level_table(result, list(framework.codes_at(2)))
    panel, index = result.panel, result.index
    raw = panel.values.stack(future_stack=True).rename("value").to_frame()
    raw["year"] = panel.years.stack(future_stack=True)
    raw["source_url"] = panel.sources.stack(future_stack=True)
    imputed = index.imputed_mask.stack(future_stack=True)
    bounded = index.bound_limited_mask.stack(future_stack=True)
    raw["imputed"] = imputed.reindex(raw.index).fillna(False).astype(bool)
    raw["below_list"] = bounded.reindex(raw.index).fillna(False).astype(bool)
    raw["imputed_value"] = index.datasets["imputed"].stack(future_stack=True).reindex(raw.index)
    raw["normalised"] = index.datasets["normalised"].stack(future_stack=True).reindex(raw.index)
    raw = raw.reset_index()
    raw = raw[raw["city_id"].isin(result.scores.index)]
    tables = {
        "overall": overall.reset_index(),
        "pillars": pillars.reset_index(),
        "indicators": raw.reset_index(drop=True),
    }
    return tables | _screened(result)


def screened_table(result: EditionResult) -> pd.DataFrame:
    """The cities the coverage screen left out of the index, with the coverage it judged."""
    columns = ["city_id", "name", "reason", "reported", "scored", "needed", "dat_thresh"]
    return pd.DataFrame(
        [dataclasses.asdict(s) for s in result.screened_out], columns=pd.Index(columns)
    )


def _screened(result: EditionResult) -> dict[str, pd.DataFrame]:
    # A table only when the screen removed someone: a reader of the export sees who and why.
    return {"screened_out": screened_table(result)} if result.screened_out else {}


def findings_table(result: EditionResult) -> pd.DataFrame:
    return findings_frame(result.findings)


def audit_tables(result: EditionResult) -> dict[str, pd.DataFrame]:
    from reportgen.index.stats import audit

    tables = dict(audit(result.index).tables())
    if result.uncertainty is not None:
        tables["rank_intervals"] = result.uncertainty.summary()
        if result.uncertainty.sensitivity is not None:
            tables["sensitivity"] = result.uncertainty.sensitivity.rename_axis(
                "input"
            ).reset_index()
    return tables | _screened(result)


def _xlsx(tables: Mapping[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in tables.items():
            sheet = name[:31]
            table.to_excel(writer, sheet_name=sheet, index=False, freeze_panes=(1, 1))
            worksheet = writer.sheets[sheet]
            for column_cells in worksheet.iter_cols(min_row=1, max_row=worksheet.max_row):
                header = str(column_cells[0].value or "")
                width = (
                    max(len(header), *(len(str(c.value or "")) for c in column_cells[1:50]))
                    if len(column_cells) > 1
                    else len(header)
                )
                worksheet.column_dimensions[column_cells[0].column_letter].width = min(
                    width + 2, 60
                )
                if header.endswith("_rank") or header in ("year",):
                    fmt = "0"
                elif pd.api.types.is_float_dtype(table[header]) if header in table else False:
                    fmt = "0.00"
                else:
                    continue
                for cell in column_cells[1:]:
                    cell.number_format = fmt
            for cell in worksheet[1]:
                cell.font = Font(bold=True)
    return buffer.getvalue()


def write_tables(tables: Mapping[str, pd.DataFrame], path: Path, fmt: str) -> list[Path]:
    """Write tables: one workbook with a sheet each (xlsx), one JSON object of record lists,
    or CSV (one file; several tables go to PATH-<name>.csv beside it)."""
    if fmt not in FORMATS:
        raise OutputError(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")
    if fmt == "xlsx":
        write_bytes_atomic(path, _xlsx(tables))
        return [path]
    if fmt == "json":
        payload = {
            name: json.loads(t.to_json(orient="records", double_precision=15))
            for name, t in tables.items()
        }
        write_bytes_atomic(
            path, (json.dumps(payload, indent=1, ensure_ascii=False) + "\n").encode()
        )
        return [path]
    written = []
    for i, (name, table) in enumerate(tables.items()):
        target = path if i == 0 else path.with_name(f"{path.stem}-{name}{path.suffix or '.csv'}")
        write_bytes_atomic(target, table.to_csv(index=False).encode("utf-8"))
        written.append(target)
    return written
