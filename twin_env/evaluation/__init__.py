"""Policies evaluated on the vector env: cohorts (population seeds), outcome metrics, the example patient's
timeline, plots and the policy table (:func:`twin_env.evaluation.evaluate.evaluate`)."""
