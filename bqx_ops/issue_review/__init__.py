"""Stage 10.7, the bi-weekly issue-resolution review, as plain Python: no Dagster.

Each source becomes ``Found`` issues (``github_issues``, ``cloudwatch``, ``sagemaker``,
``airtable_issues``, ``derived``); ``triage`` ranks them into inventory rows with SLAs
under the rules of ``rules`` (YAML data); ``trend``, ``stats`` and ``actions`` derive the
other tables; ``collect.review`` runs one period end to end; ``report`` renders the
markdown and its JSON twin. Everything is a function of the inputs and the period:
no wall clock, sorted output, fixed number formats.
"""
