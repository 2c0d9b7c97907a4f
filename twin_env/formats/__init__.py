"""Renderers from the record to real formats.

- :mod:`~twin_env.formats.nhs_number`: NHS number check digits and synthetic numbers.
- :mod:`~twin_env.formats.fhir_resources`: UK Core flavoured FHIR R4 resources as plain dicts.
- :mod:`~twin_env.formats.hl7v2`: HL7 v2.4 ADT and ORU messages.
- :mod:`~twin_env.formats.letters`: discharge summaries and clinic letters with PRSB headings.
- :mod:`~twin_env.formats.opensafely`: OpenSAFELY ehrQL-shaped CSV tables.

Modules are imported on use, so importing this package stays cheap.
"""
