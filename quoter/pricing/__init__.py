"""Quoting maths: fair value, volatility, spread models, skew, ladders, tick snapping, options.

Pure and deterministic: no I/O, no clocks (time is passed in as int ns or seconds).
Model maths runs in floats; `ticks` turns a model price into exact integer ticks
(bids round down, asks round up) before anything leaves the quoter.
"""
