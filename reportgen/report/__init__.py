"""From a computed edition to pages: view-models, charts, HTML and PDF; computes no statistics."""
