"""The DCI Social Registry API (X1, clause 十四) under /dci/.

For other modules: `wiring.install(app)` (called by create_app); `registry_reads` is the one
place the exchange reads the registry (switch it to the timelines there); `http.client(settings)`
is the one door of its outbound calls; `signatures` holds the pinned signing scheme.
"""
