"""A twin of a given patient: read a FHIR record, infer the latent state it implies, ask what if."""
