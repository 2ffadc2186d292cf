"""Engines behind small interfaces; stages pick one by what is installed."""
