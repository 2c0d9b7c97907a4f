"""A twin of a given patient: read a FHIR record, infer the latent state it implies, ask what if.

:func:`twin_env.patient_twin.reading.read_record` (also ``twin_env.read_record``) reads a FHIR R4 Bundle into a
:class:`twin_env.patient_twin.record.PatientRecord`; errors are :class:`RecordReadError`.
"""
