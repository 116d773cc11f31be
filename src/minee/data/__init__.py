"""Data in: validation of arrays and frames, data files, per-column preprocessing (rank
scores and their t copula).
"""
