"""Many estimates at once: the MI matrix, relevance and feature scores, batched chunks run
locally or as Dask tasks (with a plugin that keeps each worker at one torch thread).
"""
