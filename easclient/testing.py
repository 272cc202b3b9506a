"""pytest plugin (entry point ``pytest11``): fixtures for testing against the mock EAS server.

Fixtures are added here as the mock server grows.
"""
