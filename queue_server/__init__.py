"""Queue server for Mal Pelayanan Publik: tickets, counters, a durable event log and live websocket push."""

__version__ = "0.1.0"
