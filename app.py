"""seqviz home page: what each page teaches, and ready-made experiments to start from."""

from __future__ import annotations

import streamlit as st

if __name__ == "__main__":  # Streamlit runs this file as the home page, for every visit
    from seqviz.i18n import N_
    from seqviz.ui import home
    from seqviz.ui.setup import setup_page

    setup_page(N_("Home"), "🔁")
    home.render()
else:  # `streamlit run app.py` imports it as module "app" to find the server (README "Design")
    from seqviz.ui.startup import lifespan

    app = st.App("app.py", lifespan=lifespan)  # warms the server up before it answers
