"""Learning from a `Dataset`, stage by stage: `balance` (NearMiss, class weights) → `augment`
(Keras preprocessing layers on a tf.data pipeline) → `models` (one function per network) →
`train` (Keras' fit and callbacks, schedules, resumable) → `evaluate` (test metrics as JSON) →
`predict` (probabilities, in bulk or one image at a time). `inputs` is how images become network
inputs; `recipe` is the one path every trainer takes: seed → build → train → evaluate → save.
"""

# An answer whose probability is under this is marked unsure: the network gives the other
# classes together more weight than its first choice. `evaluate` measures how often such
# answers are right (the metrics' "unsure"). Here, not in `predict`, so that the command line
# can name it without loading TensorFlow.
UNSURE_BELOW = 0.5

# The most epochs of a network trained for a time (MINUTES=) rather than a number of epochs:
# the run's EPOCHS when MINUTES is given without it. Here so the chain can name it without
# loading TensorFlow.
MOST_EPOCHS = 50
