"""The web edition: a static, offline, interactive site of one computed edition."""

from reportgen.web.context import PdfLinks
from reportgen.web.site import SiteReport, default_pdf_links, write_site

__all__ = ["PdfLinks", "SiteReport", "default_pdf_links", "write_site"]
