"""Reports that measure the layers below from above: record quality against the truth
(:mod:`~twin_env.analysis.record_quality`), the worked record example (:mod:`~twin_env.analysis.record_example`),
model monitoring and its plot (:mod:`~twin_env.analysis.model_monitoring`, :mod:`~twin_env.analysis.monitoring_plot`)
and the format examples (:mod:`~twin_env.analysis.format_examples`). Nothing below imports them."""
