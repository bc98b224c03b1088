"""Funnel reports: periods, report data from the GA4 Data API, rendering, e-mail.

Modules: ``periods`` (report periods in the property's time zone), ``model`` (the report data as
typed values), ``derive`` (every derived number), ``build`` (plan + Data API -> report data),
``render`` (HTML, e-mail HTML, text, JSON, CSV through ``ga_goals.templating``), ``mail``
(SMTP delivery and the sent log that keeps cron from sending a period twice).

Importing this package imports nothing else; the Google clients load with ``ga_goals.ga4.data``.
"""
