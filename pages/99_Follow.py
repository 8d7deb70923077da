"""Follow the lecturer: watch a shared live run (read-only), then fork it to experiment."""

from __future__ import annotations

from seqviz.i18n import N_, _
from seqviz.ui.layout import page_header
from seqviz.ui.setup import setup_page
from seqviz.ui.share import follow_page

setup_page(N_("Follow the lecturer"), "👀")
page_header("👀 " + _("Follow the lecturer"),
            _("Open the lecturer's link or type the code from the projector: the lecturer's run "
              "appears here live and read-only. Press **Fork** to copy it into your own "
              "session and experiment."))
follow_page()
