"""The baseline of the 'against WeasyPrint' benchmarks: WeasyPrint alone laying out and writing a
task's final HTML with the same charts and fonts, timed without reportgen's own work."""

from __future__ import annotations

import io
import time
from typing import Any


def weasyprint_alone(task: Any) -> float:
    """Seconds WeasyPrint takes for the task's final HTML (view-model, HTML and SVG are made
    beforehand and not timed)."""
    import weasyprint

    from reportgen.report import charts
    from reportgen.report import html as report_html
    from reportgen.report import pdf as report_pdf

    context = task.view_model()
    html = report_html.render_html(report_html.make_environment(), task.template, context)
    svgs = {key: charts.to_svg(spec) for key, spec in context.charts.items()}
    fetcher = report_pdf.AssetFetcher(
        charts=svgs, roots=(report_html.TEMPLATES_DIR, *report_html.font_directories())
    )
    started = time.perf_counter()
    document = weasyprint.HTML(
        string=html,
        base_url=report_html.TEMPLATES_DIR.as_uri() + "/",
        url_fetcher=report_pdf._weasy_fetcher(fetcher),
    )
    document.write_pdf(io.BytesIO(), pdf_variant=task.pdf_variant)
    return time.perf_counter() - started
