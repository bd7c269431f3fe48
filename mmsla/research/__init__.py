"""Research studies: the Avellaneda-Stoikov table, intensity calibration, option chain analysis.

Pure computations on arrays; the CLI (`mmsla research ...`) reads files and prints.
"""
