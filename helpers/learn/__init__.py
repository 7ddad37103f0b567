"""Learning from a `Dataset`, stage by stage: `balance` (NearMiss, class weights) → `augment`
(Keras preprocessing layers on a tf.data pipeline) → `models` (one function per network) →
`train` (Keras' fit and callbacks, schedules, resumable) → `evaluate` (test metrics as JSON) →
`predict` (probabilities, in bulk or one image at a time). `inputs` is how images become network
inputs; `recipe` is the one path every trainer takes: seed → build → train → evaluate → save.
"""
