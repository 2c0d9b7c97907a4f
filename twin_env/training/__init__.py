"""Training a stable-baselines3 agent (:func:`twin_env.training.train.train`, needs the ``sb3`` extra) on a registered
training env, with hyperparameters from ``hyperparams/<algo>.yml`` (:mod:`twin_env.training.hyperparameters`),
progress lines and the wall-clock safety stop (:mod:`twin_env.training.callbacks`), the learning curve as CSV and
PNG (:mod:`twin_env.training.learning_curve`) and checkpoint selection on the validation cohort
(:mod:`twin_env.training.validation`); RLlib registration and a masked PPO config (:mod:`twin_env.training.rllib`,
needs the ``rllib`` extra)."""
