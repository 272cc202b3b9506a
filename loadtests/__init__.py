"""locust side of ``eas load``: simulated EAS devices (``device.py``) over a gevent transport
(``transport.py``), the locust entry point (``locustfile.py``), the bare baseline for the
capacity benchmark (``bare.py``) and the scenarios (``scenarios/``).

Import these only inside locust processes: locust monkey-patches the standard library with
gevent when it is imported.
"""
