"""The paper's experiments: Figures 1 and 2 reproduced by one command (``minee reproduce``), with
checkpoints, resumption and the summary files.
"""
