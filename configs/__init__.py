"""The example tracking plans, shipped inside the wheel as ``ga_goals.examples``.

This folder is a package only so that ``ga-goals init`` finds the examples the same way in a
checkout, an editable install and a wheel (pyproject.toml maps it in).
"""
