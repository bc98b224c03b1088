"""The built-in jinja2 templates, shipped inside the wheel as ``ga_goals.templates``.

This folder is a package only so that it can be found the same way in a checkout, an editable
install and a wheel (pyproject.toml maps it in): ``ga_goals.templating`` loads the templates.
A user's own template folder (``--templates DIR``) overrides any of them by name, and can
extend the built-in one as ``{% extends "default:docs/plan.html" %}``.
"""
