"""The one batched training loop and its parts: critics, references, objectives, the feed of
rows, the weight average, the evaluation records.
"""
