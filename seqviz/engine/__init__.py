"""The live engine: training runs stepped by worker processes, read by pages as snapshots.

- ``protocol``  the messages between the server and a worker, and ``Snapshot``
- ``worker``    a worker process: builds runs, steps the playing ones in fair time slices,
                applies commands between two steps, publishes snapshots
- ``pool``      ``Engine`` (the server's side: a bounded pool of workers) and ``RunHandle``
                (one session's run: play, pause, step, live settings, calls, its snapshot)

A *run* is any object with ``step(n)``, ``apply_live(cfg)``, ``view()`` and ``halt()`` (see
``protocol.Run``); a lesson provides a factory for it, named by an import string, so the engine
never imports a lesson. Why processes and not threads: in one process a training thread gets
0.06-0.08 of its solo speed beside a thread doing Python work without pause (the GIL is handed
over at every short torch call), and a Streamlit server drawing for many sessions is that thread.
"""
