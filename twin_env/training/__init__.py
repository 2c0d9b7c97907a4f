"""Training a stable-baselines3 agent (:func:`twin_env.training.train.train`, needs the ``sb3`` extra) with
checkpoint selection on the validation cohort (:mod:`twin_env.training.validation`); RLlib registration and a
masked PPO config (:mod:`twin_env.training.rllib`, needs the ``rllib`` extra)."""
