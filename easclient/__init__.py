"""easclient: an Exchange ActiveSync test client, mock server, NAT simulator and load generator."""

__version__ = "0.1.0"
