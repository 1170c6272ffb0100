"""The classroom: a browser dashboard (``escalation-dashboard``) and a self-contained report page.

``session`` holds what the dashboard computes (runs, paired differences on common random numbers,
a contrasting pair of stories), free of Streamlit so that it can be tested and reused; ``app`` is
the Streamlit page; ``launcher`` is the console command; ``report_page`` writes ``report.html``.
"""
