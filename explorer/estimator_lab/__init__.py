"""Estimator lab: the gradient estimators of training/estimators.py, at equal budgets, against the exact gradient.

compute (one sample's study and a variant's), store (the shipped studies, checkpoints/NAME/estimator-lab.json),
reports (the page's tables, the docs' Markdown, the README's headline) and temperature (the one temperature of
each estimator that has one, chosen before training); the commands:
    python -m explorer.estimator_lab --write [NAMES...]   # precompute and ship the studies (every SBN variant)
    python -m explorer.estimator_lab --extend NAMES...    # add the estimators a shipped study lacks
    python -m explorer.estimator_lab --markdown           # the shipped numbers at budgets 2 and 8, for the docs
    python -m explorer.estimator_lab --headline           # the README's table of the estimators
"""
