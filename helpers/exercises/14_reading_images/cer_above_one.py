from otter.test_files import test_case

from helpers.exercises import NotQuite, answered, shown, wrong

OK_FORMAT = False
name = "cer_above_one"


@test_case(success_message="The CER divides the edits by the length of the truth, and a reader "
                           "can insert any number of characters: a stroke split in two, or "
                           "noise read as a character, can push a line's CER past 1.",
           failure_message="Hint: the CER counts insertions, deletions and substitutions over "
                           "the truth's two characters; which kind of edit has no limit?")
def test_cer_above_one(cer_above_one):
    from helpers.reading.cer import cer

    answered(cer_above_one, "cer_above_one")
    if not isinstance(cer_above_one, str):
        raise NotQuite(f"`cer_above_one` should be text in quotes, got "
                       f"`{shown(cer_above_one)}`")
    if cer([cer_above_one], ["HI"]) <= 1:
        wrong(cer_above_one, "cer_above_one")
