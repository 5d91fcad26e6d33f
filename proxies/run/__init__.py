"""Running experiments: the run configuration, sweeps over the training mix α and seeds, executors."""
