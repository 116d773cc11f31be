"""From settings and samples to estimates: the batched model of a fit, the estimators, and
how a trained model is read into an Estimate.
"""
